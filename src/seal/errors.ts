/**
 * Errors of init and unseal. Each has a stable `code` and the HTTP status Vault answers with.
 * Init on an initialised store and unseal on an empty one use the barrier's
 * `BarrierAlreadyInitializedError` and `BarrierNotInitializedError` (400, "Vault is already
 * initialized" / "Vault is not initialized"). No message or field ever holds share material.
 */
import { CofferError } from '../util/errors.js';

/** Base class of every seal error. */
export abstract class SealError extends CofferError {}

/** Thrown by `initialize` for share and threshold values Vault would refuse. */
export class InvalidSealConfigError extends SealError {
  readonly code = 'invalid_seal_config';
  readonly httpStatus = 400;

  constructor(message: string, fields: Record<string, unknown> = {}) {
    super(message, fields);
    this.name = 'InvalidSealConfigError';
  }
}

/**
 * Thrown by `submitShare` when the key is neither hex nor base64, or decodes to the wrong number
 * of bytes, or is not a share this seal could have produced. Progress is left as it was.
 */
export class InvalidShareError extends SealError {
  readonly code = 'invalid_unseal_key';
  readonly httpStatus = 400;

  constructor(message: string, fields: Record<string, unknown> = {}) {
    super(message, fields);
    this.name = 'InvalidShareError';
  }
}

/** Thrown by `submitShare` for a share already given in this unseal attempt. Progress stays. */
export class DuplicateShareError extends SealError {
  readonly code = 'duplicate_unseal_key';
  readonly httpStatus = 400;

  constructor() {
    super('this unseal key was already provided in the current unseal attempt');
    this.name = 'DuplicateShareError';
  }
}

const UNSEAL_FAILED_MESSAGE =
  'failed to unseal: the unseal keys do not reconstruct the key; progress was reset';

/**
 * Thrown by `submitShare` when the threshold was reached but the shares do not reconstruct the
 * unseal key (wrong or mixed-up shares). The attempt is over: progress is reset and the
 * reconstructed bytes are wiped.
 */
export class UnsealFailedError extends SealError {
  readonly code = 'unseal_failed';
  readonly httpStatus = 400;

  constructor(options?: { cause?: unknown }) {
    super(UNSEAL_FAILED_MESSAGE, {}, options);
    this.name = 'UnsealFailedError';
  }
}

/**
 * Thrown when the stored seal configuration cannot be read: storage damage or a format this
 * code does not know. The node cannot report or accept unseal progress until it is repaired.
 */
export class SealConfigCorruptError extends SealError {
  readonly code = 'seal_config_corrupt';
  readonly httpStatus = 500;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`the stored seal configuration is unreadable: ${reason}`, {}, options);
    this.name = 'SealConfigCorruptError';
  }
}
