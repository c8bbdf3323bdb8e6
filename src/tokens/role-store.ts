/**
 * Token roles, stored at `roles/<name>` in the token store's view. A role sets defaults and
 * limits for the tokens created through `auth/token/create/<name>` (Vault's token auth API,
 * "Create/Update token role"); `token_bound_cidrs` is stored for auth methods to enforce.
 */
import { InvalidRequestError } from '../logical/errors.js';
import { decodeJson, encodeJson, type Storage } from '../logical/storage.js';
import { TokenStateCorruptError } from './errors.js';
import type { TokenRole } from './types.js';

const ROLE_PREFIX = 'roles/';
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const SUFFIX = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** A role with every field at Vault's default. */
export function defaultRole(name: string): TokenRole {
  return {
    name,
    allowedPolicies: [],
    allowedPoliciesGlob: [],
    disallowedPolicies: [],
    disallowedPoliciesGlob: [],
    orphan: false,
    renewable: true,
    pathSuffix: '',
    tokenExplicitMaxTtl: 0,
    tokenPeriod: 0,
    tokenType: 'default-service',
    tokenTtl: 0,
    tokenMaxTtl: 0,
    tokenNoDefaultPolicy: false,
    tokenNumUses: 0,
    tokenBoundCidrs: [],
  };
}

/**
 * A role name as stored: lower-cased (Vault's role names are case-insensitive). Throws
 * `InvalidRequestError` for a name that is empty or holds anything but letters, digits, `.`, `_`
 * and `-`.
 */
export function roleName(name: string): string {
  const lower = name.toLowerCase();
  if (!NAME.test(lower)) throw new InvalidRequestError('invalid role name', { role: name });
  return lower;
}

/** Throws `InvalidRequestError` unless `role` is consistent; returns it. */
export function validateRole(role: TokenRole): TokenRole {
  const suffix = role.pathSuffix;
  if (suffix !== '' && (!SUFFIX.test(suffix) || suffix.split('/').includes('..'))) {
    throw new InvalidRequestError('path_suffix may hold only letters, digits, ".", "_", "-", "/"');
  }
  if (role.tokenMaxTtl > 0 && role.tokenTtl > role.tokenMaxTtl) {
    throw new InvalidRequestError('"token_ttl" cannot be greater than "token_max_ttl"');
  }
  if (role.tokenType === 'batch' && role.tokenPeriod > 0) {
    throw new InvalidRequestError('batch tokens cannot be periodic');
  }
  if (role.tokenType === 'batch' && role.tokenNumUses > 0) {
    throw new InvalidRequestError('batch tokens cannot have a use limit');
  }
  return role;
}

/** CRUD over the stored roles. */
export class TokenRoleStore {
  constructor(private readonly storage: Storage) {}

  /** The role `name`, or undefined. */
  async get(name: string): Promise<TokenRole | undefined> {
    const bytes = await this.storage.get(ROLE_PREFIX + roleName(name));
    if (bytes === undefined) return undefined;
    try {
      return { ...defaultRole(name), ...decodeJson<Partial<TokenRole>>(bytes) };
    } catch (cause) {
      throw new TokenStateCorruptError(`sys/token/${ROLE_PREFIX}${name}`, { cause });
    }
  }

  async put(role: TokenRole): Promise<void> {
    const name = roleName(role.name);
    await this.storage.put(ROLE_PREFIX + name, encodeJson({ ...validateRole(role), name }));
  }

  async delete(name: string): Promise<void> {
    await this.storage.delete(ROLE_PREFIX + roleName(name));
  }

  /** Role names, sorted. */
  async list(): Promise<string[]> {
    const keys = await this.storage.list(ROLE_PREFIX);
    return keys.filter((key) => !key.endsWith('/'));
  }
}
