import type { Model } from './types.js';

/**
 * The configurations (set of placed operations, model state) a search has already reached.
 * Reaching one again cannot lead anywhere new: the first visit is either still being explored
 * deeper on the stack, which is impossible since the set only grows along it, or already failed.
 *
 * The cache is only an optimization: forgetting an entry never changes a verdict, it only costs
 * time. That is what keeps its memory bounded: once {@link MAX_STORED_WORDS} words are stored,
 * it stops adding entries and the step budget bounds the rest of the search.
 *
 * Storage is flat. A set is stored as the span of its words between the first word that is not
 * full and the last word that is not empty, since a search placing operations roughly in call
 * order holds sets that are full up to a frontier and sparse just past it. Spans sit side by
 * side in one growing word array; entries are chained per bucket of an open hash table.
 */

/** About 128 MiB of stored sets. */
const MAX_STORED_WORDS = 32 * 1024 * 1024;

const FULL_WORD = 0xffffffff;

export class ConfigurationCache<S, I, O> {
  private readonly states: S[] = [];
  /** Per entry: its hash, the first word of its span, the span's length, where it is stored. */
  private hashes = new Uint32Array(1024);
  private spanStarts = new Int32Array(1024);
  private spanLengths = new Int32Array(1024);
  private offsets = new Int32Array(1024);
  /** Per entry: the next entry of the same bucket, or -1. */
  private chain = new Int32Array(1024);
  /** Per bucket: its most recent entry, or -1. */
  private buckets = new Int32Array(2048).fill(-1);
  private words = new Uint32Array(4096);
  private storedWords = 0;

  constructor(private readonly model: Model<S, I, O>) {}

  /**
   * Records the configuration of `set` (whose hash is `setHash`) and `state`. Returns false if
   * it was already recorded, true otherwise (including when the cache is full and forgets it).
   */
  addIfAbsent(setHash: number, set: Uint32Array, state: S): boolean {
    const hash = (setHash ^ Math.imul(this.model.hash(state), 0x9e3779b1)) >>> 0;
    let start = 0;
    while (start < set.length && set[start] === FULL_WORD) start++;
    let end = set.length;
    while (end > start && set[end - 1] === 0) end--;

    const bucket = hash & (this.buckets.length - 1);
    for (let entry = this.buckets[bucket]!; entry !== -1; entry = this.chain[entry]!) {
      if (
        this.hashes[entry] === hash &&
        this.sameSpan(entry, set, start, end) &&
        this.model.equal(this.states[entry]!, state)
      ) {
        return false;
      }
    }

    const length = end - start;
    if (this.storedWords + length > MAX_STORED_WORDS) return true;
    this.store(hash, set, start, length, state);
    return true;
  }

  private sameSpan(entry: number, set: Uint32Array, start: number, end: number): boolean {
    if (this.spanStarts[entry] !== start || this.spanLengths[entry] !== end - start) return false;
    const offset = this.offsets[entry]! - start;
    for (let i = start; i < end; i++) if (this.words[offset + i] !== set[i]) return false;
    return true;
  }

  private store(hash: number, set: Uint32Array, start: number, length: number, state: S): void {
    const entry = this.states.length;
    if (entry === this.chain.length) this.growEntries();
    if (this.storedWords + length > this.words.length) this.growWords(this.storedWords + length);

    this.states.push(state);
    this.hashes[entry] = hash;
    this.spanStarts[entry] = start;
    this.spanLengths[entry] = length;
    this.offsets[entry] = this.storedWords;
    this.words.set(set.subarray(start, start + length), this.storedWords);
    this.storedWords += length;

    const bucket = hash & (this.buckets.length - 1);
    this.chain[entry] = this.buckets[bucket]!;
    this.buckets[bucket] = entry;
    if (this.states.length * 2 > this.buckets.length) this.rehash();
  }

  private growEntries(): void {
    const size = this.chain.length * 2;
    this.hashes = grown(this.hashes, new Uint32Array(size));
    this.spanStarts = grown(this.spanStarts, new Int32Array(size));
    this.spanLengths = grown(this.spanLengths, new Int32Array(size));
    this.offsets = grown(this.offsets, new Int32Array(size));
    this.chain = grown(this.chain, new Int32Array(size));
  }

  private growWords(needed: number): void {
    let size = this.words.length * 2;
    while (size < needed) size *= 2;
    this.words = grown(this.words, new Uint32Array(size));
  }

  /** Doubles the bucket table so chains stay short. */
  private rehash(): void {
    this.buckets = new Int32Array(this.buckets.length * 2).fill(-1);
    const mask = this.buckets.length - 1;
    for (let entry = 0; entry < this.states.length; entry++) {
      const bucket = this.hashes[entry]! & mask;
      this.chain[entry] = this.buckets[bucket]!;
      this.buckets[bucket] = entry;
    }
  }
}

function grown<T extends Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
