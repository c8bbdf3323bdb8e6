/**
 * What userpass keeps in its mount's storage: one record per user at `user/<name>`, the name
 * lower-cased (Vault's userpass treats `Mary` and `mary` as the same user).
 */
import type { TokenFields } from '../../logical/index.js';
import type { PasswordHash } from './password.js';

/** The storage prefix of user records. */
export const USER_PREFIX = 'user/';

export interface StoredUser {
  /** The canonical (lower-case) user name; also the record's key. */
  readonly name: string;
  readonly password: PasswordHash;
  /** The tokens a login as this user asks for. */
  readonly token: TokenFields;
}
