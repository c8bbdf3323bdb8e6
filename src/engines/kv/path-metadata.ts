/**
 * `metadata/<key>`: read a key's metadata and version history, list keys (LIST on a folder),
 * change per-key settings (POST replaces the settings it names, PATCH merges), and delete a key
 * with every version (vault-api.md §2.4).
 */
import {
  InvalidRequestError,
  NotFoundError,
  asFolder,
  formatDuration,
  type FieldData,
  type PathDefinition,
  type Request,
  type Response,
} from '../../logical/index.js';
import { mergePatch } from './merge-patch.js';
import { keyOf } from './path-data.js';
import type { KvStore } from './store.js';
import type { KeyMetadata } from './types.js';

/** Vault's limits on `custom_metadata`, in UTF-8 bytes as Go counts them. */
const CUSTOM_METADATA_LIMITS = { keys: 64, keyBytes: 128, valueBytes: 512 };

/** What Go's `unicode.IsPrint` accepts: letters, marks, numbers, punctuation, symbols, space. */
const UNPRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** The settings a metadata write or patch may change, with the value a `null` patch resets to. */
const SETTINGS = {
  max_versions: 0,
  cas_required: false,
  delete_version_after: 0,
  custom_metadata: null,
} as const;

type Settings = Partial<Pick<KeyMetadata, keyof typeof SETTINGS>>;

const CAS_IGNORED_WARNING =
  '"cas_required" is false for this key, but the mount config requires check-and-set, ' +
  'so the mount setting applies.';

export function metadataPath(store: KvStore): PathDefinition {
  const read = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const meta = await store.readMetadata(keyOf(fields));
    return meta === undefined ? null : { data: metadataReport(meta) };
  };

  /** The keys under a folder, folders with a trailing `/`; the HTTP layer turns none into 404. */
  const list = async (_request: Request, fields: FieldData): Promise<Response> => {
    const keys = await store.listKeys(asFolder(fields.string('path')));
    return { data: { keys } };
  };

  /**
   * Changes the settings the request names, creating the key's metadata if needed (metadata may
   * be written before any data). A request naming no setting writes nothing.
   */
  const write = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const key = keyOf(fields);
    const changes = readSettings(fields);
    if (Object.keys(changes).length === 0) return null;
    await store.editMetadata(
      key,
      (meta) => {
        Object.assign(meta, changes);
        return true;
      },
      true,
    );
    return casWarning(store, changes);
  };

  /**
   * Merges the named settings into an existing key's (404 when the key does not exist):
   * `custom_metadata` merges key by key, and a `null` removes a custom key or resets a setting.
   */
  const patch = async (request: Request, fields: FieldData): Promise<Response | null> => {
    const key = keyOf(fields);
    const changes = readSettings(fields);
    const nulls = Object.keys(SETTINGS).filter(
      (name) => Object.hasOwn(request.data, name) && request.data[name] === null,
    );
    const rawCustom = request.data.custom_metadata;

    const edited = await store.editMetadata(
      key,
      (meta) => {
        for (const name of nulls) Object.assign(meta, { [name]: SETTINGS[name as keyof Settings] });
        const { custom_metadata: customChanges, ...plain } = changes;
        Object.assign(meta, plain);
        if (customChanges !== undefined) {
          const merged = mergePatch(meta.custom_metadata ?? {}, rawCustom);
          meta.custom_metadata = customMetadata(merged as Record<string, unknown>);
        }
        return true;
      },
      false,
    );
    if (edited === undefined) throw new NotFoundError();
    return casWarning(store, changes);
  };

  const remove = async (_request: Request, fields: FieldData): Promise<null> => {
    await store.deleteKey(keyOf(fields));
    return null;
  };

  const exists = async (_request: Request, fields: FieldData): Promise<boolean> =>
    store.keyExists(fields.string('path'));

  return {
    pattern: 'metadata/(?<path>.*)',
    fields: {
      path: { type: 'string', description: 'Location of the secret, or a folder to list.' },
      max_versions: { type: 'int', description: 'Versions to keep; 0 for the mount setting.' },
      cas_required: { type: 'bool', description: 'Require check-and-set on every write.' },
      delete_version_after: {
        type: 'duration',
        description:
          'Soft-delete new versions after this long; 0 for the mount setting, which also caps it.',
      },
      custom_metadata: {
        type: 'map',
        description: 'Up to 64 string keys and values describing the secret.',
      },
    },
    operations: { read, list, update: write, create: write, patch, delete: remove },
    existenceCheck: exists,
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

/** The settings the request carries (not null), validated. */
function readSettings(fields: FieldData): Settings {
  const changes: Settings = {};
  if (fields.has('max_versions')) {
    const max = fields.int('max_versions');
    if (max < 0) throw new InvalidRequestError('"max_versions" must be 0 or more');
    changes.max_versions = max;
  }
  if (fields.has('cas_required')) changes.cas_required = fields.bool('cas_required');
  if (fields.has('delete_version_after')) {
    changes.delete_version_after = fields.duration('delete_version_after');
  }
  if (fields.has('custom_metadata')) {
    // Checked whole here; a patch checks the merged result again (its nulls remove keys).
    const raw = fields.map('custom_metadata');
    const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
    changes.custom_metadata = customMetadata(present);
  }
  return changes;
}

/** Vault warns when a key turns `cas_required` off while the mount still requires it. */
async function casWarning(store: KvStore, changes: Settings): Promise<Response | null> {
  if (changes.cas_required !== false) return null;
  const config = await store.readConfig();
  return config.cas_required ? { warnings: [CAS_IGNORED_WARNING] } : null;
}

/**
 * Checks `custom_metadata` against Vault's limits: at most 64 keys, each key 1 to 128 bytes,
 * each value a string of 1 to 512 bytes, both printable. An empty map is stored as null.
 */
function customMetadata(raw: Record<string, unknown>): Record<string, string> | null {
  const entries = Object.entries(raw);
  if (entries.length > CUSTOM_METADATA_LIMITS.keys) {
    throw new InvalidRequestError(
      `custom_metadata may hold at most ${CUSTOM_METADATA_LIMITS.keys} keys, not ${entries.length}`,
    );
  }
  const result: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new InvalidRequestError('custom_metadata values must be strings', { key });
    }
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes === 0 || keyBytes > CUSTOM_METADATA_LIMITS.keyBytes) {
      throw new InvalidRequestError('custom_metadata keys must be 1 to 128 bytes long', { key });
    }
    const valueBytes = Buffer.byteLength(value, 'utf8');
    if (valueBytes === 0 || valueBytes > CUSTOM_METADATA_LIMITS.valueBytes) {
      throw new InvalidRequestError('custom_metadata values must be 1 to 512 bytes long', { key });
    }
    if (UNPRINTABLE.test(key) || UNPRINTABLE.test(value)) {
      throw new InvalidRequestError('custom_metadata keys and values must be printable', { key });
    }
    Object.defineProperty(result, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return entries.length === 0 ? null : result;
}
