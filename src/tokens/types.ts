import type { ConnectionInfo } from '../logical/request.js';

/**
 * The shapes the token store shares with its backend and the core: a stored token, what a
 * caller may ask for when creating one, and a token role. Times are milliseconds on the cluster
 * clock unless a field says otherwise; durations are whole seconds.
 */
import type { ExpiryTracker } from '../leases/types.js';
import type { Storage } from '../logical/storage.js';
import type { Logger } from '../util/logger.js';

/** `service` tokens are persisted; `batch` tokens carry their own sealed entry. */
export type TokenType = 'service' | 'batch';

/**
 * A role's `token_type`: `service` or `batch` force the type, the `default-` forms only pick it
 * when the request names none.
 */
export type RoleTokenType = TokenType | 'default-service' | 'default-batch';

/** A token as the store knows it, without its id (which is never stored). */
export interface TokenEntry {
  /** HMAC-SHA256 of the token id under the cluster salt, hex; the entry's storage key. */
  readonly hashedId: string;
  /** `''` for batch tokens, which have none. */
  readonly accessor: string;
  /** Sorted, lower-case, without duplicates. */
  readonly policies: readonly string[];
  /** The path that created the token, e.g. `auth/token/create`. */
  readonly path: string;
  readonly meta: Readonly<Record<string, string>> | null;
  /** `token-<name>` as Vault prefixes it, `token` without a name, `root` for init's token. */
  readonly displayName: string;
  /** Unix seconds. */
  readonly creationTime: number;
  /** Seconds granted at creation; 0 never expires. */
  readonly creationTtl: number;
  /** Seconds granted at creation or at the last renewal; 0 never expires. */
  readonly ttl: number;
  /** Milliseconds, cluster clock; 0 never expires. */
  readonly expireTime: number;
  /** Milliseconds, cluster clock; null until renewed once. */
  readonly lastRenewalTime: number | null;
  /** Seconds; 0 when none. A hard limit that renewals cannot pass, periodic or not. */
  readonly explicitMaxTtl: number;
  /** Seconds; a periodic token renews to this, with no maximum unless `explicitMaxTtl`. */
  readonly period: number;
  /**
   * Uses left: 0 is unlimited; {@link LAST_USE_SPENT} marks a token whose last use is being spent
   * (the request that spent it is still running) and which no new request may use.
   */
  readonly numUses: number;
  readonly renewable: boolean;
  readonly orphan: boolean;
  /** The parent's hashed id; `''` for an orphan. */
  readonly parent: string;
  readonly type: TokenType;
  /** The role it was created against, or `''`. */
  readonly role: string;
  /** Always `''` until identity exists. */
  readonly entityId: string;
  /** Stored for auth methods to enforce; the store does not check it. */
  readonly boundCidrs: readonly string[];
  /** Set while the token's subtree is being revoked: it answers no lookup and gains no child. */
  readonly revoking?: boolean;
  /** For a token an auth method's login issued: what renewing it asks that method again. */
  readonly login?: LoginRecord;
}

/** What a login token keeps of its login (behind the barrier, never shown). */
export interface LoginRecord {
  /** The accessor of the auth mount that issued it. */
  readonly mountAccessor: string;
  readonly alias: string;
  readonly internal: Readonly<Record<string, unknown>>;
  /** Seconds; the method's max TTL at login, 0 for the system's. */
  readonly maxTtl: number;
}

/**
 * What the auth method that issued a login token says to its renewal, from its role's settings
 * as they are now (a user's `token_ttl` changed since the login applies to the next renewal).
 * Seconds.
 */
export interface LoginRenewalTerms {
  /** The max TTL now in force, counted from the token's creation; 0 for the system's. */
  readonly maxTtl: number;
  /** What a renewal that asks for no increment grants; 0 for the default TTL. */
  readonly ttl: number;
  /** The period now in force: the token renews to it, with no max but its explicit one. */
  readonly period: number;
}

/** What an auth method's login asks the token store for: an orphan token, no parent. */
export interface LoginTokenParams {
  /** The login request's path (`auth/userpass/login/alice`). */
  readonly path: string;
  /** The mount's name for the display name: `userpass` gives `userpass-alice`. */
  readonly mountName: string;
  /** The display name's second half; the alias when absent. */
  readonly displayName?: string;
  readonly login: LoginRecord;
  readonly policies: readonly string[];
  readonly noDefaultPolicy: boolean;
  readonly meta: Readonly<Record<string, string>>;
  readonly type: TokenType;
  /** Seconds, 0 for the defaults: the mount's default TTL and the system max. */
  readonly ttl: number;
  readonly maxTtl: number;
  readonly explicitMaxTtl: number;
  readonly period: number;
  readonly numUses: number;
  readonly boundCidrs: readonly string[];
}

