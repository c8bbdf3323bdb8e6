/**
 * `coffer server -config=<file|dir>`: runs a node. The server's modules are loaded only when
 * this command runs, so the client commands never load them (they speak to servers over HTTP).
 */
import type { Command } from 'commander';

import type { Runtime } from '../command-kit.js';
import { EXIT_USAGE } from '../errors.js';

export function registerServer(program: Command, runtime: Runtime): void {
  program
    .command('server')
    .description('Run a Coffer server node from a configuration file')
    .requiredOption('--config <path>', 'an HCL or JSON configuration file, or a directory of them')
    .addHelpText('after', '\nExample:\n  $ coffer server -config=deploy/coffer.hcl\n')
    .action(async (options: { config: string }) => {
      runtime.status = await serverCommand(options.config, runtime);
    });
}

async function serverCommand(configPath: string, runtime: Runtime): Promise<number> {
  const { ConfigError, loadServerConfig } = await import('../../server/config.js');
  const { runServer } = await import('../../server/server-process.js');
  let config;
  try {
    config = await loadServerConfig(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    runtime.io.stderr(`Error loading configuration: ${err.message}\n`);
    return EXIT_USAGE;
  }
  return runServer(config);
}
