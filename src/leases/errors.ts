/**
 * Errors of the expiration manager. Refusals a client can fix (an unknown lease, renewing what
 * is not renewable) are the logical layer's `InvalidRequestError`, worded as Vault words them;
 * the classes here cover what is not the client's fault.
 */
import { LogicalError } from '../logical/errors.js';

/**
 * Thrown by a synchronous revocation when the backend (or token store) failed to revoke the
 * lease (500). The lease is kept and retried with back-off; `cause` is the revoker's error, and
 * the message, like every 5xx, stays in the logs.
 */
export class LeaseRevokeError extends LogicalError {
  readonly code = 'lease_revoke_failed';
  readonly httpStatus = 500;

  constructor(leaseId: string, options?: { cause?: unknown }) {
    super('failed to revoke lease', { leaseId }, options);
    this.name = 'LeaseRevokeError';
  }
}

/**
 * Thrown by a revocation by prefix (without force) when some leases could not be revoked (500).
 * The ones revoked stay revoked; the others are retried with back-off.
 */
export class LeasePrefixRevokeError extends LogicalError {
  readonly code = 'lease_prefix_revoke_failed';
  readonly httpStatus = 500;

  constructor(prefix: string, revoked: number, failed: number, options?: { cause?: unknown }) {
    super('failed to revoke every lease under the prefix', { prefix, revoked, failed }, options);
    this.name = 'LeasePrefixRevokeError';
  }
}

/** Thrown by the manager's constructor for options it cannot run with (a bug in the caller). */
export class InvalidLeaseOptionsError extends LogicalError {
  readonly code = 'invalid_lease_options';
  readonly httpStatus = 500;

  constructor(message: string) {
    super(message);
    this.name = 'InvalidLeaseOptionsError';
  }
}