/** {@link TokenEntry.numUses} of a token whose last allowed use is in flight. */
export const LAST_USE_SPENT = -1;

/** A token role: defaults and limits for tokens created through `auth/token/create/<name>`. */
export interface TokenRole {
  readonly name: string;
  readonly allowedPolicies: readonly string[];
  readonly allowedPoliciesGlob: readonly string[];
  readonly disallowedPolicies: readonly string[];
  readonly disallowedPoliciesGlob: readonly string[];
  readonly orphan: boolean;
  readonly renewable: boolean;
  readonly pathSuffix: string;
  readonly tokenExplicitMaxTtl: number;
  readonly tokenPeriod: number;
  readonly tokenType: RoleTokenType;
  readonly tokenTtl: number;
  readonly tokenMaxTtl: number;
  readonly tokenNoDefaultPolicy: boolean;
  readonly tokenNumUses: number;
  readonly tokenBoundCidrs: readonly string[];
}

/** What a caller asks for when creating a token; absent fields take Vault's defaults. */
export interface CreateTokenParams {
  /** The creation path recorded on the token, e.g. `auth/token/create`. */
  readonly path: string;
  /** Undefined inherits the parent's policies (or the role's allowed policies). */
  readonly policies?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
  /** `no_parent`: an orphan, which needs `sudo`. */
  readonly noParent?: boolean;
  /** The `create-orphan` endpoint: an orphan without needing `sudo`. */
  readonly orphan?: boolean;
  readonly noDefaultPolicy?: boolean;
  /** Defaults to true. */
  readonly renewable?: boolean;
  readonly ttl?: number;
  readonly explicitMaxTtl?: number;
  /** Needs `sudo` unless a role sets it. */
  readonly period?: number;
  readonly numUses?: number;
  readonly displayName?: string;
  readonly type?: TokenType;
  readonly role?: TokenRole;
  /** Whether the caller holds `sudo` on the creation path (the core's ACL decides). */
  readonly sudo?: boolean;
}

/** A created token: the only moment its id exists in clear. */
export interface CreatedToken {
  readonly clientToken: string;
  readonly entry: TokenEntry;
  /** Adjustments made to the request (a TTL capped by a maximum). */
  readonly warnings: readonly string[];
}

/** What {@link TokenStore.use} spent. */
export interface TokenUse {
  /** The entry as stored after the use. */
  readonly entry: TokenEntry;
  /**
   * True when this was the token's last use: it answers no new lookup, and the caller must call
   * `revoke(entry)` once the request that spent it has finished.
   */
  readonly exhausted: boolean;
}

/** Counts of what {@link TokenStore.tidy} removed. */
export interface TidyResult {
  readonly danglingAccessors: number;
  readonly danglingParentLinks: number;
  readonly orphanedChildrenRevoked: number;
}

export interface TokenStoreOptions {
  /** The `sys/token/` view of the barrier. */
  readonly storage: Storage;
  /** Milliseconds, cluster clock. */
  readonly now: () => number;
  readonly logger?: Logger;
  /** Tracks each expiring service token as a `token` lease. */
  readonly expiry?: ExpiryTracker;
  /**
   * Called with a revoked subtree, deepest first, before any of its records is removed: the core
   * revokes the tokens' leases. Rejecting leaves every token in place (the root of the subtree
   * stays unusable) and makes the revocation reject, so it can be retried.
   */
  readonly onRevoke?: (entries: readonly TokenEntry[]) => Promise<void>;
  /**
   * Called before a login token ({@link TokenEntry.login}) is renewed: the core asks the auth
   * method that issued it, which answers with its role's TTL settings now in force; rejecting
   * refuses the renewal with that error. Absent: the settings recorded at login apply.
   */
  readonly onRenewLogin?: (
    entry: TokenEntry,
    connection: ConnectionInfo,
  ) => Promise<LoginRenewalTerms>;
  /**
   * Whether the auth mount with this accessor is still enabled. A login token
   * ({@link TokenEntry.login}) is live only while the mount that issued it is: disabling a method
   * revokes its service tokens through their leases, but a batch token has no lease, so this
   * check at each lookup is what ends it. The accessor of a method enabled again at the same path
   * is a new one, so its old tokens stay dead. Absent: every issuer counts as enabled.
   */
  readonly isIssuerLive?: (mountAccessor: string) => boolean;
  /** Seconds; the system maximum TTL, 768h unless given. */
  readonly maxTtlSeconds?: number;
  /** Seconds; the TTL of a token that asks for none, the system maximum unless given. */
  readonly defaultTtlSeconds?: number;
}
