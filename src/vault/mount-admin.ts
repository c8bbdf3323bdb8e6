/**
 * Changing the mount table: enable, disable, tune and move secrets engines (`sys/mounts/*`,
 * `sys/remount`). Each change is a pure function from one table to the next, plus one
 * conditional write: the table is replaced only if nobody changed it since it was read (two
 * operators enabling the same path on two nodes cannot both win), and the same batch rewrites the
 * core's table stamp, which tells every node to reload its tables (core.ts).
 */
import { randomBytes } from 'node:crypto';

import {
  ConflictError,
  InvalidRequestError,
  StorageConditionFailedError,
} from '../logical/errors.js';
import { encodeJson, type Storage } from '../logical/storage.js';
import { newMountEntry, type MountEntry, type MountTable } from './mount-table.js';

/** Where every table change leaves a fresh random value, relative to the `core/` view. */
export const TABLE_STAMP_PATH = 'table-stamp';

/** Mount paths that belong to the core and can never be mounted over or under. */
const RESERVED_PREFIXES = ['sys/', 'auth/', 'cubbyhole/', 'identity/'];

/** Built-in mounts that the core serves outside the table: never disabled, never moved. */
const BUILT_IN_MOUNTS = ['sys/', 'cubbyhole/'];

/** Type aliases Vault accepts when enabling: `kv-v2` is `kv` with version 2. */
const TYPE_ALIASES: Readonly<Record<string, { type: string; options: Record<string, string> }>> = {
  'kv-v2': { type: 'kv', options: { version: '2' } },
  'kv-v1': { type: 'kv', options: { version: '1' } },
  generic: { type: 'kv', options: { version: '1' } },
};

/** What `sys/mounts/:path` takes when enabling. */
export interface MountRequest {
  readonly type: string;
  readonly description: string;
  readonly options: Readonly<Record<string, string>>;
  readonly defaultLeaseTtl: number;
  readonly maxLeaseTtl: number;
  readonly forceNoCache: boolean;
  readonly local: boolean;
  readonly sealWrap: boolean;
}

/** What `sys/mounts/:path/tune` may change; absent fields keep their value. */
export interface MountTune {
  readonly description?: string;
  readonly defaultLeaseTtl?: number;
  readonly maxLeaseTtl?: number;
  readonly forceNoCache?: boolean;
  readonly options?: Readonly<Record<string, string>>;
}

/**
 * `path` as a mount path: no leading slash, exactly one trailing slash. Throws
 * `InvalidRequestError` (400) for an empty path or one with empty, `.` or `..` segments.
 */
export function normaliseMountPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  const segments = trimmed.split('/');
  if (trimmed.length === 0 || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidRequestError(`invalid mount path "${path}"`);
  }
  return `${trimmed}/`;
}

/**
 * The table with a new mount at `path`. Refuses reserved paths, a path that is inside or above
 * an existing mount ("path is already in use"), and engine types the node does not know.
 */
export function addMount(
  table: MountTable,
  path: string,
  request: MountRequest,
  knownTypes: ReadonlySet<string>,
): { table: MountTable; entry: MountEntry } {
  const mountPath = normaliseMountPath(path);
  assertMountablePath(table, mountPath);

  const alias = TYPE_ALIASES[request.type];
  const type = alias?.type ?? request.type;
  if (!knownTypes.has(type)) {
    throw new InvalidRequestError(`plugin not found in the catalog: ${request.type}`);
  }
  const options = { ...alias?.options, ...request.options };
  if (type === 'kv' && options.version === undefined) options.version = '1';
  assertLeaseTtls(request.defaultLeaseTtl, request.maxLeaseTtl);

  const fresh = newMountEntry(mountPath, type, request.description, options);
  const entry: MountEntry = {
    ...fresh,
    config: {
      defaultLeaseTtl: request.defaultLeaseTtl,
      maxLeaseTtl: request.maxLeaseTtl,
      forceNoCache: request.forceNoCache,
    },
    local: request.local,
    sealWrap: request.sealWrap,
  };
  return { table: { ...table, entries: [...table.entries, entry] }, entry };
}

