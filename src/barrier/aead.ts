/**
 * The barrier's value encryption: AES-256-GCM with a fresh random 96-bit nonce per value, and a
 * frame that says which key term encrypted it.
 *
 * Frame layout (big-endian):
 *
 * | bytes | field |
 * |---|---|
 * | 1 | format version, {@link FRAME_VERSION} |
 * | 4 | key term; 0 marks a record sealed by a key outside the keyring (root or unseal key) |
 * | 12 | nonce |
 * | n | ciphertext (as long as the plaintext) |
 * | 16 | GCM tag |
 *
 * The associated data is the 5-byte header followed by the UTF-8 storage path. Binding the path
 * means a value copied to another key fails to verify; binding the header means the version
 * and term cannot be edited either. Random nonces keep the chance of a repeat negligible well
 * below 2^32 encryptions per key (NIST SP 800-38D §8.3), which rotation stays under. Nonces
 * come from a pool of random bytes filled about 4 KiB at a time (nonces.ts), each used once.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

import { invariant } from '../util/assert.js';
import { IntegrityError } from './errors.js';
import { NoncePool } from './nonces.js';

/** The only frame format so far. A reader refuses any other. */
export const FRAME_VERSION = 1;

/** Data keys, the root key and the unseal key are all AES-256 keys. */
export const KEY_BYTES = 32;

/** The term written in frames sealed by a key outside the keyring (root key, unseal key). */
export const OUTSIDE_KEYRING_TERM = 0;

const HEADER_BYTES = 5;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_TERM = 0xffffffff;
/** 341 nonces per fill: 4,092 bytes of randomness drawn at a time. */
const NONCES_PER_FILL = 341;

const nonces = new NoncePool(NONCE_BYTES, NONCES_PER_FILL);

/** The smallest possible frame: header, nonce and tag around an empty plaintext. */
export const MIN_FRAME_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** A new zero-filled buffer that is not a slice of Node's shared pool, so wiping it is local. */
export function secretBuffer(size: number): Buffer {
  return Buffer.alloc(size);
}

/** A fresh random AES-256 key in its own buffer. */
export function randomKey(): Buffer {
  return randomFillSync(secretBuffer(KEY_BYTES));
}

/** Overwrites `bytes` with zeros. JavaScript cannot reach copies the engine or OpenSSL made. */
export function wipe(bytes: Uint8Array | undefined | null): void {
  bytes?.fill(0);
}

/**
 * Encrypts `plaintext` for storage at `path` under `key`, labelled with `term`. Returns the
 * whole frame.
 */
export function encryptValue(
  key: Uint8Array,
  term: number,
  path: string,
  plaintext: Uint8Array,
): Buffer {
  invariant(key.byteLength === KEY_BYTES, 'barrier keys are 32 bytes', { size: key.byteLength });
  invariant(Number.isInteger(term) && term >= 0 && term <= MAX_TERM, 'key term out of range', {
    term,
  });

  // From Node's buffer pool (a fresh allocation costs more than the encryption of a small
  // value); every byte is written below, which the length check before the return confirms.
  const frame = Buffer.allocUnsafe(HEADER_BYTES + NONCE_BYTES + plaintext.byteLength + TAG_BYTES);
  frame.writeUInt8(FRAME_VERSION, 0);
  frame.writeUInt32BE(term, 1);
  const nonce = frame.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  nonces.next(nonce);

  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(frame, path));
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  invariant(body.length + tail.length === plaintext.byteLength, 'GCM keeps the length', {
    plaintext: plaintext.byteLength,
    ciphertext: body.length + tail.length,
  });
  body.copy(frame, HEADER_BYTES + NONCE_BYTES);
  tail.copy(frame, HEADER_BYTES + NONCE_BYTES + body.length);
  cipher.getAuthTag().copy(frame, frame.length - TAG_BYTES);
  return frame;
}

/**
 * The key term a stored frame names, after checking its length and version. Throws
 * `IntegrityError` (`truncated` or `unknown_version`) for a frame that cannot be one of ours.
 */
export function frameTerm(path: string, frame: Uint8Array): number {
  if (frame.byteLength < MIN_FRAME_BYTES) {
    throw new IntegrityError(path, 'truncated', { size: frame.byteLength });
  }
  if (frame[0] !== FRAME_VERSION) {
    throw new IntegrityError(path, 'unknown_version', { version: frame[0] });
  }
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).readUInt32BE(1);
}

/**
 * Decrypts a frame read from `path` with `key`. The plaintext is returned in its own buffer
 * (the caller wipes it when it holds a key). Throws `IntegrityError` when the frame is malformed
 * or its tag does not verify: a flipped bit, another path's value, or the wrong key. It never
 * returns unauthenticated bytes.
 */
export function decryptValue(key: Uint8Array, path: string, frame: Uint8Array): Buffer {
  invariant(key.byteLength === KEY_BYTES, 'barrier keys are 32 bytes', { size: key.byteLength });
  const term = frameTerm(path, frame);

  const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const nonce = bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  const body = bytes.subarray(HEADER_BYTES + NONCE_BYTES, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);

  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(associatedData(bytes, path));
  decipher.setAuthTag(tag);
  const plain = decipher.update(body);
  try {
    const tail = decipher.final();
    return tail.length === 0 ? plain : Buffer.concat([plain, tail]);
  } catch (cause) {
    // GCM releases plaintext before the tag is checked; never let it out when the check fails.
    wipe(plain);
    throw new IntegrityError(path, 'authentication_failed', { term }, { cause });
  }
}

function associatedData(frame: Uint8Array, path: string): Buffer {
  return Buffer.concat([frame.subarray(0, HEADER_BYTES), Buffer.from(path, 'utf8')]);
}
