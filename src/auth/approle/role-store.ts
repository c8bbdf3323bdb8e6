/**
 * Roles in the mount's storage, with the `role-id/` index that maps a role_id to its role. A role
 * and its index entry change in one conditional batch, so two roles can never hold the same
 * role_id and an edit racing another is re-run rather than lost.
 */
import {
  ConflictError,
  decodeJson,
  encodeJson,
  getJson,
  InvalidRequestError,
  StorageConditionFailedError,
  type Storage,
  type StorageOp,
} from '../../logical/index.js';
import { sameDigest, type MountHmac } from './hmac.js';
import { ROLE_ID_PREFIX, ROLE_PREFIX, type RoleIdEntry, type StoredRole } from './types.js';

/** How often an edit is retried when a concurrent write lands between its read and its write. */
const EDIT_ATTEMPTS = 5;

/** The canonical form of a role name: lower case, as Vault keeps the roles it creates. */
export function canonicalRoleName(name: string): string {
  return name.toLowerCase();
}

// Vault's documented rule: letters, digits, space, `-`, `_` and `.`, under 4096 bytes.
const ROLE_NAME = /^[a-z0-9 ._-]+$/u;
const MAX_ROLE_NAME_BYTES = 4095;

export function isValidRoleName(canonical: string): boolean {
  return (
    ROLE_NAME.test(canonical) &&
    canonical !== '.' &&
    canonical !== '..' &&
    Buffer.byteLength(canonical) <= MAX_ROLE_NAME_BYTES
  );
}

/** Throws `InvalidRequestError` (400) unless `canonical` is a name a role may have. */
export function assertValidRoleName(canonical: string): void {
  if (!isValidRoleName(canonical)) {
    throw new InvalidRequestError(
      'invalid role_name: use letters, digits, space, "-", "_" and ".", under 4096 bytes',
      { field: 'role_name' },
    );
  }
}

export class RoleStore {
  constructor(
    private readonly storage: Storage,
    private readonly hmac: MountHmac,
  ) {}

  /** The role named `canonical`, or undefined. */
  get(canonical: string): Promise<StoredRole | undefined> {
    if (!isValidRoleName(canonical)) return Promise.resolve(undefined);
    return getJson<StoredRole>(this.storage, ROLE_PREFIX + canonical);
  }

  /** Every role name, sorted. */
  async list(): Promise<string[]> {
    const children = await this.storage.list(ROLE_PREFIX);
    return children.filter((name) => !name.endsWith('/'));
  }

  /**
   * The role whose role_id is `roleId`, or undefined. The index entry, the role it names and that
   * role's own role_id must all agree; the role_id comparison is by digest, in constant time.
   */
  async findByRoleId(roleId: string): Promise<StoredRole | undefined> {
    const digest = await this.hmac.digest('role-id', roleId);
    const entry = await getJson<RoleIdEntry>(this.storage, ROLE_ID_PREFIX + digest);
    if (entry === undefined) return undefined;
    const role = await this.get(entry.name);
    if (role === undefined || role.uuid !== entry.uuid) return undefined;
    const own = await this.hmac.digest('role-id', role.roleId);
    return sameDigest(own, digest) ? role : undefined;
  }

  /**
   * Stores what `change` makes of the current role (undefined when there is none) and resolves
   * to the role before and after, moving the role_id index entry when the role_id changes. `change` may throw to refuse
   * the edit, and is re-run on the newer role when a concurrent edit wins.
   *
   * @throws InvalidRequestError (400) when another role holds the new role_id.
   * @throws ConflictError (409) when concurrent writes keep winning.
   */
  async edit(
    canonical: string,
    change: (current: StoredRole | undefined) => StoredRole,
  ): Promise<{ before: StoredRole | undefined; after: StoredRole }> {
    const path = ROLE_PREFIX + canonical;
    for (let attempt = 0; attempt < EDIT_ATTEMPTS; attempt++) {
      const bytes = await this.storage.get(path);
      const current = bytes === undefined ? undefined : decodeJson<StoredRole>(bytes);
      const next = change(current);
      const ops: StorageOp[] = [
        {
          type: 'put',
          path,
          value: encodeJson(next),
          condition: bytes === undefined ? { ifAbsent: true } : { ifValue: bytes },
        },
      ];
      if (current?.roleId !== next.roleId) {
        const entry: RoleIdEntry = { name: next.name, uuid: next.uuid };
        ops.push({
          type: 'put',
          path: ROLE_ID_PREFIX + (await this.hmac.digest('role-id', next.roleId)),
          value: encodeJson(entry),
          condition: { ifAbsent: true },
        });
        if (current !== undefined) ops.push(await this.roleIdRemoval(current));
      }

      try {
        await this.storage.batch(ops);
        return { before: current, after: next };
      } catch (err) {
        if (!(err instanceof StorageConditionFailedError)) throw err;
        if (err.index === 1) {
          throw new InvalidRequestError('role_id is already in use by another role', {
            field: 'role_id',
          });
        }
      }
    }
    throw new ConflictError('the role was changed concurrently; retry', { role: canonical });
  }

  /**
   * Deletes the role and its role_id index entry, with `more` (its secret IDs) in the same
   * batch. Resolves to the role deleted, or undefined when there was none.
   */
  async remove(
    canonical: string,
    more: (role: StoredRole) => Promise<StorageOp[]>,
  ): Promise<StoredRole | undefined> {
    const path = ROLE_PREFIX + canonical;
    for (let attempt = 0; attempt < EDIT_ATTEMPTS; attempt++) {
      const bytes = isValidRoleName(canonical) ? await this.storage.get(path) : undefined;
      if (bytes === undefined) return undefined;
      const role = decodeJson<StoredRole>(bytes);
      const ops: StorageOp[] = [
        { type: 'delete', path, condition: { ifValue: bytes } },
        await this.roleIdRemoval(role),
        ...(await more(role)),
      ];
      try {
        await this.storage.batch(ops);
        return role;
      } catch (err) {
        if (!(err instanceof StorageConditionFailedError)) throw err;
      }
    }
    throw new ConflictError('the role was changed concurrently; retry', { role: canonical });
  }

  /** The uuids of every role that exists now. */
  async liveUuids(): Promise<Set<string>> {
    const roles = await Promise.all((await this.list()).map((name) => this.get(name)));
    return new Set(roles.flatMap((role) => (role === undefined ? [] : [role.uuid])));
  }

  private async roleIdRemoval(role: StoredRole): Promise<StorageOp> {
    return {
      type: 'delete',
      path: ROLE_ID_PREFIX + (await this.hmac.digest('role-id', role.roleId)),
    };
  }
}
