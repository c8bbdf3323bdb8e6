/**
 * `subkeys/<key>`: the shape of a version's data without its values (vault-api.md §2.4). Every
 * leaf (a non-object value, or an empty object) reads as `null`; `?depth=N` (N > 0) also turns
 * the objects at depth N into `null`, whatever they hold.
 */
import {
  InvalidRequestError,
  isPlainObject,
  type FieldData,
  type PathDefinition,
  type Request,
  type Response,
} from '../../logical/index.js';
import { keyOf, loadVersion } from './path-data.js';
import type { KvStore } from './store.js';

export function subkeysPath(store: KvStore, now: () => number): PathDefinition {
  /** Answers like a data read: null when missing, 404 with the metadata when deleted. */
  const read = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const depth = fields.int('depth');
    if (depth < 0) throw new InvalidRequestError('depth must be 0 or more');
    const loaded = await loadVersion(store, keyOf(fields), fields.int('version'), now());
    if (loaded === undefined) return null;
    if (loaded.gone) return { data: { subkeys: null, metadata: loaded.metadata }, status: 404 };
    return { data: { subkeys: subkeys(loaded.data, depth), metadata: loaded.metadata } };
  };

  return {
    pattern: 'subkeys/(?<path>.+)',
    fields: {
      path: { type: 'string', description: 'Location of the secret.' },
      version: { type: 'int', description: 'The version to read; 0 or absent for the latest.' },
      depth: { type: 'int', description: 'The deepest level to show; 0 for no limit.' },
    },
    operations: { read },
    synopsis: 'Read the structure of a secret with its values removed.',
  };
}

/**
 * `data` with every value replaced by `null` but the non-empty objects above `maxDepth` (the top
 * level is depth 1; 0 means no limit). A new object: `data` is not modified.
 */
export function subkeys(data: Record<string, unknown>, maxDepth: number): Record<string, unknown> {
  const walk = (node: Record<string, unknown>, depth: number): Record<string, unknown> => {
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const deeper = maxDepth === 0 || depth < maxDepth;
      const child =
        deeper && isPlainObject(value) && Object.keys(value).length > 0
          ? walk(value, depth + 1)
          : null;
      // Defined as own data, so a "__proto__" key in the secret stays a plain key.
      Object.defineProperty(result, key, {
        value: child,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  };
  return walk(data, 1);
}
