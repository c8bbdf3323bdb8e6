/**
 * Errors the security barrier throws. Each has a stable `code` and an HTTP status. Messages and
 * fields name paths and key terms, never key material or plaintext.
 */
import { CofferError } from '../util/errors.js';

/** Base class of every barrier error. */
export abstract class BarrierError extends CofferError {}

/**
 * Thrown by every storage call, `rotate` and `keyStatus` while the barrier is sealed: its keys are
 * not in memory. The message is the one Vault clients expect with the 503.
 */
export class SealedError extends BarrierError {
  readonly code = 'sealed';
  readonly httpStatus = 503;

  constructor() {
    super('Vault is sealed');
    this.name = 'SealedError';
  }
}

/** Which integrity check failed; `missing` is a barrier record (keyring) that should exist. */
export type IntegrityFailure =
  | 'truncated'
  | 'unknown_version'
  | 'unknown_term'
  | 'authentication_failed'
  | 'missing';

/**
 * Thrown when a stored value cannot be trusted: the GCM tag does not verify (a flipped bit, a
 * value copied from another path, the wrong key), the frame is truncated or of an unknown
 * version, or it names a key term the keyring does not hold. Storage is untrusted, so this is
 * never answered with bytes: the read fails. `reason` says which check failed.
 */
export class IntegrityError extends BarrierError {
  readonly code = 'barrier_integrity';
  readonly httpStatus = 500;

  constructor(
    readonly path: string,
    readonly reason: IntegrityFailure,
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    const what = reason.replace('_', ' ');
    super(`integrity check failed for ${path}: ${what}`, { ...fields, path, reason }, options);
    this.name = 'IntegrityError';
  }
}

/**
 * Thrown by `unseal` when the offered unseal key does not open the stored root key. With Shamir
 * shares this means the shares did not reconstruct the right key.
 */
export class InvalidUnsealKeyError extends BarrierError {
  readonly code = 'barrier_invalid_key';
  readonly httpStatus = 400;

  constructor(message = 'the unseal key does not open the barrier', options?: { cause?: unknown }) {
    super(message, {}, options);
    this.name = 'InvalidUnsealKeyError';
  }
}

/** Thrown by `initialize` when the storage already holds a barrier. */
export class BarrierAlreadyInitializedError extends BarrierError {
  readonly code = 'already_initialized';
  readonly httpStatus = 400;

  constructor() {
    super('Vault is already initialized');
    this.name = 'BarrierAlreadyInitializedError';
  }
}

/** Thrown by `unseal` when the storage holds no barrier yet. */
export class BarrierNotInitializedError extends BarrierError {
  readonly code = 'not_initialized';
  readonly httpStatus = 400;

  constructor() {
    super('Vault is not initialized');
    this.name = 'BarrierNotInitializedError';
  }
}

/**
 * Thrown by `rotate` when the stored keyring kept changing under it (other nodes rotating at the
 * same time) through every retry. Nothing was lost; trying again later is safe.
 */
export class KeyringConflictError extends BarrierError {
  readonly code = 'keyring_conflict';
  readonly httpStatus = 409;

  constructor() {
    super('the keyring changed concurrently; rotation not applied');
    this.name = 'KeyringConflictError';
  }
}

/**
 * Thrown when a path or prefix is refused: empty segments, `.` or `..`, a leading `/`, a NUL, a
 * reserved barrier path, or (for a view) anything that would leave the view's prefix.
 */
export class InvalidPathError extends BarrierError {
  readonly code = 'invalid_path';
  readonly httpStatus = 400;

  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`invalid path: ${reason}`, { path });
    this.name = 'InvalidPathError';
  }
}

/**
 * Thrown by a barrier `batch` when the plaintext condition of op `index` does not hold. The batch
 * wrote nothing. Engines translate it into their own answer (KV v2: a check-and-set mismatch).
 */
export class BarrierConditionFailedError extends BarrierError {
  readonly code = 'barrier_condition_failed';
  readonly httpStatus = 409;

  constructor(
    readonly index: number,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super('batch condition failed', { index, path }, options);
    this.name = 'BarrierConditionFailedError';
  }
}
