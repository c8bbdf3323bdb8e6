/**
 * KV v2's storage operations over its mount's storage: the config record, key metadata and
 * versioned data (layout in types.ts). Every change runs as a read-check-write whose batch is
 * conditioned on the records it read (the key's metadata and the config), retried when another
 * writer got there first, so a decision made on what was read holds when the batch applies.
 */
import { createHash } from 'node:crypto';

import {
  ConflictError,
  InvalidRequestError,
  StorageConditionFailedError,
  decodeJson,
  encodeJson,
  type Storage,
  type StorageOp,
} from '../../logical/index.js';
import {
  DEFAULT_CONFIG,
  effectiveDeleteAfter,
  effectiveMaxVersions,
  type KeyMetadata,
  type KvConfig,
  type StoredVersion,
} from './types.js';

const CONFIG_PATH = 'config';
const METADATA_PREFIX = 'metadata/';
const VERSIONS_PREFIX = 'versions/';

/** How many times a write re-reads what it depends on after losing a race to another writer. */
const WRITE_ATTEMPTS = 10;

/**
 * Decides the data of a new version from the key's current metadata (a fresh record for a new
 * key, with `current_version` 0). It throws to refuse the write (a check-and-set mismatch).
 */
export type VersionPlanner = (
  meta: KeyMetadata,
  config: KvConfig,
  existed: boolean,
) => Promise<Record<string, unknown>>;

/**
 * Changes a key's metadata in place; returns false to leave storage untouched. Versions it marks
 * `destroyed` have their data erased in the same batch.
 */
export type MetadataEditor = (meta: KeyMetadata, config: KvConfig) => boolean;

/** The config as read, with the bytes a later batch conditions on (undefined: none stored). */
interface ConfigRead {
  readonly config: KvConfig;
  readonly stored: Uint8Array | undefined;
}

export class KvStore {
  constructor(
    private readonly storage: Storage,
    private readonly now: () => number,
  ) {}

  /** The mount's settings, defaults filled in. */
  async readConfig(): Promise<KvConfig> {
    return (await this.readConfigRecord()).config;
  }

  /** Applies `edit` to the config and stores it, conditioned on the config it read. */
  async editConfig(edit: (config: KvConfig) => void): Promise<KvConfig> {
    return this.withRetries(CONFIG_PATH, async () => {
      const { config, stored } = await this.readConfigRecord();
      edit(config);
      await this.storage.batch([
        {
          type: 'put',
          path: CONFIG_PATH,
          value: encodeJson(config),
          condition: stored === undefined ? { ifAbsent: true } : { ifValue: stored },
        },
      ]);
      return config;
    });
  }

  /** The metadata of `key`, or undefined when the key does not exist. */
  async readMetadata(key: string): Promise<KeyMetadata | undefined> {
    const stored = await this.storage.get(metadataPath(key));
    return stored === undefined ? undefined : decodeJson<KeyMetadata>(stored);
  }

  /** Whether `key` has metadata; false for a string that cannot name a key. */
  async keyExists(key: string): Promise<boolean> {
    if (key.length === 0 || key.endsWith('/')) return false;
    return (await this.storage.get(metadataPath(key))) !== undefined;
  }

  /** The data of version `version` of `key`, or undefined when it is not stored. */
  async readVersion(key: string, version: number): Promise<StoredVersion | undefined> {
    const stored = await this.storage.get(versionPath(key, version));
    return stored === undefined ? undefined : decodeJson<StoredVersion>(stored);
  }

  /** The keys and folders directly under `folder` (`''` or ending with `/`). */
  async listKeys(folder: string): Promise<string[]> {
    return this.storage.list(METADATA_PREFIX + folder);
  }

  /**
   * Writes a new version of `key` with the data `plan` returns, prunes versions beyond the
   * effective `max_versions`, and returns the updated metadata and the new version's number.
   */
  async writeVersion(
    key: string,
    plan: VersionPlanner,
  ): Promise<{ meta: KeyMetadata; version: number }> {
    return this.withRetries(key, async () => {
      const configRead = await this.readConfigRecord();
      const { config } = configRead;
      const { meta, stored } = await this.readForUpdate(key);
      const data = await plan(meta, config, stored !== undefined);

      const nowMs = this.now();
      const now = new Date(nowMs).toISOString();
      const version = meta.current_version + 1;
      const deleteAfter = effectiveDeleteAfter(meta, config);
      meta.versions[String(version)] = {
        created_time: now,
        deletion_time: deleteAfter > 0 ? new Date(nowMs + deleteAfter * 1000).toISOString() : '',
        destroyed: false,
      };
      meta.current_version = version;
      meta.updated_time = now;

      const ops: StorageOp[] = [
        configGuard(configRead),
        { type: 'put', path: versionPath(key, version), value: encodeJson({ data }) },
        ...prune(meta, config),
        metadataPut(meta, stored),
      ];
      await this.storage.batch(ops);
      return { meta, version };
    });
  }

