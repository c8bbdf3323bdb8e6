/**
 * The logging surface that layers below the server take by injection. It is the subset of pino's
 * API that Coffer uses (fields object first, then a fixed message), so a pino logger or one of its
 * children can be passed as is, and tests can pass {@link silentLogger}.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  /**
   * Whether lines at `level` are written (pino's method of that name). Optional: a logger
   * without it is taken to write every level.
   */
  isLevelEnabled?(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}

/**
 * Whether `log` writes debug lines: callers check it before building fields that cost something
 * to compute (a copy of every request header), since the line is dropped at level info.
 */
export function debugEnabled(log: Logger): boolean {
  return log.isLevelEnabled?.('debug') ?? true;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  isLevelEnabled: () => false,
};
