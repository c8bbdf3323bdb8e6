/**
 * `data/<key>`: read a version, write a new one (with check-and-set), patch the latest, and
 * soft-delete the latest (vault-api.md §2.4).
 */
import {
  InvalidRequestError,
  NotFoundError,
  isPlainObject,
  type FieldData,
  type PathDefinition,
  type Response,
} from '../../logical/index.js';
import { mergePatch } from './merge-patch.js';
import { casOption, checkAndSet } from './options.js';
import { assertKey, type KvStore } from './store.js';
import { isVersionGone, versionReport } from './types.js';

export function dataPath(store: KvStore, now: () => number): PathDefinition {
  /** Reads `?version=` (0 or absent: the current one). Missing or pruned: 404, empty. */
  const read = async (_request: unknown, fields: FieldData): Promise<Response | null> => {
    const key = keyOf(fields);
    const requested = fields.int('version');
    if (requested < 0) throw new InvalidRequestError('version must be a positive integer');
    const meta = await store.readMetadata(key);
    if (meta === undefined) return null;

    const version = requested === 0 ? meta.current_version : requested;
    const state = meta.versions[String(version)];
    if (state === undefined) return null;
    const metadata = versionReport(meta, version);
    // A deleted or destroyed version is a 404 that still carries the whole body (path_data.go).
    if (isVersionGone(state, now())) return { data: { data: null, metadata }, status: 404 };

    const stored = await store.readVersion(key, version);
    if (stored === undefined) return null;
    return { data: { data: stored.data, metadata } };
  };

  const write = async (_request: unknown, fields: FieldData): Promise<Response> => {
    const key = keyOf(fields);
    if (!fields.has('data')) throw new InvalidRequestError('no data provided');
    const data = fields.map('data');
    const cas = casOption(fields.map('options'));

    const { meta, version } = await store.writeVersion(key, async (current, config) => {
      checkAndSet(cas, current, config);
      return data;
    });
    return { data: { ...versionReport(meta, version) } };
  };

  /** Merges the patch into the current version's data and writes the result as a new one. */
  const patch = async (_request: unknown, fields: FieldData): Promise<Response> => {
    const key = keyOf(fields);
    if (!fields.has('data')) throw new InvalidRequestError('no data provided');
    const changes = fields.map('data');
    const cas = casOption(fields.map('options'));

    const { meta, version } = await store.writeVersion(key, async (current, config) => {
      checkAndSet(cas, current, config);
      const state = current.versions[String(current.current_version)];
      if (state === undefined || isVersionGone(state, now())) throw new NotFoundError();
      const stored = await store.readVersion(key, current.current_version);
      if (stored === undefined) throw new NotFoundError();
      const merged = mergePatch(stored.data, changes);
      return isPlainObject(merged) ? merged : {};
    });
    return { data: { ...versionReport(meta, version) } };
  };

  /** Soft-deletes the current version; its data stays until destroyed or pruned. */
  const remove = async (_request: unknown, fields: FieldData): Promise<null> => {
    const key = keyOf(fields);
    await store.editMetadata(
      key,
      (meta) => {
        const state = meta.versions[String(meta.current_version)];
        if (state === undefined || isVersionGone(state, now())) return false;
        state.deletion_time = new Date(now()).toISOString();
        return true;
      },
      false,
    );
    return null;
  };

  return {
    pattern: 'data/(?<path>.+)',
    fields: {
      path: { type: 'string', description: 'Location of the secret.' },
      version: { type: 'int', description: 'The version to read; 0 or absent for the latest.' },
      data: { type: 'map', description: 'The secret: a JSON object of keys and values.' },
      options: {
        type: 'map',
        description: 'Write options; "cas" makes the write a check-and-set on that version.',
      },
    },
    operations: { read, update: write, create: write, patch, delete: remove },
    synopsis: 'Write, patch, read and delete versioned secrets.',
  };
}

function keyOf(fields: FieldData): string {
  const key = fields.string('path');
  assertKey(key);
  return key;
}
