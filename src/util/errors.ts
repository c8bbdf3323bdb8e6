/**
 * The base of Coffer's typed errors: a stable machine-readable `code`, the HTTP status the API
 * answers with, and structured `fields` for logs (never secret values). Each layer derives its
 * own abstract base from this one (LogicalError, BarrierError, SealError, PhysicalError,
 * NodeError), so `instanceof` still tells the layers apart, and the HTTP layer maps every one of
 * them by `code` in a single table.
 */
export abstract class CofferError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;

  constructor(
    message: string,
    readonly fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
