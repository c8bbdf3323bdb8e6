/**
 * Changing the auth method table (`sys/auth/*`): enable, disable and tune auth methods. Like the
 * mount table's changes (mount-admin.ts), each is a pure function from one table to the next;
 * the core stores the result conditionally. Paths are given as the API takes them (`userpass`)
 * and stored with their `auth/` prefix (`auth/userpass/`).
 */
import { InvalidRequestError } from '../logical/errors.js';
import { normaliseMountPath, type MountTune } from './mount-admin.js';
import {
  newAuthEntry,
  TOKEN_MOUNT_TYPE,
  type MountEntry,
  type MountTable,
} from './mount-table.js';

/** What `sys/auth/:path` takes when enabling. */
export interface AuthMountRequest {
  readonly type: string;
  readonly description: string;
  readonly defaultLeaseTtl: number;
  readonly maxLeaseTtl: number;
  readonly local: boolean;
}

/** `path` (`userpass`, `/team/ldap/`) as a stored auth mount path: `auth/userpass/`. */
export function authMountPath(path: string): string {
  return `auth/${normaliseMountPath(path)}`;
}

/**
 * The table with a new auth method at `path`. Refuses the token method's type (there is only
 * one), a path inside or above an enabled method, and types the node does not know.
 */
export function addAuthMount(
  table: MountTable,
  path: string,
  request: AuthMountRequest,
  knownTypes: ReadonlySet<string>,
): { table: MountTable; entry: MountEntry } {
  const mountPath = authMountPath(path);
  if (request.type === TOKEN_MOUNT_TYPE) {
    throw new InvalidRequestError('token credential backend cannot be instantiated');
  }
  if (!knownTypes.has(request.type)) {
    throw new InvalidRequestError(`plugin not found in the catalog: ${request.type}`);
  }
  for (const entry of table.entries) {
    if (mountPath.startsWith(entry.path) || entry.path.startsWith(mountPath)) {
      throw new InvalidRequestError(`path is already in use at ${entry.path}`);
    }
  }
  assertTtls(request.defaultLeaseTtl, request.maxLeaseTtl);
  const fresh = newAuthEntry(mountPath, request.type, request.description);
  const entry: MountEntry = {
    ...fresh,
    config: {
      defaultLeaseTtl: request.defaultLeaseTtl,
      maxLeaseTtl: request.maxLeaseTtl,
      forceNoCache: false,
    },
    local: request.local,
  };
  return { table: { ...table, entries: [...table.entries, entry] }, entry };
}

/**
 * The table without the auth method at `path`, and that method; null when none is there.
 * Throws `InvalidRequestError` for the token method, which cannot be disabled.
 */
export function removeAuthMount(
  table: MountTable,
  path: string,
): { table: MountTable; removed: MountEntry } | null {
  const mountPath = authMountPath(path);
  const removed = table.entries.find((entry) => entry.path === mountPath);
  if (removed === undefined) return null;
  if (removed.type === TOKEN_MOUNT_TYPE) {
    throw new InvalidRequestError('token credential backend cannot be disabled');
  }
  return { table: { ...table, entries: table.entries.filter((e) => e !== removed) }, removed };
}

/** The table with the auth method at `path` tuned; a 400 when there is none. */
export function tuneAuthMount(table: MountTable, path: string, tune: MountTune): MountTable {
  const mountPath = authMountPath(path);
  const current = table.entries.find((entry) => entry.path === mountPath);
  if (current === undefined) {
    throw new InvalidRequestError(`cannot tune "${mountPath}": no auth method at this path`);
  }
  const config = {
    defaultLeaseTtl: tune.defaultLeaseTtl ?? current.config.defaultLeaseTtl,
    maxLeaseTtl: tune.maxLeaseTtl ?? current.config.maxLeaseTtl,
    forceNoCache: current.config.forceNoCache,
  };
  assertTtls(config.defaultLeaseTtl, config.maxLeaseTtl);
  const tuned: MountEntry = { ...current, description: tune.description ?? current.description, config };
  return { ...table, entries: table.entries.map((entry) => (entry === current ? tuned : entry)) };
}

function assertTtls(defaultTtl: number, maxTtl: number): void {
  if (defaultTtl < 0 || maxTtl < 0) throw new InvalidRequestError('lease TTLs cannot be negative');
  if (maxTtl > 0 && defaultTtl > maxTtl) {
    throw new InvalidRequestError('default_lease_ttl cannot be greater than max_lease_ttl');
  }
}
