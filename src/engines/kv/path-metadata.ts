/**
 * `metadata/<key>`: read a key's metadata and version history, list keys (LIST on a folder),
 * change per-key settings, and delete a key with every version (vault-api.md §2.4).
 */
import {
  InvalidRequestError,
  asFolder,
  formatDuration,
  type FieldData,
  type PathDefinition,
  type Response,
} from '../../logical/index.js';
import { assertKey, type KvStore } from './store.js';
import type { KeyMetadata } from './types.js';

/** Vault's limits on `custom_metadata`. */
const CUSTOM_METADATA_LIMITS = { keys: 64, keyLength: 128, valueLength: 512 };

export function metadataPath(store: KvStore): PathDefinition {
  const read = async (_request: unknown, fields: FieldData): Promise<Response | null> => {
    const meta = await store.readMetadata(keyOf(fields));
    return meta === undefined ? null : { data: metadataReport(meta) };
  };

  /** The keys under a folder, folders with a trailing `/`; the HTTP layer turns none into 404. */
  const list = async (_request: unknown, fields: FieldData): Promise<Response> => {
    const keys = await store.listKeys(asFolder(fields.string('path')));
    return { data: { keys } };
  };

  /** Changes only the settings the request names; creates the key's metadata if needed. */
  const write = async (_request: unknown, fields: FieldData): Promise<null> => {
    const key = keyOf(fields);
    const changes: Partial<KeyMetadata> = {};
    if (fields.has('max_versions')) changes.max_versions = nonNegative(fields, 'max_versions');
    if (fields.has('cas_required')) changes.cas_required = fields.bool('cas_required');
    if (fields.has('delete_version_after')) {
      changes.delete_version_after = fields.duration('delete_version_after');
    }
    if (fields.has('custom_metadata')) {
      changes.custom_metadata = customMetadata(fields.map('custom_metadata'));
    }
    await store.editMetadata(
      key,
      (meta) => {
        Object.assign(meta, changes);
        return true;
      },
      true,
    );
    return null;
  };

  const remove = async (_request: unknown, fields: FieldData): Promise<null> => {
    await store.deleteKey(keyOf(fields));
    return null;
  };

  return {
    pattern: 'metadata/(?<path>.*)',
    fields: {
      path: { type: 'string', description: 'Location of the secret, or a folder to list.' },
      max_versions: { type: 'int', description: 'Versions to keep; 0 for the mount setting.' },
      cas_required: { type: 'bool', description: 'Require check-and-set on every write.' },
      delete_version_after: {
        type: 'duration',
        description: 'Soft-delete new versions after this long; 0 for the mount setting.',
      },
      custom_metadata: { type: 'map', description: 'Up to 64 string keys and values.' },
    },
    operations: { read, list, update: write, create: write, delete: remove },
    synopsis: 'Read, list, configure and delete secrets with all their versions.',
  };
}

/** The `data` of a metadata read, in Vault's field order. */
export function metadataReport(meta: KeyMetadata): Record<string, unknown> {
  return {
    cas_required: meta.cas_required,
    created_time: meta.created_time,
    current_version: meta.current_version,
    custom_metadata: meta.custom_metadata,
    delete_version_after: formatDuration(meta.delete_version_after),
    max_versions: meta.max_versions,
    oldest_version: meta.oldest_version,
    updated_time: meta.updated_time,
    versions: meta.versions,
  };
}

function keyOf(fields: FieldData): string {
  const key = fields.string('path');
  assertKey(key);
  return key;
}

function nonNegative(fields: FieldData, name: string): number {
  const value = fields.int(name);
  if (value < 0) throw new InvalidRequestError(`"${name}" must be 0 or more`);
  return value;
}

/** Checks `custom_metadata` against Vault's limits: string values, bounded sizes. */
function customMetadata(raw: Record<string, unknown>): Record<string, string> | null {
  const entries = Object.entries(raw);
  if (entries.length > CUSTOM_METADATA_LIMITS.keys) {
    throw new InvalidRequestError('custom_metadata may hold at most 64 keys');
  }
  const result: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new InvalidRequestError('custom_metadata values must be strings', { key });
    }
    if (key.length === 0 || key.length > CUSTOM_METADATA_LIMITS.keyLength) {
      throw new InvalidRequestError('custom_metadata keys must be 1 to 128 characters');
    }
    if (value.length > CUSTOM_METADATA_LIMITS.valueLength) {
      throw new InvalidRequestError('custom_metadata values must be at most 512 characters');
    }
    Object.defineProperty(result, key, { value, enumerable: true, writable: true });
  }
  return entries.length === 0 ? null : result;
}
