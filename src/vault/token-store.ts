/**
 * Tokens. For now the only token is the root token created at init; the interface is the one the
 * full token store (children, TTLs, accessors, renewal, revocation) will implement.
 *
 * A token id never touches storage: entries are stored under the HMAC-SHA256 of the id, keyed by
 * a random per-cluster salt that itself lives behind the barrier (`sys/token/salt`). A lookup
 * computes the HMAC, reads `id/<hmac>` and compares the stored HMAC with the computed one in
 * constant time. A missing, unknown or expired token does the same work and resolves to null, so
 * the caller answers every case with the same 403.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { StorageConditionFailedError } from '../logical/errors.js';
import { decodeJson, encodeJson, type Storage } from '../logical/storage.js';
import { CoreStateCorruptError } from './errors.js';
import { newAccessor, newServiceTokenId } from './token-id.js';

/** A stored token, without its id. */
export interface TokenEntry {
  /** HMAC-SHA256 of the token id under the cluster salt, hex; the entry's storage key. */
  readonly hashedId: string;
  readonly accessor: string;
  readonly policies: readonly string[];
  /** The path that created the token, e.g. `auth/token/root`. */
  readonly path: string;
  readonly displayName: string;
  /** Unix seconds. */
  readonly creationTime: number;
  /** Seconds; 0 never expires (the root token). */
  readonly ttl: number;
  readonly numUses: number;
  readonly type: 'service';
  readonly orphan: boolean;
  readonly meta: Readonly<Record<string, string>> | null;
}

export interface TokenStore {
  /**
   * The entry of `clientToken`, or null when it is missing, unknown or expired. The three cases
   * cost the same, and the token is never logged or stored in clear.
   */
  lookup(clientToken: string | undefined): Promise<TokenEntry | null>;

  /**
   * Creates a root token (policy `root`, no expiry, orphan) and returns its id: the only moment
   * the id exists in clear.
   */
  createRoot(): Promise<{ clientToken: string; entry: TokenEntry }>;
}

const SALT_PATH = 'salt';
const SALT_BYTES = 32;
const ID_PREFIX = 'id/';
const ACCESSOR_PREFIX = 'accessor/';

/** The {@link TokenStore} over the `sys/token/` view of the barrier. */
export class SaltedTokenStore implements TokenStore {
  private constructor(
    private readonly storage: Storage,
    private readonly salt: Buffer,
    private readonly now: () => number,
  ) {}

  /**
   * Opens the store, creating the cluster salt when none exists yet (first unseal after init).
   * Concurrent openers on several nodes agree on one salt: the creation is conditional.
   */
  static async open(storage: Storage, now: () => number): Promise<SaltedTokenStore> {
    let salt = await storage.get(SALT_PATH);
    if (salt === undefined) {
      const fresh = randomBytes(SALT_BYTES);
      try {
        await storage.batch([
          { type: 'put', path: SALT_PATH, value: fresh, condition: { ifAbsent: true } },
        ]);
        salt = fresh;
      } catch (err) {
        if (!(err instanceof StorageConditionFailedError)) throw err;
        salt = await storage.get(SALT_PATH);
      }
    }
    if (salt === undefined || salt.byteLength !== SALT_BYTES) {
      throw new CoreStateCorruptError(`sys/token/${SALT_PATH}`);
    }
    return new SaltedTokenStore(storage, Buffer.from(salt), now);
  }

  async lookup(clientToken: string | undefined): Promise<TokenEntry | null> {
    const hashed = this.hash('token', clientToken ?? '');
    const stored = await this.storage.get(ID_PREFIX + hashed);
    if (stored === undefined || clientToken === undefined || clientToken.length === 0) return null;

    let entry: TokenEntry;
    try {
      entry = decodeJson<TokenEntry>(stored);
    } catch (cause) {
      throw new CoreStateCorruptError('sys/token/id/<hashed>', { cause });
    }
    const expected = Buffer.from(hashed, 'hex');
    const actual = Buffer.from(String(entry.hashedId), 'hex');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
    if (entry.ttl > 0 && entry.creationTime + entry.ttl <= this.now() / 1000) return null;
    return entry;
  }

  async createRoot(): Promise<{ clientToken: string; entry: TokenEntry }> {
    const clientToken = newServiceTokenId();
    const entry: TokenEntry = {
      hashedId: this.hash('token', clientToken),
      accessor: newAccessor(),
      policies: ['root'],
      path: 'auth/token/root',
      displayName: 'root',
      creationTime: Math.floor(this.now() / 1000),
      ttl: 0,
      numUses: 0,
      type: 'service',
      orphan: true,
      meta: null,
    };
    const accessorPath = ACCESSOR_PREFIX + this.hash('accessor', entry.accessor);
    await this.storage.batch([
      {
        type: 'put',
        path: ID_PREFIX + entry.hashedId,
        value: encodeJson(entry),
        condition: { ifAbsent: true },
      },
      { type: 'put', path: accessorPath, value: encodeJson({ hashedId: entry.hashedId }) },
    ]);
    return { clientToken, entry };
  }

  /** HMAC-SHA256 under the cluster salt, domain-separated by `purpose`, as hex. */
  private hash(purpose: string, value: string): string {
    const hmac = createHmac('sha256', this.salt).update(`${purpose}:`);
    return hmac.update(value, 'utf8').digest('hex');
  }
}
