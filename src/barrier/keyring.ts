/**
 * The keyring: every data key the barrier has ever used, one per term, and which term encrypts
 * new writes. Term 1 is created at init; each rotation adds the next term and makes it active.
 * Old terms stay, so values written under them still decrypt.
 *
 * Invariant: terms are 1..activeTerm with none missing, and the active term is the newest.
 *
 * Key bytes live in buffers this class owns and {@link Keyring.wipe} zeroes. The keyring is
 * stored encrypted under the root key at `core/keyring` in a small binary encoding (see
 * {@link Keyring.encode}) rather than JSON, so no key ever passes through an immutable string.
 */
import { invariant } from '../util/assert.js';
import { KEY_BYTES, randomKey, secretBuffer, wipe } from './aead.js';
import { IntegrityError } from './errors.js';
import { KEYRING_PATH } from './paths.js';

/** One data key and when it was installed. */
export interface KeyTerm {
  readonly term: number;
  /** The AES-256 key. Owned by the keyring: zeroed by `wipe`, never to be kept by callers. */
  readonly key: Buffer;
  /** Milliseconds since the Unix epoch. */
  readonly installTime: number;
}

const ENCODING_VERSION = 1;
const HEADER_BYTES = 1 + 4 + 4;
const TERM_BYTES = 4 + 8 + KEY_BYTES;
const MAX_TERM = 0xffffffff;

export class Keyring {
  private wiped = false;

  private constructor(private readonly terms: KeyTerm[]) {
    terms.forEach((entry, i) => {
      invariant(entry.term === i + 1, 'keyring terms are contiguous from 1', { term: entry.term });
      invariant(entry.key.length === KEY_BYTES, 'keyring keys are 32 bytes', { term: entry.term });
    });
    invariant(terms.length > 0, 'a keyring holds at least one term');
  }

  /** A new keyring holding term 1 with a random key installed at `now` (ms since epoch). */
  static create(now: number): Keyring {
    return new Keyring([{ term: 1, key: randomKey(), installTime: now }]);
  }

  /** The term new writes are encrypted with: the newest one. */
  get activeTerm(): number {
    return this.terms.length;
  }

  /** The active term's entry. */
  active(): KeyTerm {
    this.assertUsable();
    return this.terms[this.terms.length - 1] as KeyTerm;
  }

  /** The key of `term`, or undefined when this keyring has no such term. */
  key(term: number): Buffer | undefined {
    this.assertUsable();
    return Number.isInteger(term) && term >= 1 ? this.terms[term - 1]?.key : undefined;
  }

  /**
   * A new keyring with copies of every term plus term N+1 (a fresh random key installed at
   * `now`), active. This keyring is left as it was; wiping one never affects the other.
   */
  withNewTerm(now: number): Keyring {
    this.assertUsable();
    invariant(this.activeTerm < MAX_TERM, 'keyring term space exhausted');
    const copies = this.terms.map((entry) => ({ ...entry, key: copyKey(entry.key) }));
    copies.push({ term: this.activeTerm + 1, key: randomKey(), installTime: now });
    return new Keyring(copies);
  }

  /**
   * The keyring as bytes: a version byte, the active term and the term count (u32 each), then
   * per term its number (u32), install time (f64 ms) and 32-byte key, all big-endian. The
   * buffer holds every key in clear: the caller encrypts it and then wipes it.
   */
  encode(): Buffer {
    this.assertUsable();
    const out = secretBuffer(HEADER_BYTES + this.terms.length * TERM_BYTES);
    out.writeUInt8(ENCODING_VERSION, 0);
    out.writeUInt32BE(this.activeTerm, 1);
    out.writeUInt32BE(this.terms.length, 5);
    this.terms.forEach((entry, i) => {
      const at = HEADER_BYTES + i * TERM_BYTES;
      out.writeUInt32BE(entry.term, at);
      out.writeDoubleBE(entry.installTime, at + 4);
      entry.key.copy(out, at + 12);
    });
    return out;
  }

  /**
   * Rebuilds a keyring from {@link Keyring.encode}'s bytes, copying the keys into buffers of its
   * own (the caller wipes `bytes`). The bytes were authenticated by GCM before they got here, so
   * a malformed encoding means a format this code does not know: `IntegrityError`.
   */
  static decode(bytes: Uint8Array): Keyring {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.length < HEADER_BYTES || view.readUInt8(0) !== ENCODING_VERSION) {
      throw new IntegrityError(KEYRING_PATH, 'unknown_version');
    }
    const active = view.readUInt32BE(1);
    const count = view.readUInt32BE(5);
    if (count === 0 || active !== count || view.length !== HEADER_BYTES + count * TERM_BYTES) {
      throw new IntegrityError(KEYRING_PATH, 'truncated', { count });
    }

    const terms: KeyTerm[] = [];
    for (let i = 0; i < count; i++) {
      const at = HEADER_BYTES + i * TERM_BYTES;
      const term = view.readUInt32BE(at);
      if (term !== i + 1) {
        terms.forEach((entry) => wipe(entry.key));
        throw new IntegrityError(KEYRING_PATH, 'unknown_term', { term });
      }
      terms.push({
        term,
        installTime: view.readDoubleBE(at + 4),
        key: copyKey(view.subarray(at + 12, at + 12 + KEY_BYTES)),
      });
    }
    return new Keyring(terms);
  }

  /** Every term with its install time, oldest first. No key material. */
  describe(): Array<{ term: number; installTime: number }> {
    return this.terms.map(({ term, installTime }) => ({ term, installTime }));
  }

  /** Zeroes every key. The keyring is unusable afterwards; any use is a bug. */
  wipe(): void {
    for (const entry of this.terms) wipe(entry.key);
    this.wiped = true;
  }

  private assertUsable(): void {
    invariant(!this.wiped, 'keyring used after it was wiped');
  }
}

function copyKey(source: Uint8Array): Buffer {
  const key = secretBuffer(KEY_BYTES);
  key.set(source);
  return key;
}
