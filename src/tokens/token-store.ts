/**
 * The token store (vault-api.md §2.2 and §4): service tokens persisted under salted HMACs of
 * their ids, batch tokens that carry their own sealed entry, parent/child hierarchies, TTLs,
 * renewal, use counts and roles. The core hands it the `sys/token/` view of the barrier.
 *
 * A lookup of a missing, unknown, expired or revoked service token does the same work (one HMAC,
 * one read, one constant-time compare) and resolves to null, so the caller answers every case
 * with the same 403. Nothing here logs a token id.
 */
import { timingSafeEqual } from 'node:crypto';

import { InvalidRequestError, StorageConditionFailedError } from '../logical/errors.js';
import { LOCAL_CONNECTION, type ConnectionInfo } from '../logical/request.js';
import type { StorageOp } from '../logical/storage.js';
import { RESPONSE_WRAPPING_POLICY_NAME } from '../policy/response-wrapping-policy.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { BatchSealer, openRandomSecret } from './batch-seal.js';
import { TokenContentionError } from './errors.js';
import { DEFAULT_POLICY, ROOT_POLICY, resolvePolicies, sanitizePolicies } from './token-policies.js';
import {
  BATCH_KEY_PATH,
  SALT_BYTES,
  SALT_PATH,
  TokenRecords,
  type StoredEntry,
} from './token-records.js';
import {
  revokeOrphan,
  revokeTree,
  tidyTokens,
  tokenLeaseId,
  type RevokeContext,
} from './token-revoke.js';
import { TokenRoleStore } from './role-store.js';
import { BATCH_TOKEN_PREFIX, newAccessor, newServiceTokenId } from './token-id.js';
import { calculateTtl, capToParent } from './token-ttl.js';
import {
  LAST_USE_SPENT,
  type CreatedToken,
  type CreateTokenParams,
  type LoginRenewalTerms,
  type LoginTokenParams,
  type TidyResult,
  type TokenEntry,
  type TokenRole,
  type TokenStoreOptions,
  type TokenType,
  type TokenUse,
} from './types.js';

/** 768h, Vault's default system maximum TTL. */
export const DEFAULT_MAX_TTL_SECONDS = 768 * 3600;
const MAX_ATTEMPTS = 8;
const DISPLAY_NAME_UNSAFE = /[^a-zA-Z0-9-]/g;

/** Options for {@link TokenStore.lookup}. */
export interface LookupOptions {
  /**
   * Also accept a token whose last use is being spent: for the token backend serving the very
   * request that spent it (`lookup-self`, `revoke-self`). The core never sets it.
   */
  readonly inFlight?: boolean;
}

export class TokenStore {
  /** The token roles. */
  readonly roles: TokenRoleStore;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly maxTtl: number;
  private readonly defaultTtl: number;
  private readonly revocation: RevokeContext;
  private readonly onRenewLogin: TokenStoreOptions['onRenewLogin'];
  private readonly isIssuerLive: TokenStoreOptions['isIssuerLive'];

  private constructor(
    private readonly records: TokenRecords,
    private readonly sealer: BatchSealer,
    options: TokenStoreOptions,
  ) {
    this.roles = new TokenRoleStore(options.storage);
    this.now = options.now;
    this.log = options.logger ?? silentLogger;
    this.maxTtl = options.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;
    this.defaultTtl = Math.min(options.defaultTtlSeconds ?? this.maxTtl, this.maxTtl);
    this.onRenewLogin = options.onRenewLogin;
    this.isIssuerLive = options.isIssuerLive;
    this.revocation = {
      records,
      logger: this.log,
      ...(options.expiry === undefined ? {} : { expiry: options.expiry }),
      ...(options.onRevoke === undefined ? {} : { onRevoke: options.onRevoke }),
    };
  }

  /**
   * Opens the store, creating the cluster salt and the batch token key when none exist yet (the
   * first unseal after init). Concurrent openers on several nodes agree on both: their creation
   * is conditional.
   */
  static async open(options: TokenStoreOptions): Promise<TokenStore> {
    const salt = await openRandomSecret(options.storage, SALT_PATH, SALT_BYTES);
    const sealer = await BatchSealer.open(options.storage, BATCH_KEY_PATH);
    return new TokenStore(new TokenRecords(options.storage, salt), sealer, options);
  }

