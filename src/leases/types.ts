/**
 * The contract between the expiration manager and what it expires. Secret leases and token
 * leases share one mechanism (vault-api.md §4): each is a {@link LeaseRecord} of a
 * {@link LeaseKind}, stored in the replicated store, and once its `expireTime` has passed the
 * manager, on the leader, calls the {@link LeaseRevoker} registered for its kind.
 *
 * Times are milliseconds on the cluster clock the core hands every module as `now()`: the
 * local wall clock, never behind the newest timestamp the cluster has replicated, so a node
 * whose own clock runs late cannot keep anything alive past its TTL.
 */

/** `secret`: a dynamic credential an engine handed out. `token`: a service token's own lease. */
export type LeaseKind = 'secret' | 'token';

/** One lease as stored. */
export interface LeaseRecord {
  /**
   * The lease id. A secret's is `<request path>/<random>` (`database/creds/app/h3Kx…`); a
   * token's is `<creation path>/<hashed token id>` (`auth/token/create/9f1c…`), never the
   * token itself.
   */
  readonly id: string;
  readonly kind: LeaseKind;
  /** The request path that created it (`database/creds/app`, `auth/token/create`). */
  readonly path: string;
  /** Milliseconds, cluster clock. */
  readonly issueTime: number;
  /** Milliseconds, cluster clock; 0 never expires (a root token). */
  readonly expireTime: number;
  /** Milliseconds, cluster clock; null until renewed once. */
  readonly lastRenewalTime: number | null;
  readonly renewable: boolean;
  /**
   * The hashed id of the token that owns it: revoking that token revokes this lease. For a
   * token lease, the token itself. Null for a lease no token owns.
   */
  readonly ownerToken: string | null;
  /** What the revoker needs (an engine's internal data); stored behind the barrier. */
  readonly internal: Readonly<Record<string, unknown>>;
  /** Failed revocation attempts so far. */
  readonly revokeAttempts: number;
  /** Set once the manager gave up revoking it: the last error, for `sys/leases/lookup`. */
  readonly irrevocable: string | null;
  /**
   * Milliseconds, cluster clock: the latest `expireTime` a renewal may reach (issue time plus
   * the max TTL). Absent or 0: renewals are capped only by what the renewer grants.
   */
  readonly maxExpireTime?: number;
  /**
   * Milliseconds, cluster clock: when the next revocation attempt is due after a failed one
   * (exponential back-off). Absent until an attempt fails.
   */
  readonly nextAttemptTime?: number;
}

/** What a caller tells the manager to track. */
export type NewLease = Pick<
  LeaseRecord,
  'id' | 'kind' | 'path' | 'issueTime' | 'expireTime' | 'renewable' | 'ownerToken' | 'internal'
>;

/** Revokes what a lease stands for; rejecting makes the manager retry later with back-off. */
export type LeaseRevoker = (lease: LeaseRecord) => Promise<void>;

/**
 * The part of the expiration manager the token store sees: it tracks each service token's
 * expiry as a `token` lease and forgets it when the token is revoked by other means.
 */
export interface ExpiryTracker {
  /** Records `lease`, replacing a lease with the same id (a renewal moves `expireTime`). */
  track(lease: NewLease): Promise<void>;
  /** Forgets the lease `id`; forgetting an unknown id succeeds. */
  untrack(id: string): Promise<void>;
}

/**
 * Extends a secret lease: resolves to the TTL in seconds the backend grants for a requested
 * `incrementSeconds` (advisory; 0 asks for the backend's default). Rejecting refuses the renewal.
 */
export type LeaseRenewer = (lease: LeaseRecord, incrementSeconds: number) => Promise<number>;
