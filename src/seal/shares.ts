/**
 * Shamir shares of the unseal key: splitting at init, parsing what operators type at unseal, and
 * combining a threshold of them back into the key.
 *
 * The splitting is the `shamir-secret-sharing` package (GF(2^8), one polynomial per key byte).
 * A share is the 32 evaluated bytes followed by one byte holding its x-coordinate (never 0), so
 * 33 bytes; the same size as Vault's, which prints them as 66 hex digits or 44 base64
 * characters. With a single share there is nothing to split (the package needs at least 2), and
 * like Vault the one "share" is the 32-byte unseal key itself.
 */
import { timingSafeEqual } from 'node:crypto';

import { combine, split } from 'shamir-secret-sharing';

import { KEY_BYTES } from '../barrier/aead.js';
import { InvalidShareError } from './errors.js';
import type { SealConfig } from './seal-config.js';

/** The byte size of one share under `config`: the key alone for 1 share, else key plus index. */
export function shareSize(config: SealConfig): number {
  return config.secretShares === 1 ? KEY_BYTES : KEY_BYTES + 1;
}

/** Splits `unsealKey` into `config.secretShares` shares, any threshold of which rebuild it. */
export async function splitUnsealKey(
  unsealKey: Uint8Array,
  config: SealConfig,
): Promise<Uint8Array[]> {
  if (config.secretShares === 1) return [new Uint8Array(unsealKey)];
  return split(plainView(unsealKey), config.secretShares, config.secretThreshold);
}

/**
 * Rebuilds the unseal key from `shares` (already parsed, distinct, `config.secretThreshold` of
 * them) into a buffer of its own; the caller wipes it. The result is not verified here: wrong
 * shares give wrong bytes, which the barrier then refuses (the root key record's GCM tag).
 */
export async function combineShares(shares: Uint8Array[], config: SealConfig): Promise<Buffer> {
  const key = Buffer.alloc(KEY_BYTES);
  if (config.secretShares === 1) {
    key.set(shares[0] as Uint8Array);
    return key;
  }
  const combined = await combine(shares.map(plainView));
  key.set(combined.subarray(0, KEY_BYTES));
  combined.fill(0);
  return key;
}

/**
 * The same bytes as a plain `Uint8Array` (no copy): the package checks the exact constructor,
 * so it refuses Node's `Buffer` subclass.
 */
function plainView(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The x-coordinate of a split share: its last byte. */
export function shareIndex(share: Uint8Array): number {
  return share[share.length - 1] as number;
}

/** True when two shares are byte-for-byte equal, compared in constant time. */
export function sameShare(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes a share as typed by an operator: hex (as `keys` in the init answer) or standard
 * base64 (as `keys_base64`). When a string is valid as both, the decoding with the expected size
 * wins. Throws `InvalidShareError` (400) when it is neither, when it decodes to the wrong size,
 * or when its index byte is 0 (no share has one). The result is a buffer of its own.
 */
export function parseShare(text: unknown, expectedBytes: number): Buffer {
  if (typeof text !== 'string' || text.length === 0) {
    throw new InvalidShareError("'key' must be a valid hex or base64 string");
  }

  const decodings: Buffer[] = [];
  if (HEX.test(text)) decodings.push(Buffer.from(text, 'hex'));
  if (BASE64.test(text)) decodings.push(Buffer.from(text, 'base64'));
  if (decodings.length === 0) {
    throw new InvalidShareError("'key' must be a valid hex or base64 string");
  }

  const fit = decodings.find((bytes) => bytes.length === expectedBytes);
  const size = (decodings[0] as Buffer).length;
  const share = fit === undefined ? undefined : Buffer.alloc(expectedBytes);
  if (share !== undefined && fit !== undefined) share.set(fit);
  for (const bytes of decodings) bytes.fill(0);

  if (share === undefined) {
    throw new InvalidShareError(`unseal key must be ${expectedBytes} bytes, got ${size}`, {
      expected: expectedBytes,
      size,
    });
  }
  if (expectedBytes > KEY_BYTES && shareIndex(share) === 0) {
    share.fill(0);
    throw new InvalidShareError('unseal key is not a valid share');
  }
  return share;
}

/** A share as the init answer prints it: hex for `keys`, base64 for `keys_base64`. */
export function formatShare(share: Uint8Array): { hex: string; base64: string } {
  const view = Buffer.from(share.buffer, share.byteOffset, share.byteLength);
  return { hex: view.toString('hex'), base64: view.toString('base64') };
}