  /**
   * The entry of `clientToken`, or null when it is missing, unknown, expired, revoked or has no
   * use left. A batch token also resolves to null once its (non-orphan) parent is gone, and a
   * login token once the auth mount that issued it is ({@link TokenStoreOptions.isIssuerLive}).
   */
  async lookup(
    clientToken: string | undefined,
    options: LookupOptions = {},
  ): Promise<TokenEntry | null> {
    const token = clientToken ?? '';
    if (token.startsWith(BATCH_TOKEN_PREFIX)) return this.lookupBatch(token);

    const hashed = this.records.hashId(token);
    const stored = await this.records.storage.get(this.records.idPath(hashed));
    if (stored === undefined || token.length === 0) return null;
    const entry = this.records.decode(stored);
    const expected = Buffer.from(hashed, 'hex');
    const actual = Buffer.from(entry.hashedId, 'hex');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
    return this.usable(entry, options.inFlight === true) && this.issuerLive(entry) ? entry : null;
  }

  /** The live entry named by `accessor`, or null. */
  async lookupByAccessor(accessor: string): Promise<TokenEntry | null> {
    if (accessor.length === 0) return null;
    const record = await this.records.readAccessor(accessor);
    if (record === undefined || record.accessor !== accessor) return null;
    return this.lookupByHashedId(record.hashedId);
  }

  /** The live service token stored under `hashedId`, or null. */
  async lookupByHashedId(hashedId: string): Promise<TokenEntry | null> {
    const stored = await this.records.read(hashedId);
    if (stored === undefined) return null;
    return this.usable(stored.entry, false) && this.issuerLive(stored.entry) ? stored.entry : null;
  }

  /**
   * Creates a token as `parent` (the calling token), following Vault's rules: see
   * {@link resolvePolicies} for the policies; `no_parent` and a `period` not set by the role
   * need `params.sudo`; a limited-use or batch token cannot create tokens; the TTL is the
   * requested one (or the role's, or the default), capped by the explicit max, the role's max,
   * the system max and, for a child of a non-periodic parent, the parent's remaining life.
   * Throws `InvalidRequestError` (400) for what the caller may not have.
   */
  async create(parent: TokenEntry, params: CreateTokenParams): Promise<CreatedToken> {
    const now = this.now();
    const role = params.role;
    if (parent.type === 'batch') {
      throw new InvalidRequestError('batch tokens cannot create more tokens');
    }
    if (parent.numUses !== 0) {
      throw new InvalidRequestError('restricted use token cannot generate child tokens');
    }

    const type = tokenType(params.type, role);
    let orphan = params.orphan === true || role?.orphan === true;
    if (params.noParent === true) {
      if (params.sudo !== true) {
        throw new InvalidRequestError('root or sudo privileges required to create orphan token');
      }
      orphan = true;
    }

    const policies = resolvePolicies({
      parentPolicies: parent.policies,
      ...(params.policies === undefined ? {} : { requested: params.policies }),
      ...(role === undefined ? {} : { role }),
      noDefaultPolicy: params.noDefaultPolicy === true,
    });

    // Only the core hands out wrapping tokens (createWrapping), as in Vault.
    if (policies.includes(RESPONSE_WRAPPING_POLICY_NAME)) {
      throw new InvalidRequestError(`cannot assign policy "${RESPONSE_WRAPPING_POLICY_NAME}"`);
    }

    let period = 0;
    if (role !== undefined && role.tokenPeriod > 0) {
      period = role.tokenPeriod;
    } else if ((params.period ?? 0) > 0) {
      if (params.sudo !== true) {
        throw new InvalidRequestError('root or sudo privileges required to create periodic token');
      }
      period = params.period ?? 0;
    }
    const explicitMaxTtl = smallestPositive(
      params.explicitMaxTtl ?? 0,
      role?.tokenExplicitMaxTtl ?? 0,
    );
    const numUses = usesFor(params.numUses ?? 0, role?.tokenNumUses ?? 0);
    let renewable = (params.renewable ?? true) && (role?.renewable ?? true);

    if (type === 'batch') {
      if (period > 0) throw new InvalidRequestError('batch tokens cannot be periodic');
      if (numUses > 0) throw new InvalidRequestError('batch tokens cannot have a use limit');
      if (policies.includes(ROOT_POLICY)) {
        throw new InvalidRequestError('batch tokens cannot be root tokens');
      }
      renewable = false;
    }

    const requestedTtl = (params.ttl ?? 0) > 0 ? (params.ttl ?? 0) : (role?.tokenTtl ?? 0);
    let ttl = 0;
    let warnings: string[] = [];
    if (period > 0 || requestedTtl > 0 || !policies.includes(ROOT_POLICY)) {
      ({ ttl, warnings } = calculateTtl({
        now,
        start: now,
        requested: requestedTtl,
        fallback: this.defaultTtl,
        systemMax: this.maxTtl,
        roleMax: role?.tokenMaxTtl ?? 0,
        explicitMax: explicitMaxTtl,
        period,
      }));
    }
    if (ttl === 0 && explicitMaxTtl > 0) ttl = explicitMaxTtl;
    if (!orphan && parent.period === 0) ttl = capToParent(ttl, now, parent.expireTime);
    if (ttl === 0 && parent.expireTime !== 0) {
      throw new InvalidRequestError('expiring root tokens cannot create non-expiring root tokens');
    }
    if (ttl === 0) renewable = false;

    const suffix = role?.pathSuffix ?? '';
    const draft: Omit<TokenEntry, 'hashedId'> = {
      accessor: type === 'service' ? newAccessor() : '',
      policies,
      path: suffix === '' ? params.path : `${params.path}/${suffix}`,
      meta: params.meta === undefined || Object.keys(params.meta).length === 0 ? null : params.meta,
      displayName: displayName(params.displayName ?? ''),
      creationTime: Math.floor(now / 1000),
      creationTtl: ttl,
      ttl,
      expireTime: ttl === 0 ? 0 : now + ttl * 1000,
      lastRenewalTime: null,
      explicitMaxTtl,
      period,
      numUses,
      renewable,
      orphan,
      parent: orphan ? '' : parent.hashedId,
      type,
      role: role?.name ?? '',
      entityId: '',
      boundCidrs: role?.tokenBoundCidrs ?? [],
    };

    return this.issue(draft, warnings, 'token created');
  }

