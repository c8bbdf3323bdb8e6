/**
 * Random identifiers the token store hands out: service token ids in Vault's `hvs.` format and
 * accessors. Clients treat both as opaque (vault-api.md §4, "Format").
 */
import { randomBase62 } from '../util/random.js';

/** The prefix of a service token id. */
export const SERVICE_TOKEN_PREFIX = 'hvs.';
/** The prefix of a batch token: what follows is the sealed entry, base64url. */
export const BATCH_TOKEN_PREFIX = 'hvb.';

/** A service token id: `hvs.` and 32 base62 characters (about 190 random bits). */
export function newServiceTokenId(): string {
  return `${SERVICE_TOKEN_PREFIX}${randomBase62(32)}`;
}

/** A token accessor: 24 base62 characters, as Vault's. */
export function newAccessor(): string {
  return randomBase62(24);
}
