/** The expiration manager: secret and token leases, their expiry, renewal and revocation. */
export {
  ExpirationManager,
  type ExpirationManagerOptions,
  type NewSecretLease,
  type RevokeSummary,
} from './expiration-manager.js';
export { InvalidLeaseOptionsError, LeasePrefixRevokeError, LeaseRevokeError } from './errors.js';
export { NODE_TIMERS, type LeaseTimers } from './expiry-queue.js';
export type { TidySummary } from './lease-tidy.js';
export type {
  ExpiryTracker,
  LeaseKind,
  LeaseRecord,
  LeaseRenewer,
  LeaseRevoker,
  NewLease,
} from './types.js';
