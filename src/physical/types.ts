/**
 * The physical store: the ordered key/value store the security barrier sits on. In a cluster it
 * is replicated through Raft (writes are proposals, reads are linearizable through a read index);
 * in tests it is `MemoryStore` (memory-store.ts). Every implementation is meant to pass the same
 * conformance suite (test/physical/conformance.ts), so the layers above cannot tell them apart.
 *
 * The store is untrusted for confidentiality: above it, the barrier encrypts every value, so the
 * store only ever sees ciphertext (DESIGN.md "Seal, barrier, join").
 *
 * Keys are strings of slash-separated segments, e.g. `logical/1f2e/data/app`. A valid key is
 * non-empty, does not end with `/` (that form means a folder in {@link PhysicalStore.list}) and
 * holds no NUL character; anything else is refused with an `InvalidKeyError`. Values are opaque
 * bytes.
 */

/**
 * A precondition on the value at an op's key, checked when the batch is applied. A failed
 * condition fails the whole batch with a `ConditionFailedError` and writes nothing.
 *
 * - `{ ifAbsent: true }` holds when the key has no value.
 * - `{ ifValue: bytes }` holds when the key has exactly these bytes (so it is absent-safe: an
 *   absent key never matches).
 */
export type Condition = { readonly ifAbsent: true } | { readonly ifValue: Uint8Array };

/** Sets `key` to `value`, if `condition` (when given) holds. */
export interface PutOp {
  readonly type: 'put';
  readonly key: string;
  readonly value: Uint8Array;
  readonly condition?: Condition;
}

/** Removes `key` (a no-op when absent), if `condition` (when given) holds. */
export interface DeleteOp {
  readonly type: 'delete';
  readonly key: string;
  readonly condition?: Condition;
}

/** One write in a {@link PhysicalStore.batch}. */
export type BatchOp = PutOp | DeleteOp;

/**
 * The replicated ordered key/value store under the barrier.
 *
 * Contract shared by every implementation:
 * - Every call validates its keys first and rejects with `InvalidKeyError` before touching state.
 * - Once a write's promise resolves, the write is durable (in a cluster: committed by a quorum
 *   that fsynced it) and every later `get`/`list` on any node observes it.
 * - Values handed in are copied or treated as immutable; values handed out are the caller's to
 *   keep: mutating either side never changes what the store holds.
 * - A replicated implementation that cannot serve a call (no leader, lost quorum, shutting down)
 *   rejects with `PhysicalUnavailableError`. A write rejected that way may or may not have been
 *   applied: callers must treat its outcome as unknown.
 */
export interface PhysicalStore {
  /** The value at `key`, or `undefined` when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;

  /** Sets `key` to `value`, replacing any previous value. */
  put(key: string, value: Uint8Array): Promise<void>;

  /** Removes `key`. Deleting an absent key succeeds. */
  delete(key: string): Promise<void>;

  /**
   * The immediate children of `prefix`, sorted by UTF-16 code unit order (JavaScript's default
   * string order), each once. `prefix` is usually `''` or ends with `/`, but any string works:
   * keys that start with it are taken, the prefix is cut off, and what remains is returned up
   * to and including its first `/` (a folder, returned once however many keys it holds) or
   * whole (a leaf). An empty result means nothing is stored under the prefix.
   *
   * With `a/b`, `a/c/d` and `a/c/e` stored, `list('a/')` is `['b', 'c/']` and `list('')` is
   * `['a/']`. The same semantics as Vault's physical `List`.
   */
  list(prefix: string): Promise<string[]>;

  /**
   * Applies `ops` atomically: either every op takes effect or none does. Ops run in order, and
   * each op's condition is checked against the state left by the ops before it in the same
   * batch (so a later op on the same key sees the earlier one). When a condition fails the
   * batch rejects with `ConditionFailedError`, naming the op's index and key, and nothing is
   * written. An empty batch resolves at once.
   */
  batch(ops: readonly BatchOp[]): Promise<void>;
}
