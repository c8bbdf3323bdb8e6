#!/usr/bin/env node
// The `coffer` command: runs the compiled CLI (`make build` writes dist/). bin/coffer links here,
// so `export PATH=$PWD/bin:$PATH` puts `coffer` on the PATH from a checkout.
try {
  await import('../dist/cli/main.js');
} catch (err) {
  // A checkout that was never built: say what to run instead of printing a module stack.
  const missing =
    err?.code === 'ERR_MODULE_NOT_FOUND' &&
    /^Cannot find module '[^']*dist\/cli\/main\.js'/.test(err.message);
  if (!missing) throw err;
  process.stderr.write('coffer: dist/cli/main.js is missing: run `make build` first\n');
  process.exit(1);
}
