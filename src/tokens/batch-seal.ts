/**
 * Batch tokens carry their own entry (vault-api.md §4, "batch"): the token is `hvb.` followed by
 * the entry sealed with AES-256-GCM under a key kept in the token store's view, behind the
 * barrier. Nothing is stored per token; any node of the cluster can open one, and a forged or
 * altered token fails authentication and opens to nothing.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { StorageConditionFailedError } from '../logical/errors.js';
import type { Storage } from '../logical/storage.js';
import { TokenStateCorruptError } from './errors.js';
import { BATCH_TOKEN_PREFIX } from './token-id.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Binds a sealed blob to its purpose, so a blob sealed for something else never opens here. */
const ASSOCIATED_DATA = Buffer.from('coffer batch token v1', 'utf8');

/**
 * The stored bytes at `path`, creating `bytes` random ones there first if nothing is stored.
 * Concurrent creators on several nodes agree on one value: the creation is conditional.
 */
export async function openRandomSecret(
  storage: Storage,
  path: string,
  bytes: number,
  viewPrefix = 'sys/token/',
): Promise<Buffer> {
  let value = await storage.get(path);
  if (value === undefined) {
    const fresh = randomBytes(bytes);
    try {
      await storage.batch([{ type: 'put', path, value: fresh, condition: { ifAbsent: true } }]);
      value = fresh;
    } catch (err) {
      if (!(err instanceof StorageConditionFailedError)) throw err;
      value = await storage.get(path);
    }
  }
  if (value === undefined || value.byteLength !== bytes) {
    throw new TokenStateCorruptError(`${viewPrefix}${path}`);
  }
  return Buffer.from(value);
}

/** Seals and opens batch tokens under one key. */
export class BatchSealer {
  constructor(private readonly key: Buffer) {
    if (key.byteLength !== KEY_BYTES) throw new RangeError('batch token key must be 32 bytes');
  }

  /** Reads the key from `storage` at `path`, creating it on first use. */
  static async open(storage: Storage, path: string): Promise<BatchSealer> {
    return new BatchSealer(await openRandomSecret(storage, path, KEY_BYTES));
  }

  /** `hvb.` and the sealed `payload`, base64url. */
  seal(payload: unknown): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(ASSOCIATED_DATA);
    const plain = Buffer.from(JSON.stringify(payload), 'utf8');
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const sealed = Buffer.concat([nonce, body, cipher.getAuthTag()]);
    return BATCH_TOKEN_PREFIX + sealed.toString('base64url');
  }

  /** The payload of a token this key sealed, or null for anything else (never throws). */
  open(token: string): unknown {
    if (!token.startsWith(BATCH_TOKEN_PREFIX)) return null;
    const sealed = Buffer.from(token.slice(BATCH_TOKEN_PREFIX.length), 'base64url');
    if (sealed.byteLength < NONCE_BYTES + TAG_BYTES + 2) return null;
    try {
      const nonce = sealed.subarray(0, NONCE_BYTES);
      const tag = sealed.subarray(sealed.byteLength - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
      decipher.setAAD(ASSOCIATED_DATA);
      decipher.setAuthTag(tag);
      const body = sealed.subarray(NONCE_BYTES, sealed.byteLength - TAG_BYTES);
      const plain = Buffer.concat([decipher.update(body), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as unknown;
    } catch {
      return null;
    }
  }
}
