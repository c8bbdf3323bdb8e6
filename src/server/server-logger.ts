/**
 * The server's pino logger. The paths that may hold a secret are redacted here and nowhere else
 * (STYLE.md §2.11): token headers, request and response `data`, unseal keys, root tokens and
 * join answers. Fields are objects first, then a fixed message, as every layer logs.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

import type { LogLevel } from './config-types.js';

/** Every field path whose value is replaced by {@link REDACTED} before a line is written. */
export const REDACT_PATHS: readonly string[] = [
  'headers["x-vault-token"]',
  'headers.authorization',
  '*.headers["x-vault-token"]',
  '*.headers.authorization',
  'data',
  '*.data',
  'body',
  '*.body',
  'key',
  'keys',
  'keys_base64',
  'keysBase64',
  'root_token',
  'rootToken',
  'clientToken',
  'answer',
  'challenge',
  'records',
  'keyPem',
  '*.keyPem',
];

export const REDACTED = '[redacted]';

export interface ServerLoggerOptions {
  readonly level: LogLevel;
  /** Where lines go; standard output, written synchronously so no line is lost at exit. */
  readonly destination?: DestinationStream;
  /** Fields on every line, e.g. the node id. */
  readonly base?: Record<string, unknown>;
}

/** A pino logger at `level` that writes JSON lines with secrets redacted. */
export function createServerLogger(options: ServerLoggerOptions): PinoLogger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid, ...options.base },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