  /**
   * Creates the orphan token an auth method's login asked for (auth-method.ts): policies plus
   * `default` unless left off, the TTL asked for or the default, capped by the method's max,
   * the explicit max and the system max; a period renews with no cap but the explicit max.
   * Throws `InvalidRequestError` (400) for a batch token that is periodic or limited in uses.
   */
  async createLogin(params: LoginTokenParams): Promise<CreatedToken> {
    const now = this.now();
    // A login is no child: the method's policies are the token's, never root.
    const asked = params.policies.filter((policy) => {
      const name = policy.trim().toLowerCase();
      return name !== ROOT_POLICY && name !== RESPONSE_WRAPPING_POLICY_NAME;
    });
    const policies = sanitizePolicies(params.noDefaultPolicy ? asked : [...asked, DEFAULT_POLICY]);
    if (params.type === 'batch' && (params.period > 0 || params.numUses > 0)) {
      throw new InvalidRequestError('batch tokens cannot be periodic or have a use limit');
    }
    const { ttl, warnings } = calculateTtl({
      now,
      start: now,
      requested: params.ttl,
      fallback: this.defaultTtl,
      systemMax: this.maxTtl,
      roleMax: params.maxTtl,
      explicitMax: params.explicitMaxTtl,
      period: params.period,
    });
    const draft: Omit<TokenEntry, 'hashedId'> = {
      accessor: params.type === 'service' ? newAccessor() : '',
      policies,
      path: params.path,
      meta: Object.keys(params.meta).length === 0 ? null : params.meta,
      displayName: `${params.mountName}-${params.displayName ?? params.login.alias}`.replace(
        DISPLAY_NAME_UNSAFE,
        '-',
      ),
      creationTime: Math.floor(now / 1000),
      creationTtl: ttl,
      ttl,
      expireTime: ttl === 0 ? 0 : now + ttl * 1000,
      lastRenewalTime: null,
      explicitMaxTtl: params.explicitMaxTtl,
      period: params.period,
      numUses: params.numUses,
      renewable: params.type === 'service' && ttl > 0,
      orphan: true,
      parent: '',
      type: params.type,
      role: '',
      entityId: '',
      boundCidrs: params.boundCidrs,
      login: params.login,
    };
    return this.issue(draft, warnings, 'login token created');
  }

