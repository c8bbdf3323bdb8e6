/**
 * KV version 1: unversioned secrets, one JSON object per path, stored as it was written
 * (vault-api.md §2.4). Every path below the mount is a secret or a folder of secrets:
 *
 * - read: the secret as `data`; a `ttl` (or `lease`) key in it becomes the response's
 *   `lease_duration`, a hint to re-read, with no lease behind it.
 * - create / update: the request data is the whole secret, replacing what was there.
 * - delete: removes the secret (removing a missing one succeeds).
 * - list: the keys and sub-folders of a folder.
 *
 * Storage holds each secret at its own path relative to the mount, so listing storage lists
 * the secrets.
 */
import {
  InvalidRequestError,
  asFolder,
  decodeJson,
  encodeJson,
  isPlainObject,
  parseDurationSeconds,
  type FieldData,
  type PathDefinition,
  type Request,
  type Response,
  type Storage,
} from '../../logical/index.js';
import { assertKey } from './store.js';

export function v1Path(storage: Storage): PathDefinition {
  const read = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const key = fields.string('path');
    if (!isKey(key)) return null;
    const stored = await storage.get(key);
    if (stored === undefined) return null;
    const secret = decodeJson<Record<string, unknown>>(stored);
    const ttl = ttlHint(secret);
    if (ttl === undefined) return { data: secret };
    return { data: secret, lease: { leaseId: '', leaseDuration: ttl, renewable: false } };
  };

  /** The body is the secret; it must be a JSON object with at least one key. */
  const write = async (request: Request, fields: FieldData): Promise<null> => {
    const key = fields.string('path');
    assertKey(key);
    const secret: unknown = request.data;
    if (!isPlainObject(secret)) throw new InvalidRequestError('the secret must be a JSON object');
    if (Object.keys(secret).length === 0) throw new InvalidRequestError('missing data fields');
    await storage.put(key, encodeJson(secret));
    return null;
  };

  const remove = async (_request: Request, fields: FieldData): Promise<null> => {
    const key = fields.string('path');
    assertKey(key);
    await storage.delete(key);
    return null;
  };

  /** The keys under a folder, folders with a trailing `/`; the HTTP layer turns none into 404. */
  const list = async (_request: Request, fields: FieldData): Promise<Response> => {
    const keys = await storage.list(asFolder(fields.string('path')));
    return { data: { keys } };
  };

  const exists = async (_request: Request, fields: FieldData): Promise<boolean> => {
    const key = fields.string('path');
    return isKey(key) && (await storage.get(key)) !== undefined;
  };

  return {
    pattern: '(?<path>.*)',
    fields: { path: { type: 'string', description: 'Location of the secret.' } },
    operations: { read, update: write, create: write, delete: remove, list },
    existenceCheck: exists,
    synopsis: 'Read, write, list and delete unversioned secrets.',
  };
}

function isKey(key: string): boolean {
  return key.length > 0 && !key.endsWith('/');
}

/**
 * Seconds from the secret's `ttl` key, else its `lease` key (the older name); undefined when it
 * has neither or the value is not a duration, which Vault also ignores.
 */
function ttlHint(secret: Record<string, unknown>): number | undefined {
  const name = Object.hasOwn(secret, 'ttl') ? 'ttl' : 'lease';
  if (!Object.hasOwn(secret, name)) return undefined;
  const raw = secret[name];
  try {
    return parseDurationSeconds(raw, 'ttl');
  } catch {
    return undefined;
  }
}
