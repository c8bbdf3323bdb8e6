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
  type Request,
  type Response,
} from '../../logical/index.js';
import { VersionGoneError } from './errors.js';
import { mergePatch } from './merge-patch.js';
import { casOption, checkAndSet } from './options.js';
import { assertKey, type KvStore } from './store.js';
import { isVersionGone, versionReport, type VersionReport } from './types.js';

/** One version as a read finds it: its data, or only its metadata when deleted or destroyed. */
export type LoadedVersion =
  | {
      readonly gone: false;
      readonly data: Record<string, unknown>;
      readonly metadata: VersionReport;
    }
  | { readonly gone: true; readonly metadata: VersionReport };

/**
 * Loads version `requested` of `key` (0: the current one). Undefined when the key, the version
 * or its data is missing (pruned, or never written).
 */
export async function loadVersion(
  store: KvStore,
  key: string,
  requested: number,
  nowMs: number,
): Promise<LoadedVersion | undefined> {
  if (requested < 0) throw new InvalidRequestError('version must be a positive integer');
  const meta = await store.readMetadata(key);
  if (meta === undefined) return undefined;

  const version = requested === 0 ? meta.current_version : requested;
  const state = meta.versions[String(version)];
  if (state === undefined) return undefined;
  const metadata = versionReport(meta, version);
  if (isVersionGone(state, nowMs)) return { gone: true, metadata };

  const stored = await store.readVersion(key, version);
  if (stored === undefined) return undefined;
  return { gone: false, data: stored.data, metadata };
}

export function dataPath(store: KvStore, now: () => number): PathDefinition {
  /** Reads `?version=` (0 or absent: the current one). Missing or pruned: 404, empty. */
  const read = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const loaded = await loadVersion(store, keyOf(fields), fields.int('version'), now());
    if (loaded === undefined) return null;
    // A deleted or destroyed version is a 404 that still carries the whole body (path_data.go).
    if (loaded.gone) return { data: { data: null, metadata: loaded.metadata }, status: 404 };
    return { data: { data: loaded.data, metadata: loaded.metadata } };
  };

  const write = async (_request: Request, fields: FieldData): Promise<Response> => {
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

  /**
   * Merges the patch (RFC 7386) into the current version's data and writes the result as a new
   * version. The key must exist (404), pass check-and-set (400), and its current version must be
   * neither deleted nor destroyed (404 carrying that version's metadata, as Vault answers).
   */
  const patch = async (_request: Request, fields: FieldData): Promise<Response> => {
    const key = keyOf(fields);
    if (!fields.has('data')) throw new InvalidRequestError('no data provided');
    const changes = fields.map('data');
    const cas = casOption(fields.map('options'));

    try {
      const { meta, version } = await store.writeVersion(key, async (current, config, existed) => {
        if (!existed) throw new NotFoundError();
        checkAndSet(cas, current, config);
        const state = current.versions[String(current.current_version)];
        if (state === undefined) throw new NotFoundError();
        if (isVersionGone(state, now())) {
          throw new VersionGoneError(versionReport(current, current.current_version));
        }
        const stored = await store.readVersion(key, current.current_version);
        if (stored === undefined) throw new NotFoundError();
        const merged = mergePatch(stored.data, changes);
        return isPlainObject(merged) ? merged : {};
      });
      return { data: { ...versionReport(meta, version) } };
    } catch (err) {
      if (err instanceof VersionGoneError) return { data: { ...err.report }, status: 404 };
      throw err;
    }
  };

  /** Soft-deletes the current version; its data stays until destroyed or pruned. */
  const remove = async (_request: Request, fields: FieldData): Promise<null> => {
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

  /** A write to a key with metadata is an update; to a new key, a create. */
  const exists = async (_request: Request, fields: FieldData): Promise<boolean> =>
    store.keyExists(fields.string('path'));

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
    existenceCheck: exists,
    synopsis: 'Write, patch, read and delete versioned secrets.',
  };
}

/** The key a request names, checked to be a single secret. */
export function keyOf(fields: FieldData): string {
  const key = fields.string('path');
  assertKey(key);
  return key;
}
