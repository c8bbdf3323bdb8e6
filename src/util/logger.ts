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
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
