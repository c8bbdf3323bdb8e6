/** A userpass mount with a cheap scrypt cost and a hasher that records what it checked. */
import {
  createUserpassBackend,
  scryptHasher,
  type PasswordHash,
  type PasswordHasher,
} from '../../../src/auth/userpass/index.js';
import type { AuthBackend } from '../../../src/logical/index.js';
import { authHarness, type AuthHarness } from '../support.js';

/** Real scrypt, at a cost tests can afford (N=2^10 instead of 2^15). */
export const TEST_SCRYPT = { n: 1024, r: 8, p: 1, keyLength: 32, saltLength: 16 };

/** A hasher that remembers every record it made and every record it was asked to check. */
export interface CountingHasher extends PasswordHasher {
  readonly hashed: PasswordHash[];
  readonly verified: PasswordHash[];
}

export function countingHasher(): CountingHasher {
  const inner = scryptHasher(TEST_SCRYPT);
  const hashed: PasswordHash[] = [];
  const verified: PasswordHash[] = [];
  return {
    hashed,
    verified,
    async hash(password) {
      const record = await inner.hash(password);
      hashed.push(record);
      return record;
    },
    verify(password, stored) {
      verified.push(stored);
      return inner.verify(password, stored);
    },
  };
}

export interface UserpassHarness extends AuthHarness<AuthBackend> {
  hasher: CountingHasher;
  /** The record unknown users are checked against: the first one the backend hashed. */
  dummy(): Promise<PasswordHash>;
  /** Creates `name` with `password` and the given extra fields. */
  addUser(name: string, password: string, fields?: Record<string, unknown>): Promise<void>;
  login(name: string, password: string, remoteAddress?: string): ReturnType<AuthHarness['call']>;
}

export function userpassHarness(): UserpassHarness {
  const hasher = countingHasher();
  const harness = authHarness((context) => createUserpassBackend(context, { hasher }), 'userpass');
  // The dummy record is made as the mount loads, before any user.
  const dummy = async (): Promise<PasswordHash> => {
    while (hasher.hashed.length === 0) await new Promise((resolve) => setImmediate(resolve));
    return hasher.hashed[0] as PasswordHash;
  };
  return {
    ...harness,
    hasher,
    dummy,
    addUser: async (name, password, fields = {}) => {
      await dummy();
      await harness.call('update', `users/${name}`, { password, ...fields });
    },
    login: (name, password, remoteAddress) =>
      harness.call('update', `login/${name}`, { password }, remoteAddress),
  };
}