  /**
   * Applies `edit` to the metadata of `key` and stores it, erasing the data of versions the edit
   * destroyed and pruning versions if it lowered `max_versions`. With `create`, a missing key
   * gets fresh metadata (metadata written before any data, as Vault allows); without it, a
   * missing key resolves to undefined and nothing is written.
   */
  async editMetadata(
    key: string,
    edit: MetadataEditor,
    create: boolean,
  ): Promise<KeyMetadata | undefined> {
    return this.withRetries(key, async () => {
      const configRead = await this.readConfigRecord();
      const { meta, stored } = await this.readForUpdate(key);
      if (stored === undefined && !create) return undefined;
      const destroyedBefore = new Set(
        Object.keys(meta.versions).filter((version) => meta.versions[version]?.destroyed),
      );
      if (!edit(meta, configRead.config)) return meta;

      const erased: StorageOp[] = Object.entries(meta.versions)
        .filter(([version, state]) => state.destroyed && !destroyedBefore.has(version))
        .map(([version]) => ({ type: 'delete', path: versionPath(key, Number(version)) }));
      meta.updated_time = new Date(this.now()).toISOString();
      await this.storage.batch([
        configGuard(configRead),
        ...erased,
        ...prune(meta, configRead.config),
        metadataPut(meta, stored),
      ]);
      return meta;
    });
  }

  /** Removes every version of `key` and its metadata. Removing a missing key succeeds. */
  async deleteKey(key: string): Promise<void> {
    await this.withRetries(key, async () => {
      const stored = await this.storage.get(metadataPath(key));
      if (stored === undefined) return;
      const meta = decodeJson<KeyMetadata>(stored);
      const ops: StorageOp[] = Object.keys(meta.versions).map((version) => ({
        type: 'delete',
        path: versionPath(key, Number(version)),
      }));
      ops.push({ type: 'delete', path: metadataPath(key), condition: { ifValue: stored } });
      await this.storage.batch(ops);
    });
  }

  private async readConfigRecord(): Promise<ConfigRead> {
    const stored = await this.storage.get(CONFIG_PATH);
    const saved = stored === undefined ? {} : decodeJson<Partial<KvConfig>>(stored);
    return { config: { ...DEFAULT_CONFIG, ...saved }, stored };
  }

  private async readForUpdate(
    key: string,
  ): Promise<{ meta: KeyMetadata; stored: Uint8Array | undefined }> {
    const stored = await this.storage.get(metadataPath(key));
    if (stored !== undefined) return { meta: decodeJson<KeyMetadata>(stored), stored };
    const now = new Date(this.now()).toISOString();
    const meta: KeyMetadata = {
      key,
      versions: {},
      current_version: 0,
      oldest_version: 0,
      max_versions: 0,
      cas_required: false,
      delete_version_after: 0,
      custom_metadata: null,
      created_time: now,
      updated_time: now,
    };
    return { meta, stored: undefined };
  }

  private async withRetries<T>(key: string, attempt: () => Promise<T>): Promise<T> {
    for (let round = 1; round <= WRITE_ATTEMPTS; round++) {
      try {
        return await attempt();
      } catch (err) {
        // Another writer changed what we read between our read and our batch: read again.
        if (err instanceof StorageConditionFailedError) continue;
        throw err;
      }
    }
    throw new ConflictError('the key kept changing concurrently; try again', { key });
  }
}

/** Drops the oldest versions beyond the effective maximum from `meta`; returns their deletes. */
function prune(meta: KeyMetadata, config: KvConfig): StorageOp[] {
  const max = effectiveMaxVersions(meta, config);
  const held = Object.keys(meta.versions)
    .map(Number)
    .sort((a, b) => a - b);
  const ops: StorageOp[] = [];
  while (held.length > max) {
    const oldest = held.shift() as number;
    delete meta.versions[String(oldest)];
    ops.push({ type: 'delete', path: versionPath(meta.key, oldest) });
    meta.oldest_version = held[0] ?? 0;
  }
  return ops;
}

/**
 * An op that changes nothing but fails the batch if the config changed since `read`: a write
 * decided under the old `cas_required` or `max_versions` must not land after a new one.
 */
function configGuard(read: ConfigRead): StorageOp {
  if (read.stored === undefined) {
    return { type: 'delete', path: CONFIG_PATH, condition: { ifAbsent: true } };
  }
  const { stored } = read;
  return { type: 'put', path: CONFIG_PATH, value: stored, condition: { ifValue: stored } };
}

function metadataPut(meta: KeyMetadata, stored: Uint8Array | undefined): StorageOp {
  return {
    type: 'put',
    path: metadataPath(meta.key),
    value: encodeJson(meta),
    condition: stored === undefined ? { ifAbsent: true } : { ifValue: stored },
  };
}

function metadataPath(key: string): string {
  return METADATA_PREFIX + key;
}

function versionPath(key: string, version: number): string {
  const hash = createHash('sha256').update(key, 'utf8').digest('hex');
  return `${VERSIONS_PREFIX}${hash}/${version}`;
}

/**
 * Throws `InvalidRequestError` unless `key` names a single secret: non-empty and not ending with
 * `/` (the request path check already refused empty, `.` and `..` segments).
 */
export function assertKey(key: string): void {
  if (key.length === 0 || key.endsWith('/')) {
    throw new InvalidRequestError('invalid key: a secret path may not be empty or end with "/"');
  }
}
