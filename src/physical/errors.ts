/**
 * Errors a {@link PhysicalStore} rejects with. Each has a stable `code` and the HTTP status the
 * API layer answers with when nothing above translates it. None of them carries a value: the
 * store holds ciphertext, but an error message must not become a way to read it anyway.
 */
import { CofferError } from '../util/errors.js';

/** Base class of every physical store error. */
export abstract class PhysicalError extends CofferError {}

/**
 * Thrown when a key (or a batch op's key) is not valid: empty, ending with `/`, or holding a NUL
 * character. It is a bug in the caller, since the barrier validates paths before they get here.
 */
export class InvalidKeyError extends PhysicalError {
  readonly code = 'physical_invalid_key';
  readonly httpStatus = 400;

  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid storage key: ${reason}`, { key });
    this.name = 'InvalidKeyError';
  }
}

/**
 * Thrown by `batch` when the condition of op `index` (on `key`) does not hold; the batch wrote
 * nothing. Layers above usually translate it into their own answer (KV v2 turns a check-and-set
 * mismatch into a 400), so 409 here is only the fallback.
 */
export class ConditionFailedError extends PhysicalError {
  readonly code = 'physical_condition_failed';
  readonly httpStatus = 409;

  constructor(
    readonly index: number,
    readonly key: string,
  ) {
    super('batch condition failed', { index, key });
    this.name = 'ConditionFailedError';
  }
}

/**
 * Thrown by a replicated store that cannot serve a call now: no leader is known, the quorum is
 * lost, the proposal timed out or the store is closing. For a write the outcome is unknown (it
 * may still commit), so callers retry only idempotent work.
 */
export class PhysicalUnavailableError extends PhysicalError {
  readonly code = 'physical_unavailable';
  readonly httpStatus = 503;

  constructor(
    message: string,
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, fields, options);
    this.name = 'PhysicalUnavailableError';
  }
}
