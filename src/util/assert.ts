/**
 * Thrown when one of Coffer's own invariants is broken: a bug, never bad input. Whoever catches
 * it must stop the node (log it and exit), because state that broke an invariant cannot be
 * trusted to serve or vote. Bad input from a peer or a client is reported with typed errors
 * instead, and never with this class.
 */
export class InvariantError extends Error {
  readonly code = 'invariant_violated';

  constructor(message: string, readonly fields: Record<string, unknown> = {}) {
    super(message);
    this.name = 'InvariantError';
  }
}

/** Throws an {@link InvariantError} carrying `fields` unless `condition` holds. */
export function invariant(
  condition: unknown,
  message: string,
  fields: Record<string, unknown> = {},
): asserts condition {
  if (!condition) throw new InvariantError(message, fields);
}
