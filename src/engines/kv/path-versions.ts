/**
 * `delete/<key>`, `undelete/<key>` and `destroy/<key>`: change the state of chosen versions of a
 * key (vault-api.md §2.4). Each takes `versions`, a list of version numbers; numbers the key does
 * not hold are skipped, and a missing key is left alone (204), as Vault does.
 *
 * - delete: soft-deletes (sets `deletion_time` to now); the data stays until destroyed or pruned.
 * - undelete: clears `deletion_time`, also a scheduled one; destroyed versions stay destroyed.
 * - destroy: marks the version destroyed and erases its data in the same storage batch.
 */
import {
  InvalidRequestError,
  type FieldData,
  type PathDefinition,
  type Request,
} from '../../logical/index.js';
import { keyOf } from './path-data.js';
import type { KvStore } from './store.js';
import { isVersionGone, type VersionMetadata } from './types.js';

/** Changes one held version in place; returns whether it changed. */
type VersionChange = (state: VersionMetadata, nowMs: number) => boolean;

const softDelete: VersionChange = (state, nowMs) => {
  if (isVersionGone(state, nowMs)) return false;
  state.deletion_time = new Date(nowMs).toISOString();
  return true;
};

const undelete: VersionChange = (state) => {
  if (state.destroyed || state.deletion_time === '') return false;
  state.deletion_time = '';
  return true;
};

const destroy: VersionChange = (state) => {
  if (state.destroyed) return false;
  state.destroyed = true;
  return true;
};

/** The three version paths, in the order the backend tries them. */
export function versionPaths(store: KvStore, now: () => number): PathDefinition[] {
  return [
    versionPath(store, now, 'delete', softDelete, 'Soft-delete versions of a secret.'),
    versionPath(store, now, 'undelete', undelete, 'Restore soft-deleted versions of a secret.'),
    versionPath(store, now, 'destroy', destroy, 'Erase the data of versions of a secret.'),
  ];
}

function versionPath(
  store: KvStore,
  now: () => number,
  prefix: string,
  change: VersionChange,
  synopsis: string,
): PathDefinition {
  const update = async (request: Request, fields: FieldData): Promise<null> => {
    const key = keyOf(fields);
    const versions = parseVersions(request.data.versions);
    await store.editMetadata(
      key,
      (meta) => {
        const nowMs = now();
        let changed = false;
        for (const version of versions) {
          const state = meta.versions[String(version)];
          if (state !== undefined && change(state, nowMs)) changed = true;
        }
        return changed;
      },
      false,
    );
    return null;
  };

  return {
    pattern: `${prefix}/(?<path>.+)`,
    fields: {
      path: { type: 'string', description: 'Location of the secret.' },
      // Read from the raw request data: FieldData has no integer-list type.
      versions: {
        type: 'string-list',
        description: 'The version numbers: a JSON array of integers, or "1,2,3".',
      },
    },
    operations: { update },
    synopsis,
  };
}

/**
 * Version numbers from a JSON array (of integers or digit strings), a comma-separated string or
 * a single integer, deduplicated. Throws `InvalidRequestError` for anything else and for an
 * empty list ("no version number provided", Vault's message).
 */
export function parseVersions(raw: unknown): number[] {
  let items: unknown[];
  if (raw === undefined || raw === null) items = [];
  else if (Array.isArray(raw)) items = raw;
  else if (typeof raw === 'string') items = raw.split(',').map((item) => item.trim());
  else items = [raw];

  const versions = new Set<number>();
  for (const item of items) {
    if (item === '') continue;
    const version = typeof item === 'string' && /^\d{1,15}$/.test(item) ? Number(item) : item;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
      throw new InvalidRequestError(
        'invalid value for field "versions": expected a list of version numbers',
      );
    }
    versions.add(version);
  }
  if (versions.size === 0) throw new InvalidRequestError('no version number provided');
  return [...versions];
}