  /**
   * Creates a wrapping token (src/vault/wrapping.ts): an orphan service token whose only policy
   * is `response-wrapping`, with one use, not renewable, expiring after `ttl` seconds (capped
   * by the system max), recording `path`, the request whose response it wraps, as its creation
   * path. Its expiry is tracked like any token's, so the expiration manager revokes it (and the
   * core destroys its cubbyhole) when it was never unwrapped.
   */
  async createWrapping(params: { path: string; ttl: number }): Promise<CreatedToken> {
    const now = this.now();
    const ttl = Math.min(params.ttl, this.maxTtl);
    if (!(ttl > 0)) throw new InvalidRequestError('a wrapping TTL must be positive');
    const draft: Omit<TokenEntry, 'hashedId'> = {
      accessor: newAccessor(),
      policies: [RESPONSE_WRAPPING_POLICY_NAME],
      path: params.path,
      meta: null,
      displayName: '',
      creationTime: Math.floor(now / 1000),
      creationTtl: ttl,
      ttl,
      expireTime: now + ttl * 1000,
      lastRenewalTime: null,
      explicitMaxTtl: 0,
      period: 0,
      numUses: 1,
      renewable: false,
      orphan: true,
      parent: '',
      type: 'service',
      role: '',
      entityId: '',
      boundCidrs: [],
    };
    const warnings = ttl < params.ttl ? [`wrapping TTL capped to ${ttl}s`] : [];
    return this.issue(draft, warnings, 'wrapping token created');
  }

  /**
   * Gives `draft` its id: a batch token seals the entry into the id itself; a service token
   * gets a random id, its expiry tracked as a lease, then its records written (a child's
   * together with its parent's, see {@link TokenStore.writeCreated}).
   */
  private async issue(
    draft: Omit<TokenEntry, 'hashedId'>,
    warnings: readonly string[],
    event: string,
  ): Promise<CreatedToken> {
    if (draft.type === 'batch') {
      const clientToken = this.sealer.seal(draft);
      const entry: TokenEntry = { ...draft, hashedId: this.records.hashId(clientToken) };
      return { clientToken, entry, warnings };
    }
    const clientToken = newServiceTokenId();
    const entry: TokenEntry = { ...draft, hashedId: this.records.hashId(clientToken) };
    await this.trackExpiry(entry);
    try {
      await this.writeCreated(entry);
    } catch (err) {
      if (entry.expireTime !== 0) await this.revocation.expiry?.untrack(tokenLeaseId(entry));
      throw err;
    }
    this.log.debug({ accessor: entry.accessor, path: entry.path }, event);
    return { clientToken, entry, warnings };
  }

  /**
   * Creates a root token (policy `root`, no expiry, orphan) and returns its id: the only moment
   * the id exists in clear.
   */
  async createRoot(): Promise<{ clientToken: string; entry: TokenEntry }> {
    const clientToken = newServiceTokenId();
    const entry: TokenEntry = {
      hashedId: this.records.hashId(clientToken),
      accessor: newAccessor(),
      policies: [ROOT_POLICY],
      path: 'auth/token/root',
      meta: null,
      displayName: 'root',
      creationTime: Math.floor(this.now() / 1000),
      creationTtl: 0,
      ttl: 0,
      expireTime: 0,
      lastRenewalTime: null,
      explicitMaxTtl: 0,
      period: 0,
      numUses: 0,
      renewable: false,
      orphan: true,
      parent: '',
      type: 'service',
      role: '',
      entityId: '',
      boundCidrs: [],
    };
    await this.records.storage.batch(this.records.creationOps(entry));
    return { clientToken, entry };
  }

