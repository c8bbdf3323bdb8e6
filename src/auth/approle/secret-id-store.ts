/**
 * Secret IDs in the mount's storage: issued, looked up (by value or by accessor), spent at
 * login, destroyed and tidied. A secret ID record and its accessor entry are always written and
 * deleted together in one batch.
 *
 * Spending a use is a compare-and-set: the login's write is conditional on the record it read,
 * so of two logins racing for the last use (on one node or two) exactly one succeeds; the other
 * re-reads, finds the record gone, and fails.
 */
import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  decodeJson,
  encodeJson,
  getJson,
  StorageConditionFailedError,
  type Storage,
  type StorageOp,
} from '../../logical/index.js';
import { addressInCidrs } from '../../util/cidr.js';
import { sameDigest, type MountHmac } from './hmac.js';
import {
  ACCESSOR_PREFIX,
  SECRET_ID_PREFIX,
  type AccessorEntry,
  type StoredRole,
  type StoredSecretId,
} from './types.js';

/** How often a login retries spending a use when concurrent logins keep winning. */
const USE_ATTEMPTS = 16;

/** What a new secret ID carries; see `readSecretIdSettings`. */
export interface SecretIdSettings {
  readonly metadata: Readonly<Record<string, string>>;
  readonly cidrList: readonly string[];
  readonly tokenBoundCidrs: readonly string[];
  readonly numUses: number;
  readonly ttl: number;
}

/** The outcome of presenting a secret ID at login. */
export type SecretIdUse =
  | { readonly outcome: 'accepted'; readonly entry: StoredSecretId }
  /** Unknown, expired, used up, or issued for another role. */
  | { readonly outcome: 'invalid' }
  /** Valid, but the login comes from outside its CIDR blocks; no use was spent. */
  | { readonly outcome: 'outside-cidrs' };

export class SecretIdStore {
  constructor(
    private readonly storage: Storage,
    private readonly hmac: MountHmac,
    private readonly now: () => number,
  ) {}

  /**
   * Stores a new secret ID `secretId` for `role`; resolves to its record, or undefined when the
   * role already has that secret ID (only possible for a custom one).
   */
  async issue(
    role: StoredRole,
    secretId: string,
    settings: SecretIdSettings,
  ): Promise<StoredSecretId | undefined> {
    const now = this.now();
    const entry: StoredSecretId = {
      digest: await this.hmac.digest('secret-id', secretId),
      accessor: randomUUID(),
      roleUuid: role.uuid,
      numUses: settings.numUses,
      ttl: settings.ttl,
      creationTime: now,
      expirationTime: settings.ttl > 0 ? now + settings.ttl * 1000 : 0,
      lastUpdatedTime: now,
      metadata: settings.metadata,
      cidrList: settings.cidrList,
      tokenBoundCidrs: settings.tokenBoundCidrs,
    };
    const accessorEntry: AccessorEntry = { roleUuid: role.uuid, digest: entry.digest };
    try {
      await this.storage.batch([
        {
          type: 'put',
          path: secretIdPath(role.uuid, entry.digest),
          value: encodeJson(entry),
          condition: { ifAbsent: true },
        },
        {
          type: 'put',
          path: await this.accessorPath(entry.accessor),
          value: encodeJson(accessorEntry),
          condition: { ifAbsent: true },
        },
      ]);
      return entry;
    } catch (err) {
      if (err instanceof StorageConditionFailedError && err.index === 0) return undefined;
      throw err;
    }
  }

  /** The record of `secretId` if `role` issued it. */
  async lookup(role: StoredRole, secretId: string): Promise<StoredSecretId | undefined> {
    const digest = await this.hmac.digest('secret-id', secretId);
    return getJson<StoredSecretId>(this.storage, secretIdPath(role.uuid, digest));
  }

  /** The record `accessor` names if `role` issued it. */
  async lookupByAccessor(
    role: StoredRole,
    accessor: string,
  ): Promise<StoredSecretId | undefined> {
    const ref = await getJson<AccessorEntry>(this.storage, await this.accessorPath(accessor));
    if (ref === undefined || ref.roleUuid !== role.uuid) return undefined;
    const entry = await getJson<StoredSecretId>(this.storage, secretIdPath(role.uuid, ref.digest));
    return entry?.accessor === accessor ? entry : undefined;
  }

  /** Deletes `entry` and its accessor entry. */
  async destroy(entry: StoredSecretId): Promise<void> {
    await this.storage.batch(await this.removal(entry));
  }

  /** The accessors of every secret ID `role` has issued, sorted. */
  async accessors(role: StoredRole): Promise<string[]> {
    const entries = await this.entriesOf(role.uuid);
    return entries.map(({ entry }) => entry.accessor).sort();
  }

  /** The deletes that remove every secret ID of the role with `roleUuid`. */
  async removalOfAll(roleUuid: string): Promise<StorageOp[]> {
    const entries = await this.entriesOf(roleUuid);
    const ops = await Promise.all(entries.map(({ entry }) => this.removal(entry)));
    return ops.flat();
  }

