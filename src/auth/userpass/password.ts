/**
 * Password hashing for userpass: scrypt from `node:crypto` with a random salt per password, the
 * cost parameters stored beside the hash (so they can be raised later without breaking stored
 * users), and a constant-time comparison.
 *
 * Vault uses bcrypt (vault-api.md §2.3); Coffer uses scrypt because it ships with Node and is
 * memory-hard. `password_hash` (a bcrypt hash supplied by the client) is therefore not accepted.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** A stored password: never the password itself. */
export interface PasswordHash {
  readonly algorithm: 'scrypt';
  /** The CPU/memory cost, a power of two. */
  readonly n: number;
  readonly r: number;
  readonly p: number;
  /** Base64. */
  readonly salt: string;
  /** Base64; its length is the derived key length. */
  readonly hash: string;
}

/** How passwords are hashed and checked; tests inject a cheaper or counting one. */
export interface PasswordHasher {
  /** A fresh hash of `password` with a new random salt. */
  hash(password: string): Promise<PasswordHash>;
  /**
   * Whether `password` matches `stored`. Takes as long as hashing with `stored`'s parameters,
   * match or not; a record it cannot use (unknown algorithm, absurd parameters) never matches.
   */
  verify(password: string, stored: PasswordHash): Promise<boolean>;
}

export interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly keyLength: number;
  readonly saltLength: number;
}

/**
 * N=2^15, r=8, p=1: 32 MiB and tens of milliseconds per hash, the usual interactive-login cost
 * (RFC 7914 §2 explains the parameters).
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = {
  n: 2 ** 15,
  r: 8,
  p: 1,
  keyLength: 32,
  saltLength: 16,
};

// Stored records are trusted only within these bounds, so a damaged record cannot make one
// login allocate gigabytes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_KEY_LENGTH = 64;

/** A {@link PasswordHasher} using scrypt with `params` for new hashes. */
export function scryptHasher(params: ScryptParams = DEFAULT_SCRYPT_PARAMS): PasswordHasher {
  return {
    async hash(password) {
      const salt = randomBytes(params.saltLength);
      const key = await derive(password, salt, params.keyLength, params);
      return {
        algorithm: 'scrypt',
        n: params.n,
        r: params.r,
        p: params.p,
        salt: salt.toString('base64'),
        hash: key.toString('base64'),
      };
    },

    async verify(password, stored) {
      const expected = Buffer.from(stored.hash, 'base64');
      const usable =
        stored.algorithm === 'scrypt' &&
        isPowerOfTwo(stored.n) &&
        stored.n <= MAX_N &&
        isIn(stored.r, 1, MAX_R) &&
        isIn(stored.p, 1, MAX_P) &&
        isIn(expected.length, 16, MAX_KEY_LENGTH);
      // An unusable record still costs a hash at the current parameters, so it answers no
      // faster than a real mismatch.
      const cost = usable ? stored : params;
      const length = usable ? expected.length : params.keyLength;
      const actual = await derive(password, Buffer.from(stored.salt, 'base64'), length, cost);
      return usable && timingSafeEqual(actual, expected);
    },
  };
}

function derive(
  password: string,
  salt: Buffer,
  keyLength: number,
  cost: { readonly n: number; readonly r: number; readonly p: number },
): Promise<Buffer> {
  const options: ScryptOptions = {
    N: cost.n,
    r: cost.r,
    p: cost.p,
    // Node refuses unless maxmem exceeds 128·N·r (RFC 7914 §2's memory use), with headroom.
    maxmem: 256 * cost.n * cost.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function isPowerOfTwo(value: number): boolean {
  return Number.isSafeInteger(value) && value > 1 && (value & (value - 1)) === 0;
}

function isIn(value: number, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= min && value <= max;
}
