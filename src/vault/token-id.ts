/**
 * Random identifiers the core hands out: token ids in Vault's `hvs.` format, accessors, mount
 * accessors and UUIDs. Clients treat all of them as opaque (vault-api.md §4, "Format").
 */
import { randomBytes, randomUUID } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The largest multiple of 62 that fits in a byte: bytes at or above it are redrawn (no bias). */
const UNBIASED_LIMIT = 248;

/** `length` characters drawn uniformly from [A-Za-z0-9] with a cryptographic source. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A service token id: `hvs.` and 32 base62 characters (about 190 random bits). */
export function newServiceTokenId(): string {
  return `hvs.${randomBase62(32)}`;
}

/** A token accessor: 24 base62 characters, as Vault's. */
export function newAccessor(): string {
  return randomBase62(24);
}

/** A random UUID (request ids, mount uuids, cluster id). */
export function newUuid(): string {
  return randomUUID();
}
