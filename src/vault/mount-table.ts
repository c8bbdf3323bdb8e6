/**
 * The mount table: which secrets engine serves which path prefix. It is stored behind the
 * barrier at `core/mounts` and read at every unseal; each mount's data lives under
 * `logical/<uuid>/`, a view the engine cannot leave. The system backend (`sys/`) is built in and
 * not stored.
 *
 * After init the table holds KV version 2 at `secret/`, as `vault server -dev` sets it up and as
 * the local cluster contract expects (DESIGN.md "Local cluster contract").
 */
import { StorageConditionFailedError } from '../logical/errors.js';
import { decodeJson, encodeJson, type Storage } from '../logical/storage.js';
import { CoreStateCorruptError } from './errors.js';
import { randomBase62 } from '../util/random.js';
import { newUuid } from './uuid.js';

/** One mounted engine, with Vault's `sys/mounts` fields. */
export interface MountEntry {
  /** The prefix it serves, with a trailing `/` (`secret/`). */
  readonly path: string;
  readonly type: string;
  readonly description: string;
  /** `<type>_<8 characters>`, as Vault's mount accessors. */
  readonly accessor: string;
  readonly uuid: string;
  readonly options: Readonly<Record<string, string>>;
  /** Lease TTLs in seconds; 0 means the system default. */
  readonly config: {
    readonly defaultLeaseTtl: number;
    readonly maxLeaseTtl: number;
    readonly forceNoCache: boolean;
  };
  readonly local: boolean;
  readonly sealWrap: boolean;
}

export interface MountTable {
  readonly version: 1;
  readonly entries: readonly MountEntry[];
}

/** Where the table is stored, relative to the `core/` view. */
export const MOUNTS_PATH = 'mounts';

/** The barrier prefix of a mount's data. */
export function mountStoragePrefix(entry: MountEntry): string {
  return `logical/${entry.uuid}/`;
}

/** A new mount entry with fresh ids and default settings. */
export function newMountEntry(
  path: string,
  type: string,
  description: string,
  options: Record<string, string> = {},
): MountEntry {
  return {
    path,
    type,
    description,
    accessor: `${type}_${randomBase62(8).toLowerCase()}`,
    uuid: newUuid(),
    options,
    config: { defaultLeaseTtl: 0, maxLeaseTtl: 0, forceNoCache: false },
    local: false,
    sealWrap: false,
  };
}

/**
 * Where the auth method table is stored, relative to the `core/` view. It has the mount table's
 * shape; its entries' paths include the `auth/` prefix (`auth/userpass/`), and their accessors
 * start with `auth_`, as Vault's do.
 */
export const AUTH_PATH = 'auth';

/** The mount type of the built-in token auth method. */
export const TOKEN_MOUNT_TYPE = 'token';

/** A new auth mount entry at `path` (with its `auth/` prefix). */
export function newAuthEntry(path: string, type: string, description: string): MountEntry {
  const entry = newMountEntry(path, type, description);
  return { ...entry, accessor: `auth_${entry.accessor}` };
}

/** The auth table init creates: the token method at `auth/token/`. */
export function defaultAuthTable(): MountTable {
  return {
    version: 1,
    entries: [newAuthEntry('auth/token/', TOKEN_MOUNT_TYPE, 'token based credentials')],
  };
}

/** The table init creates: KV version 2 at `secret/`. */
export function defaultMountTable(): MountTable {
  return {
    version: 1,
    entries: [newMountEntry('secret/', 'kv', 'key/value secret storage', { version: '2' })],
  };
}

/**
 * The stored table, created as {@link defaultMountTable} when none is stored yet (the first
 * unseal after init). Concurrent creators agree on one table: the creation is conditional.
 */
export async function loadOrCreateMountTable(
  core: Storage,
  tablePath: string = MOUNTS_PATH,
): Promise<MountTable> {
  const stored = await core.get(tablePath);
  if (stored !== undefined) return decodeTable(stored, tablePath);
  const table = tablePath === AUTH_PATH ? defaultAuthTable() : defaultMountTable();
  try {
    await core.batch([
      { type: 'put', path: tablePath, value: encodeJson(table), condition: { ifAbsent: true } },
    ]);
    return table;
  } catch (err) {
    if (!(err instanceof StorageConditionFailedError)) throw err;
    const winner = await core.get(tablePath);
    if (winner === undefined) throw new CoreStateCorruptError(`core/${tablePath}`);
    return decodeTable(winner, tablePath);
  }
}

/** The stored table and its bytes (for a conditional replacement); created first if absent. */
export async function readMountTable(
  core: Storage,
  tablePath: string = MOUNTS_PATH,
): Promise<{ table: MountTable; bytes: Uint8Array }> {
  const stored = await core.get(tablePath);
  if (stored !== undefined) return { table: decodeTable(stored, tablePath), bytes: stored };
  await loadOrCreateMountTable(core, tablePath);
  const created = await core.get(tablePath);
  if (created === undefined) throw new CoreStateCorruptError(`core/${tablePath}`);
  return { table: decodeTable(created, tablePath), bytes: created };
}

function decodeTable(bytes: Uint8Array, tablePath: string): MountTable {
  try {
    const table = decodeJson<MountTable>(bytes);
    if (table.version !== 1 || !Array.isArray(table.entries)) throw new Error('unknown format');
    return table;
  } catch (cause) {
    throw new CoreStateCorruptError(`core/${tablePath}`, { cause });
  }
}

/** A mount as `sys/mounts` and `sys/internal/ui/mounts` report it. */
export function mountReport(entry: MountEntry): Record<string, unknown> {
  return {
    type: entry.type,
    description: entry.description,
    accessor: entry.accessor,
    uuid: entry.uuid,
    config: {
      default_lease_ttl: entry.config.defaultLeaseTtl,
      max_lease_ttl: entry.config.maxLeaseTtl,
      force_no_cache: entry.config.forceNoCache,
    },
    options: Object.keys(entry.options).length === 0 ? null : entry.options,
    local: entry.local,
    seal_wrap: entry.sealWrap,
    external_entropy_access: false,
    plugin_version: '',
  };
}
