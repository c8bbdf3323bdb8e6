/**
 * Random identifiers the token store hands out: service token ids in Vault's `hvs.` format and
 * accessors. Clients treat both as opaque (vault-api.md §4, "Format"). These mirror the helpers in
 * src/vault/token-id.ts, which this rank-6 folder may not import.
 */
import { randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The largest multiple of 62 that fits in a byte: bytes at or above it are redrawn (no bias). */
const UNBIASED_LIMIT = 248;

/** The prefix of a service token id. */
export const SERVICE_TOKEN_PREFIX = 'hvs.';
/** The prefix of a batch token: what follows is the sealed entry, base64url. */
export const BATCH_TOKEN_PREFIX = 'hvb.';

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
  return `${SERVICE_TOKEN_PREFIX}${randomBase62(32)}`;
}

/** A token accessor: 24 base62 characters, as Vault's. */
export function newAccessor(): string {
  return randomBase62(24);
}