/** The table without the mount at `path`, and that mount; null when nothing is mounted there. */
export function removeMount(
  table: MountTable,
  path: string,
): { table: MountTable; removed: MountEntry } | null {
  const mountPath = normaliseMountPath(path);
  if (BUILT_IN_MOUNTS.includes(mountPath)) {
    throw new InvalidRequestError(`cannot unmount "${mountPath}"`);
  }
  const removed = table.entries.find((entry) => entry.path === mountPath);
  if (removed === undefined) return null;
  const entries = table.entries.filter((entry) => entry !== removed);
  return { table: { ...table, entries }, removed };
}

/** The table with the mount at `path` tuned. Throws `InvalidRequestError` when there is none. */
export function tuneMount(table: MountTable, path: string, tune: MountTune): MountTable {
  const mountPath = normaliseMountPath(path);
  const current = table.entries.find((entry) => entry.path === mountPath);
  if (current === undefined) {
    throw new InvalidRequestError(`cannot tune "${mountPath}": no mount at this path`);
  }
  const config = {
    defaultLeaseTtl: tune.defaultLeaseTtl ?? current.config.defaultLeaseTtl,
    maxLeaseTtl: tune.maxLeaseTtl ?? current.config.maxLeaseTtl,
    forceNoCache: tune.forceNoCache ?? current.config.forceNoCache,
  };
  assertLeaseTtls(config.defaultLeaseTtl, config.maxLeaseTtl);

  const options = { ...current.options, ...tune.options };
  if (current.type === 'kv' && options.version !== current.options.version) {
    const from = current.options.version ?? '1';
    if (!(from === '1' && options.version === '2')) {
      throw new InvalidRequestError(
        `cannot change the KV version of "${mountPath}" from ${from} to ${options.version}`,
      );
    }
  }
  const tuned: MountEntry = {
    ...current,
    description: tune.description ?? current.description,
    config,
    options,
  };
  const entries = table.entries.map((entry) => (entry === current ? tuned : entry));
  return { ...table, entries };
}

/** The table with the mount at `from` served at `to` instead; its data stays where it is. */
export function moveMount(table: MountTable, from: string, to: string): MountTable {
  const source = normaliseMountPath(from);
  const target = normaliseMountPath(to);
  if (BUILT_IN_MOUNTS.includes(source)) throw new InvalidRequestError(`cannot remount "${source}"`);
  const current = table.entries.find((entry) => entry.path === source);
  if (current === undefined) {
    throw new InvalidRequestError(`no mount at "${source}" to move`);
  }
  const others: MountTable = {
    ...table,
    entries: table.entries.filter((entry) => entry !== current),
  };
  assertMountablePath(others, target);
  return { ...table, entries: [...others.entries, { ...current, path: target }] };
}

/**
 * Replaces the stored table at `tablePath` of the `core/` view with `table`, if it still holds
 * `previous` (its bytes as read; undefined: if it is still absent), and rewrites the table stamp. Throws `ConflictError` (409) when
 * someone changed it in the meantime: the caller may read again and retry.
 */
export async function storeTable(
  core: Storage,
  tablePath: string,
  previous: Uint8Array | undefined,
  table: unknown,
): Promise<void> {
  const condition = previous === undefined ? ({ ifAbsent: true } as const) : { ifValue: previous };
  try {
    await core.batch([
      {
        type: 'put',
        path: tablePath,
        value: encodeJson(table),
        condition,
      },
      { type: 'put', path: TABLE_STAMP_PATH, value: randomBytes(16) },
    ]);
  } catch (err) {
    if (!(err instanceof StorageConditionFailedError)) throw err;
    throw new ConflictError(`the table at core/${tablePath} changed concurrently; try again`);
  }
}

function assertMountablePath(table: MountTable, mountPath: string): void {
  for (const reserved of RESERVED_PREFIXES) {
    if (mountPath.startsWith(reserved) || reserved.startsWith(mountPath)) {
      throw new InvalidRequestError(`cannot mount at "${mountPath}": reserved path`);
    }
  }
  for (const entry of table.entries) {
    if (mountPath.startsWith(entry.path) || entry.path.startsWith(mountPath)) {
      throw new InvalidRequestError(`path is already in use at ${entry.path}`);
    }
  }
}

function assertLeaseTtls(defaultTtl: number, maxTtl: number): void {
  if (defaultTtl < 0 || maxTtl < 0) throw new InvalidRequestError('lease TTLs cannot be negative');
  if (maxTtl > 0 && defaultTtl > maxTtl) {
    throw new InvalidRequestError('default_lease_ttl cannot be greater than max_lease_ttl');
  }
}
