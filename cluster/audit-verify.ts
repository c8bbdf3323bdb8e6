/**
 * Checks the hash chain of a Coffer audit file: every line's `prev_hash` must be the SHA-256 of
 * the line before it. Prints the result as JSON and exits 0 when the chain holds, 1 when it does
 * not or the file cannot be read, 2 on bad usage.
 *
 *   node --import tsx cluster/audit-verify.ts [--prefix <p>] <file>
 *
 * A chain that verifies can still have lost lines at its end: compare the last line's hash with
 * one kept elsewhere to rule that out.
 */
import { verifyAuditFile } from '../src/audit/chain.js';

async function main(argv: string[]): Promise<number> {
  let prefix: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--prefix' && i + 1 < argv.length) prefix = argv[++i];
    else files.push(argv[i] as string);
  }
  if (files.length !== 1) {
    console.error('usage: audit-verify.ts [--prefix <prefix>] <audit-file>');
    return 2;
  }
  const file = files[0] as string;
  try {
    const result = await verifyAuditFile(file, prefix === undefined ? {} : { prefix });
    console.log(JSON.stringify({ file, ...result }));
    return result.ok ? 0 : 1;
  } catch (err) {
    const reason = `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`;
    console.log(JSON.stringify({ file, ok: false, lines: 0, reason }));
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
