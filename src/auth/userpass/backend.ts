/**
 * The userpass auth method (vault-api.md §2.3): users with a password, who log in at
 * `login/<name>` and receive the token their record's `token_*` fields describe. Paths relative
 * to the mount:
 *
 * | path                    | operations                                   |
 * |-------------------------|----------------------------------------------|
 * | `users`                 | list                                         |
 * | `users/<name>`          | create, read (no password), update, delete   |
 * | `users/<name>/password` | update                                       |
 * | `users/<name>/policies` | update                                       |
 * | `login/<name>`          | update `{password}`; served without a token  |
 *
 * User names are case-insensitive: every path, the storage key and the lockout alias use the
 * lower-case form.
 */
import { randomBytes } from 'node:crypto';
import {
  PathBackend,
  type AuthBackend,
  type BackendContext,
} from '../../logical/index.js';
import { scryptHasher, type PasswordHash, type PasswordHasher } from './password.js';
import { loginAliasOf, loginPath, renewUserLogin } from './path-login.js';
import { userPaths } from './path-users.js';
import { UserStore } from './user-store.js';

/** The mount type userpass registers under. */
export const USERPASS_MOUNT_TYPE = 'userpass';

export interface UserpassOptions {
  /** How passwords are hashed and checked: scrypt with its default cost unless given. */
  readonly hasher?: PasswordHasher;
}

const LOGIN_PREFIX = 'login/';

/** Builds the userpass backend of one mount. */
export function createUserpassBackend(
  context: BackendContext,
  options: UserpassOptions = {},
): AuthBackend {
  const store = new UserStore(context.storage);
  const hasher = options.hasher ?? scryptHasher();
  const paths = new PathBackend([
    ...userPaths(store, hasher),
    loginPath(store, hasher, dummyPassword(hasher)),
  ]);

  return {
    handleRequest: (request) => paths.handleRequest(request),
    existenceCheck: (request) => paths.existenceCheck(request),
    isLoginPath: (path) => path.startsWith(LOGIN_PREFIX),
    loginAlias: ({ path }) => {
      const name = path.startsWith(LOGIN_PREFIX) ? path.slice(LOGIN_PREFIX.length) : '';
      return name.length === 0 || name.includes('/') ? null : loginAliasOf(name);
    },
    renewLogin: (renewal) => renewUserLogin(store, renewal),
  };
}

/**
 * The record unknown users' passwords are checked against: the hash of a random password no one
 * knows, made by `hasher` itself so it costs what a real user's check costs. It is made as the
 * mount loads, so the first unknown-user login is no slower than the rest; a failed attempt to
 * make it is retried at the next call.
 */
function dummyPassword(hasher: PasswordHasher): () => Promise<PasswordHash> {
  let record: Promise<PasswordHash> | undefined;
  const get = (): Promise<PasswordHash> => {
    if (record === undefined) {
      const made = hasher.hash(randomBytes(32).toString('base64'));
      made.catch(() => {
        if (record === made) record = undefined;
      });
      record = made;
    }
    return record;
  };
  void get();
  return get;
}
