/**
 * The cubbyhole engine: a private key/value store for each token. The core mounts it at
 * `cubbyhole/` on every node, outside the mount table, so it can be neither disabled nor moved.
 * Each token sees only its own cubbyhole: the storage of a request lives under the salted hashed
 * id of its token ({@link Request.tokenHashedId}, set by the core), so no path a client writes
 * can name another token's data, and not even the root token can read someone else's. When a
 * token is revoked the core destroys its cubbyhole ({@link destroyCubbyhole}).
 *
 * Requests work as KV version 1 (vault-api.md §2.4): read, write (the body is the secret),
 * delete and list, with no versions and no TTL hints. Batch tokens have no cubbyhole, as in
 * Vault (vault-api.md §4).
 *
 * Storage layout, inside the view the core hands the engine: `<hashed token id>/<path>`.
 */
import {
  InvalidRequestError,
  PathBackend,
  asFolder,
  decodeJson,
  encodeJson,
  isPlainObject,
  type Backend,
  type FieldData,
  type Request,
  type Response,
  type Storage,
} from '../../logical/index.js';
import { invariant } from '../../util/assert.js';

export const CUBBYHOLE_MOUNT_TYPE = 'cubbyhole';

/** Where the core serves the engine. */
export const CUBBYHOLE_MOUNT_PATH = 'cubbyhole/';

/** How many deletes {@link destroyCubbyhole} puts in one storage batch. */
const DESTROY_BATCH = 128;

/** The cubbyhole engine over `storage`, the view holding every token's cubbyhole. */
export function createCubbyholeBackend(storage: Storage): Backend {
  const read = async (request: Request, fields: FieldData): Promise<Response | null> => {
    const key = fields.string('path');
    if (!isKey(key)) return null;
    const stored = await storage.get(keyOf(request, key));
    return stored === undefined ? null : { data: decodeJson<Record<string, unknown>>(stored) };
  };

  const write = async (request: Request, fields: FieldData): Promise<null> => {
    const key = fields.string('path');
    assertKey(key);
    const secret: unknown = request.data;
    if (!isPlainObject(secret)) throw new InvalidRequestError('the secret must be a JSON object');
    if (Object.keys(secret).length === 0) throw new InvalidRequestError('missing data fields');
    await storage.put(keyOf(request, key), encodeJson(secret));
    return null;
  };

  const remove = async (request: Request, fields: FieldData): Promise<null> => {
    const key = fields.string('path');
    assertKey(key);
    await storage.delete(keyOf(request, key));
    return null;
  };

  const list = async (request: Request, fields: FieldData): Promise<Response> => {
    const folder = asFolder(fields.string('path'));
    const keys = await storage.list(`${ownerOf(request)}/${folder}`);
    return { data: { keys } };
  };

  const exists = async (request: Request, fields: FieldData): Promise<boolean> => {
    const key = fields.string('path');
    return isKey(key) && (await storage.get(keyOf(request, key))) !== undefined;
  };

  return new PathBackend([
    {
      pattern: '(?<path>.*)',
      fields: { path: { type: 'string', description: 'Location of the secret.' } },
      operations: { read, update: write, create: write, delete: remove, list },
      existenceCheck: exists,
      synopsis: "Read, write, list and delete secrets in the calling token's cubbyhole.",
    },
  ]);
}

/**
 * Deletes every secret in the cubbyhole of the token stored under `hashedId`; an empty or
 * missing cubbyhole succeeds. Resolves to the number of secrets deleted.
 */
export async function destroyCubbyhole(storage: Storage, hashedId: string): Promise<number> {
  assertOwner(hashedId);
  const paths: string[] = [];
  const walk = async (prefix: string): Promise<void> => {
    for (const child of await storage.list(prefix)) {
      if (child.endsWith('/')) await walk(prefix + child);
      else paths.push(prefix + child);
    }
  };
  await walk(`${hashedId}/`);
  for (let start = 0; start < paths.length; start += DESTROY_BATCH) {
    const chunk = paths.slice(start, start + DESTROY_BATCH);
    await storage.batch(chunk.map((path) => ({ type: 'delete', path }) as const));
  }
  return paths.length;
}

/**
 * The storage path of `key` in the cubbyhole of the token stored under `hashedId`: for the core,
 * which writes a wrapped response into a wrapping token's cubbyhole itself.
 */
export function cubbyholePath(hashedId: string, key: string): string {
  assertOwner(hashedId);
  return `${hashedId}/${key}`;
}

/** The storage key of `key` in the caller's cubbyhole. */
function keyOf(request: Request, key: string): string {
  return `${ownerOf(request)}/${key}`;
}

/** The caller's hashed token id; refuses requests that carry none (batch tokens). */
function ownerOf(request: Request): string {
  const owner = request.tokenHashedId;
  if (owner === undefined || owner.length === 0) {
    throw new InvalidRequestError('cubbyhole: only service tokens have a cubbyhole');
  }
  assertOwner(owner);
  return owner;
}

/** A hashed id is hex; anything else would let a path escape its cubbyhole. */
function assertOwner(hashedId: string): void {
  invariant(/^[0-9a-f]+$/.test(hashedId), 'a cubbyhole owner must be a hashed token id');
}

function isKey(key: string): boolean {
  return key.length > 0 && !key.endsWith('/');
}

function assertKey(key: string): void {
  if (!isKey(key)) throw new InvalidRequestError('missing or invalid secret path');
}
