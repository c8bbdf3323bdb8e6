/**
 * `coffer server` as a process: what the node needs from the operating system around
 * {@link startServer}. Files are created private (umask 077), the logger writes JSON lines to
 * standard output, the pid file is written once the API listens and removed at a clean exit,
 * SIGTERM or SIGINT stop the node gracefully, and SIGHUP reopens the audit files. The exit status: 0 after
 * a graceful stop, 1 when the node could not start or its Raft node failed.
 */
import { rm, writeFile } from 'node:fs/promises';

import type { Logger as PinoLogger } from 'pino';

import { CorruptStorageError } from '../storage/errors.js';
import type { ServerConfig } from './config-types.js';
import { startServer } from './server.js';
import { createServerLogger } from './server-logger.js';

export interface RunServerOptions {
  /** A logger to use instead of one built from `config.logLevel` (tests). */
  readonly logger?: PinoLogger;
  /** Install SIGTERM, SIGINT and SIGHUP handlers. Default true. */
  readonly handleSignals?: boolean;
}

/** Runs the node `config` describes until it is stopped; resolves to the exit status. */
export async function runServer(
  config: ServerConfig,
  options: RunServerOptions = {},
): Promise<number> {
  process.umask(0o077);
  const log =
    options.logger ??
    createServerLogger({ level: config.logLevel });

  let server;
  try {
    server = await startServer(config, { logger: log });
  } catch (err) {
    log.error({ err }, 'server failed to start');
    if (err instanceof CorruptStorageError) {
      // The storage names its own directory (<data>/raft); the operator must wipe all of the
      // node's data, state machine and join record included, before it rejoins.
      log.error(
        { dataDir: config.storage.path },
        'this node will not serve or vote on corrupt data: remove it from the cluster ' +
          '(sys/storage/raft/remove-peer), wipe its whole data directory and rejoin it',
      );
    }
    return 1;
  }

  if (config.pidFile !== undefined) {
    try {
      await writeFile(config.pidFile, `${process.pid}\n`, { mode: 0o600 });
    } catch (err) {
      log.error({ err, pidFile: config.pidFile }, 'cannot write the pid file; stopping');
      await server.stop();
      return 1;
    }
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'signal received; shutting down');
    void server.stop();
  };
  // SIGHUP reopens the audit files, for log rotation (vault-api.md §7).
  const onHangup = (): void => {
    log.info({ signal: 'SIGHUP' }, 'signal received; reopening audit files');
    server.core
      .reopenAudit()
      .catch((err: unknown) => log.error({ err }, 'failed to reopen audit files'));
  };
  if (options.handleSignals !== false) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onHangup);
  }

  const code = await server.ended;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  process.off('SIGHUP', onHangup);
  if (config.pidFile !== undefined) await rm(config.pidFile, { force: true });
  return code;
}
