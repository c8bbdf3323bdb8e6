/**
 * The shapes the barrier offers to the layers above it: the storage surface (the barrier itself
 * and every prefix-scoped view implement it), the plaintext batch ops and the key status.
 */

/**
 * A plaintext precondition for a barrier batch op. `ifValue` compares the decrypted value in
 * constant time, and the check is made atomic with the write by conditioning the physical op on
 * the exact ciphertext that was read.
 */
export type BarrierCondition = { readonly ifAbsent: true } | { readonly ifValue: Uint8Array };

/** Encrypts and stores `value` at `path`, if `condition` (when given) holds. */
export interface BarrierPutOp {
  readonly type: 'put';
  readonly path: string;
  readonly value: Uint8Array;
  readonly condition?: BarrierCondition;
}

/** Removes `path`, if `condition` (when given) holds. */
export interface BarrierDeleteOp {
  readonly type: 'delete';
  readonly path: string;
  readonly condition?: BarrierCondition;
}

export type BarrierBatchOp = BarrierPutOp | BarrierDeleteOp;

/**
 * Encrypted storage as the layers above the barrier see it: plaintext in, plaintext out, every
 * value encrypted with its path as associated data before it reaches the physical store.
 *
 * Paths are relative, slash-separated and validated: no leading or trailing `/`, no empty, `.`
 * or `..` segment, no NUL (`InvalidPathError`, 400). Every call rejects with `SealedError` (503)
 * while sealed, and with `IntegrityError` (500) when a stored value fails authentication.
 */
export interface BarrierStorage {
  /** The plaintext at `path`, or undefined when nothing is stored there. */
  get(path: string): Promise<Uint8Array | undefined>;

  /** Encrypts `value` under the active key term and stores it at `path`. */
  put(path: string, value: Uint8Array): Promise<void>;

  /** Removes `path`; removing an absent path succeeds. */
  delete(path: string): Promise<void>;

  /**
   * The immediate children of `prefix` (`''` or ending with `/`), sorted, sub-folders once
   * with a trailing `/`: the physical store's `list` semantics.
   */
  list(prefix: string): Promise<string[]>;

  /**
   * Applies `ops` atomically, in order, each condition checked against the state the earlier
   * ops left. A failing condition rejects with `BarrierConditionFailedError` naming the op's
   * index and path, and nothing is written.
   */
  batch(ops: readonly BarrierBatchOp[]): Promise<void>;

  /**
   * A storage scoped to `prefix` (non-empty, ending with `/`) below this one, like a chroot:
   * its paths are relative to the prefix and cannot leave it.
   */
  view(prefix: string): BarrierStorage;
}

/** What `sys/key-status` reports about the active key term. */
export interface KeyStatus {
  /** The active term: new writes are encrypted under it. */
  term: number;
  /** When the active term was installed. */
  installTime: Date;
  /** Values this process has encrypted under the active term since it was unsealed. */
  encryptions: number;
}
