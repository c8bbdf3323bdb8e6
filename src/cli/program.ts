/**
 * The `coffer` command line. Vault's commands take single-dash long flags (`-config=file`,
 * `-config file`), Go's flag style; commander expects two dashes, so single-dash long flags are
 * rewritten before parsing and both spellings work. Exit statuses: 0 success, 1 usage or
 * configuration error, and for `server` whatever the node ended with.
 *
 * Commands: `server -config <file|dir>` runs a node (src/server/server-process.ts).
 */
import { Command, CommanderError } from 'commander';

import { ConfigError, loadServerConfig } from '../server/config.js';
import { runServer } from '../server/server-process.js';
import { COFFER_VERSION } from '../vault/version.js';

/** Status for usage and configuration errors, as Vault's CLI uses. */
export const EXIT_USAGE = 1;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const PROCESS_IO: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs `coffer` with `argv` (without the node and script paths); resolves to the exit status. */
export async function runCli(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  let status = 0;
  const program = new Command('coffer')
    .description('A clustered secrets store with a Vault-compatible HTTP API')
    .version(COFFER_VERSION, '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  program
    .command('server')
    .description('Run a Coffer server node from a configuration file')
    .requiredOption('--config <path>', 'an HCL or JSON configuration file, or a directory of them')
    .action(async (options: { config: string }) => {
      status = await serverCommand(options.config, io);
    });

  try {
    await program.parseAsync(normaliseFlags(argv), { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Help and version asked for end with 0; anything else commander refused is a usage error.
    return err.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  return status;
}

async function serverCommand(configPath: string, io: CliIo): Promise<number> {
  let config;
  try {
    config = await loadServerConfig(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`Error loading configuration: ${err.message}\n`);
    return EXIT_USAGE;
  }
  return runServer(config);
}

/**
 * `-name` and `-name=value` become `--name` and `--name=value`; single-letter flags, values and
 * everything after `--` are left alone.
 */
export function normaliseFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (arg === '--') rest = true;
    out.push(!rest && /^-[A-Za-z][A-Za-z0-9_-]+(=|$)/.test(arg) ? `-${arg}` : arg);
  }
  return out;
}