  /**
   * Presents `secretId` for a login to `role` from `remoteAddress`, which must lie inside the
   * secret ID's `cidr_list` and `token_bound_cidrs`. An accepted secret ID with limited uses has
   * one spent (the last deletes it); an expired one is deleted and refused.
   *
   * @throws ConflictError (409) when concurrent logins keep winning the race for the record.
   */
  async use(role: StoredRole, secretId: string, remoteAddress: string): Promise<SecretIdUse> {
    const digest = await this.hmac.digest('secret-id', secretId);
    const path = secretIdPath(role.uuid, digest);
    for (let attempt = 0; attempt < USE_ATTEMPTS; attempt++) {
      const bytes = await this.storage.get(path);
      if (bytes === undefined) return { outcome: 'invalid' };
      const entry = decodeJson<StoredSecretId>(bytes);
      if (!sameDigest(entry.digest, digest)) return { outcome: 'invalid' };

      const now = this.now();
      if (isExpired(entry, now)) {
        await this.removeIfUnchanged(entry, bytes);
        return { outcome: 'invalid' };
      }
      for (const bound of [entry.cidrList, entry.tokenBoundCidrs]) {
        if (bound.length > 0 && !addressInCidrs(remoteAddress, bound)) {
          return { outcome: 'outside-cidrs' };
        }
      }
      if (entry.numUses === 0) return { outcome: 'accepted', entry };

      const spent: StoredSecretId = { ...entry, numUses: entry.numUses - 1, lastUpdatedTime: now };
      const ops: StorageOp[] =
        spent.numUses === 0
          ? await this.removal(entry, bytes)
          : [{ type: 'put', path, value: encodeJson(spent), condition: { ifValue: bytes } }];
      try {
        await this.storage.batch(ops);
        return { outcome: 'accepted', entry: spent };
      } catch (err) {
        if (!(err instanceof StorageConditionFailedError)) throw err;
      }
    }
    throw new ConflictError('the secret ID is being used by concurrent logins; retry', {
      role: role.name,
    });
  }

  /**
   * Deletes expired secret IDs, those of roles that no longer exist (`liveUuids` holds the
   * others), and accessor entries whose secret ID is gone. A secret ID created after `startedAt`
   * is kept even under an unknown role, since its role may have been created after the caller
   * listed the roles. Resolves to how many records of each kind were deleted.
   */
  async tidy(
    liveUuids: ReadonlySet<string>,
    startedAt: number,
  ): Promise<{ secretIds: number; accessors: number }> {
    let secretIds = 0;
    for (const folder of await this.storage.list(SECRET_ID_PREFIX)) {
      if (!folder.endsWith('/')) continue;
      const roleUuid = folder.slice(0, -1);
      for (const { entry, bytes } of await this.entriesOf(roleUuid)) {
        const orphaned = !liveUuids.has(roleUuid) && entry.creationTime < startedAt;
        if (!orphaned && !isExpired(entry, this.now())) continue;
        if (await this.removeIfUnchanged(entry, bytes)) secretIds += 1;
      }
    }

    let accessors = 0;
    for (const name of await this.storage.list(ACCESSOR_PREFIX)) {
      const path = ACCESSOR_PREFIX + name;
      const bytes = await this.storage.get(path);
      if (bytes === undefined) continue;
      const ref = decodeJson<AccessorEntry>(bytes);
      if ((await this.storage.get(secretIdPath(ref.roleUuid, ref.digest))) !== undefined) continue;
      try {
        await this.storage.batch([{ type: 'delete', path, condition: { ifValue: bytes } }]);
        accessors += 1;
      } catch (err) {
        if (!(err instanceof StorageConditionFailedError)) throw err;
      }
    }
    return { secretIds, accessors };
  }

  private async entriesOf(
    roleUuid: string,
  ): Promise<Array<{ entry: StoredSecretId; bytes: Uint8Array }>> {
    const folder = `${SECRET_ID_PREFIX}${roleUuid}/`;
    const found: Array<{ entry: StoredSecretId; bytes: Uint8Array }> = [];
    for (const name of await this.storage.list(folder)) {
      if (name.endsWith('/')) continue;
      const bytes = await this.storage.get(folder + name);
      if (bytes !== undefined) found.push({ entry: decodeJson<StoredSecretId>(bytes), bytes });
    }
    return found;
  }

  /** Deletes `entry` and its accessor if the record still holds `bytes`; true if it did. */
  private async removeIfUnchanged(entry: StoredSecretId, bytes: Uint8Array): Promise<boolean> {
    try {
      await this.storage.batch(await this.removal(entry, bytes));
      return true;
    } catch (err) {
      if (err instanceof StorageConditionFailedError) return false;
      throw err;
    }
  }

  /**
   * The record's delete, then its accessor entry's; with `ifValue`, the record's delete holds
   * only while the record is still those bytes.
   */
  private async removal(entry: StoredSecretId, ifValue?: Uint8Array): Promise<StorageOp[]> {
    const path = secretIdPath(entry.roleUuid, entry.digest);
    const record: StorageOp =
      ifValue === undefined
        ? { type: 'delete', path }
        : { type: 'delete', path, condition: { ifValue } };
    return [record, { type: 'delete', path: await this.accessorPath(entry.accessor) }];
  }

  private async accessorPath(accessor: string): Promise<string> {
    return ACCESSOR_PREFIX + (await this.hmac.digest('accessor', accessor));
  }
}

function secretIdPath(roleUuid: string, digest: string): string {
  return `${SECRET_ID_PREFIX}${roleUuid}/${digest}`;
}

function isExpired(entry: StoredSecretId, now: number): boolean {
  return entry.expirationTime > 0 && now >= entry.expirationTime;
}