  /**
   * Spends one use of a limited-use token; unlimited tokens pass without a write. The decrement
   * is a conditional write, so two nodes cannot both spend the last use: the loser resolves to
   * null, as does a token that is gone or has no use left.
   */
  async use(entry: TokenEntry): Promise<TokenUse | null> {
    if (entry.type === 'batch' || entry.numUses === 0) return { entry, exhausted: false };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const stored = await this.records.read(entry.hashedId);
      if (stored === undefined || !this.usable(stored.entry, false)) return null;
      const left = stored.entry.numUses - 1;
      const next: TokenEntry = { ...stored.entry, numUses: left === 0 ? LAST_USE_SPENT : left };
      if (await this.replace(stored, next)) return { entry: next, exhausted: left === 0 };
    }
    throw new TokenContentionError('use');
  }

  /**
   * Renews a service token by `increment` seconds from now (0: its creation TTL); a periodic
   * token renews to its period. The result is capped by the explicit max, the role's max and the
   * system max counted from creation, and by a non-periodic parent's remaining life. A login
   * token renews on the terms its auth method gives now ({@link TokenStoreOptions.onRenewLogin}):
   * their TTL stands in for a missing increment, their period replaces the token's, and their
   * max TTL caps it, as Vault applies a role's current settings at each renewal. Throws
   * `InvalidRequestError` (400) for a batch, non-renewable or revoked token, or one past its max.
   */
  async renew(
    entry: TokenEntry,
    increment: number,
    options: { connection?: ConnectionInfo } = {},
  ): Promise<{ entry: TokenEntry; warnings: string[] }> {
    if (entry.type === 'batch') throw new InvalidRequestError('batch tokens cannot be renewed');
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const stored = await this.records.read(entry.hashedId);
      if (stored === undefined || !this.usable(stored.entry, true)) {
        throw new InvalidRequestError('token not found');
      }
      const current = stored.entry;
      if (!current.renewable || current.expireTime === 0) {
        throw new InvalidRequestError('token is not renewable');
      }
      const now = this.now();
      const role = current.role === '' ? undefined : await this.roles.get(current.role);
      const terms =
        current.login === undefined
          ? null
          : await this.checkLoginRenewal(current, options.connection ?? LOCAL_CONNECTION);
      const period = terms === null ? current.period : terms.period;
      let fallback = current.creationTtl;
      if (terms !== null) fallback = terms.ttl > 0 ? terms.ttl : this.defaultTtl;
      const result = calculateTtl({
        now,
        start: current.creationTime * 1000,
        requested: increment,
        fallback,
        systemMax: this.maxTtl,
        roleMax: smallestPositive(role?.tokenMaxTtl ?? 0, terms?.maxTtl ?? 0),
        explicitMax: current.explicitMaxTtl,
        period,
      });
      let ttl = result.ttl;
      if (!current.orphan && current.parent !== '') {
        const parent = await this.records.read(current.parent);
        if (parent !== undefined && parent.entry.period === 0) {
          ttl = capToParent(ttl, now, parent.entry.expireTime);
        }
      }
      const expireTime = now + ttl * 1000;
      const next: TokenEntry = { ...current, ttl, expireTime, lastRenewalTime: now, period };
      await this.trackExpiry(next);
      if (await this.replace(stored, next)) return { entry: next, warnings: result.warnings };
    }
    throw new TokenContentionError('renew');
  }

  /**
   * Revokes `entry` and its whole subtree, deepest first: `onRevoke` sees the subtree before any
   * record is removed, and each token's expiry is untracked. Revoking a batch token is a no-op
   * (it cannot be revoked; it stops working with its parent or at its TTL).
   */
  async revoke(entry: TokenEntry): Promise<void> {
    if (entry.type === 'batch') return;
    await revokeTree(this.revocation, entry.hashedId);
  }

  /** Revokes `entry` alone; its children become orphans. */
  async revokeOrphan(entry: TokenEntry): Promise<void> {
    if (entry.type === 'batch') return;
    await revokeOrphan(this.revocation, entry.hashedId);
  }

  /**
   * Revokes the token stored under `hashedId` and its subtree; a token already gone succeeds.
   * This is the expiration manager's revoker for `token` leases.
   */
  async revokeByHashedId(hashedId: string): Promise<void> {
    await revokeTree(this.revocation, hashedId);
  }

  /** Every accessor, sorted (for `auth/token/accessors`). */
  async listAccessors(): Promise<string[]> {
    const accessors: string[] = [];
    for (const hashed of await this.records.hashedAccessors()) {
      const record = await this.records.readAccessorByHash(hashed);
      if (record !== undefined) accessors.push(record.accessor);
    }
    return accessors.sort();
  }

  /** Removes index records that point at missing tokens; see {@link tidyTokens}. */
  async tidy(): Promise<TidyResult> {
    return tidyTokens(this.revocation);
  }

  /** The auth method's say on renewing a login token; without one, the terms of the login. */
  private async checkLoginRenewal(
    entry: TokenEntry,
    connection: ConnectionInfo,
  ): Promise<LoginRenewalTerms> {
    if (this.onRenewLogin !== undefined) return this.onRenewLogin(entry, connection);
    return { maxTtl: entry.login?.maxTtl ?? 0, ttl: entry.creationTtl, period: entry.period };
  }

  private async lookupBatch(token: string): Promise<TokenEntry | null> {
    const payload = this.sealer.open(token) as Omit<TokenEntry, 'hashedId'> | null;
    if (payload === null || typeof payload !== 'object' || payload.type !== 'batch') return null;
    const entry: TokenEntry = { ...payload, hashedId: this.records.hashId(token) };
    if (!this.usable(entry, false) || !this.issuerLive(entry)) return null;
    if (entry.parent !== '') {
      const parent = await this.records.read(entry.parent);
      if (parent === undefined || !this.usable(parent.entry, true)) return null;
    }
    return entry;
  }

  /** False for a login token whose auth mount is no longer enabled. */
  private issuerLive(entry: TokenEntry): boolean {
    const accessor = entry.login?.mountAccessor;
    return accessor === undefined || this.isIssuerLive === undefined || this.isIssuerLive(accessor);
  }

  private usable(entry: TokenEntry, inFlight: boolean): boolean {
    if (entry.revoking === true) return false;
    if (entry.numUses === LAST_USE_SPENT && !inFlight) return false;
    return entry.expireTime === 0 || entry.expireTime > this.now();
  }

  /**
   * Writes a new service token's records. For a child, the same batch rewrites the parent's
   * record with its own bytes, conditionally: a parent revoked (or changed) meanwhile fails the
   * batch instead of leaving a child nobody will revoke.
   */
  private async writeCreated(entry: TokenEntry): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const ops = this.records.creationOps(entry);
      if (entry.parent !== '') {
        const parent = await this.records.read(entry.parent);
        if (parent === undefined || !this.usable(parent.entry, false)) {
          throw new InvalidRequestError('parent token has been revoked');
        }
        ops.push(this.rewrite(parent));
      }
      try {
        await this.records.storage.batch(ops);
        return;
      } catch (err) {
        if (!(err instanceof StorageConditionFailedError) || err.index < 2) throw err;
      }
    }
    throw new TokenContentionError('create');
  }

  private rewrite(stored: StoredEntry): StorageOp {
    const path = this.records.idPath(stored.entry.hashedId);
    return { type: 'put', path, value: stored.bytes, condition: { ifValue: stored.bytes } };
  }

  /** Replaces `stored` with `next` if it is unchanged; false when someone else changed it. */
  private async replace(stored: StoredEntry, next: TokenEntry): Promise<boolean> {
    try {
      await this.records.storage.batch([
        {
          type: 'put',
          path: this.records.idPath(next.hashedId),
          value: this.records.encode(next),
          condition: { ifValue: stored.bytes },
        },
      ]);
      return true;
    } catch (err) {
      if (err instanceof StorageConditionFailedError) return false;
      throw err;
    }
  }

  private async trackExpiry(entry: TokenEntry): Promise<void> {
    if (entry.expireTime === 0) return;
    await this.revocation.expiry?.track({
      id: tokenLeaseId(entry),
      kind: 'token',
      path: entry.path,
      issueTime: entry.creationTime * 1000,
      expireTime: entry.expireTime,
      renewable: entry.renewable,
      ownerToken: entry.hashedId,
      internal: {},
    });
  }
}

/** The token type a request gets, given what it asked for and the role's `token_type`. */
function tokenType(requested: TokenType | undefined, role: TokenRole | undefined): TokenType {
  const fromRole = role?.tokenType ?? 'default-service';
  if (fromRole === 'service' || fromRole === 'batch') {
    if (requested !== undefined && requested !== fromRole) {
      throw new InvalidRequestError(`the role only issues ${fromRole} tokens`);
    }
    return fromRole;
  }
  return requested ?? (fromRole === 'default-batch' ? 'batch' : 'service');
}

function smallestPositive(a: number, b: number): number {
  if (a > 0 && b > 0) return Math.min(a, b);
  return a > 0 ? a : b;
}

function usesFor(requested: number, roleLimit: number): number {
  if (requested < 0) throw new InvalidRequestError('number of uses cannot be negative');
  if (roleLimit > 0) return requested > 0 ? Math.min(requested, roleLimit) : roleLimit;
  return requested;
}

/** Vault's display names: `token-` and the name with unsafe characters as `-`; `token` alone. */
function displayName(name: string): string {
  if (name.length === 0) return 'token';
  return `token-${name}`.replace(DISPLAY_NAME_UNSAFE, '-').replace(/-+$/, '');
}
