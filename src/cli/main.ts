/**
 * The entry point of the `coffer` command (bin/coffer.js imports the built copy). It runs the
 * command line and ends the process with its status, whatever handles are still open.
 */
import { runCli } from './program.js';

try {
  process.exit(await runCli(process.argv.slice(2)));
} catch (err) {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`coffer: ${detail}\n`);
  process.exit(2);
}
