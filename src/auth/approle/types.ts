/**
 * What AppRole keeps in its mount's storage. Role IDs, secret IDs and accessors are never keys
 * as they are: each is keyed by its HMAC under the mount's own key, so a listing or a key name
 * gives nothing away, and a secret ID is not stored at all (only its HMAC).
 *
 * | path                              | holds                                               |
 * |-----------------------------------|-----------------------------------------------------|
 * | `hmac-key`                        | the mount's HMAC key, made on first use             |
 * | `role/<name>`                     | {@link StoredRole}                                  |
 * | `role-id/<hmac of role_id>`       | {@link RoleIdEntry}: which role a role_id names     |
 * | `secret-id/<role uuid>/<hmac>`    | {@link StoredSecretId}                              |
 * | `accessor/<hmac of accessor>`     | {@link AccessorEntry}: which secret ID it names     |
 *
 * Secret IDs live under their role's `uuid`, not its name: a role deleted and created again
 * under the same name gets a new uuid, so no secret ID of the old role logs in to the new one.
 */
import type { TokenFields } from '../../logical/index.js';

export const HMAC_KEY_PATH = 'hmac-key';
export const ROLE_PREFIX = 'role/';
export const ROLE_ID_PREFIX = 'role-id/';
export const SECRET_ID_PREFIX = 'secret-id/';
export const ACCESSOR_PREFIX = 'accessor/';

export interface StoredRole {
  /** The canonical (lower-case) role name; also the record's key. */
  readonly name: string;
  /** Random, fixed when the role is created; the folder its secret IDs live in. */
  readonly uuid: string;
  /** The role's public half of the login credential. */
  readonly roleId: string;
  /** Whether a login must present a secret ID. */
  readonly bindSecretId: boolean;
  /** CIDR blocks a login must come from; empty for anywhere. */
  readonly secretIdBoundCidrs: readonly string[];
  /** Uses each new secret ID gets by default; 0 is unlimited. */
  readonly secretIdNumUses: number;
  /** Seconds each new secret ID lives by default; 0 is forever. */
  readonly secretIdTtl: number;
  /** Accepted for compatibility; Coffer has no cluster-local storage, so it changes nothing. */
  readonly localSecretIds: boolean;
  readonly token: TokenFields;
}

export interface RoleIdEntry {
  readonly name: string;
  readonly uuid: string;
}

export interface StoredSecretId {
  /** The HMAC of the secret ID (hex), checked again in constant time at login. */
  readonly digest: string;
  readonly accessor: string;
  readonly roleUuid: string;
  /** Uses left; 0 is unlimited. The last use deletes the record. */
  readonly numUses: number;
  /** Seconds it was issued for; 0 is forever. */
  readonly ttl: number;
  /** Milliseconds since the epoch. */
  readonly creationTime: number;
  /** Milliseconds since the epoch; 0 for never. */
  readonly expirationTime: number;
  readonly lastUpdatedTime: number;
  /** Copied to the metadata of every token it logs in. */
  readonly metadata: Readonly<Record<string, string>>;
  /** CIDR blocks a login with it must come from; empty for anywhere. */
  readonly cidrList: readonly string[];
  /** Replaces the role's `token_bound_cidrs` on tokens it logs in, when not empty. */
  readonly tokenBoundCidrs: readonly string[];
}

export interface AccessorEntry {
  readonly roleUuid: string;
  /** The HMAC of the secret ID the accessor names. */
  readonly digest: string;
}
