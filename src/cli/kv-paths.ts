/**
 * Where a `kv` command's path lives. Like Vault's CLI (vault-api.md §2.5), each `kv` command
 * first asks `GET sys/internal/ui/mounts/<path>` which mount serves the path and with which KV
 * version: a 404 means KV version 1 (or a server that cannot tell), and the path is used as
 * given; version 2 puts `data/`, `metadata/`, `delete/`, `undelete/` or `destroy/` between the
 * mount and the key.
 */
import type { ApiClient } from './api-client.js';
import { UsageError } from './errors.js';
import { isObject } from './output.js';

/** The sections of a KV version 2 mount. */
export type KvSection = 'data' | 'metadata' | 'delete' | 'undelete' | 'destroy';

export interface KvTarget {
  readonly version: 1 | 2;
  /** The mount with its trailing slash (`secret/`); empty when a v1 mount is not known. */
  readonly mount: string;
  /** The key under the mount, without a leading slash; empty for the mount itself. */
  readonly key: string;
}

/**
 * Resolves `path`, relative to `-mount` when it is given.
 * @throws ApiError when the preflight fails with anything but 404 (a bad token: 403).
 */
export async function resolveKv(
  client: ApiClient,
  path: string,
  mountFlag: string | undefined,
): Promise<KvTarget> {
  const clean = path.replace(/^\/+/, '');
  const mount = mountFlag?.replace(/^\/+|\/+$/g, '');
  if (mount === '') throw new UsageError('-mount cannot be empty');
  const probe = mount === undefined ? clean : `${mount}/`;
  if (probe === '') throw new UsageError('A path is required');

  const response = await client.json<{ data?: unknown }>({
    method: 'GET',
    path: `sys/internal/ui/mounts/${probe}`,
    accept: [404],
  });
  const data = isObject(response?.data) ? response.data : undefined;
  if (data === undefined || response === null || !('path' in data)) {
    // Version 1, or a server without the preflight: the path is used as is.
    return mount === undefined
      ? { version: 1, mount: '', key: clean }
      : { version: 1, mount: `${mount}/`, key: clean };
  }

  const options = isObject(data.options) ? data.options : {};
  const version = String(options.version ?? '1') === '2' ? 2 : 1;
  const mountPath = String(data.path);
  const key = mount === undefined ? stripPrefix(clean, mountPath) : clean;
  return { version, mount: mountPath, key };
}

/** The API path of a target: v2 with a section, v1 as mount plus key. */
export function kvPath(target: KvTarget, section: KvSection): string {
  if (target.version === 1) return `${target.mount}${target.key}`;
  return `${target.mount}${section}/${target.key}`;
}

/** Refuses v1 targets for commands that exist only on KV version 2. */
export function requireV2(target: KvTarget, command: string): void {
  if (target.version !== 2) {
    throw new UsageError(`${command} is supported only on KV version 2 mounts`);
  }
}

/** `-versions=1,2,3` as numbers. */
export function parseVersions(value: string | undefined): number[] {
  const versions = (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (versions.length === 0 || versions.some((item) => !/^\d+$/.test(item))) {
    throw new UsageError('-versions takes a comma-separated list of version numbers');
  }
  return versions.map(Number);
}

function stripPrefix(path: string, mount: string): string {
  if (path.startsWith(mount)) return path.slice(mount.length);
  // `kv get secret` names the mount itself.
  if (`${path}/` === mount) return '';
  return path;
}
