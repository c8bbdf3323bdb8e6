#!/usr/bin/env node
// The `coffer` command: runs the compiled CLI (`make build` writes dist/). bin/coffer links here,
// so `export PATH=$PWD/bin:$PATH` puts `coffer` on the PATH from a checkout.
import '../dist/cli/main.js';
