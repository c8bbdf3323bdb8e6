/**
 * The security barrier: everything above it reaches storage only through it, and everything it
 * stores is AES-256-GCM ciphertext bound to its path (see aead.ts).
 *
 * Key hierarchy (DESIGN.md "Seal, barrier, join"; the same shape as Vault's):
 *
 *     unseal key ──opens──▶ core/root-key ──holds──▶ root key ──opens──▶ core/keyring
 *                                                                          │
 *                                       data keys, one per term ◀──holds───┘
 *
 * The unseal key never touches storage; the seal splits it into Shamir shares. Verifying an
 * unseal attempt needs nothing else: a wrong key fails the GCM tag of `core/root-key`.
 *
 * Memory rule: key buffers are only ever used synchronously right after they are fetched from
 * the unsealed state, never across an `await`. That is what lets `seal()` and a keyring swap
 * zero the old buffers at once without breaking an operation in flight; such an operation finds
 * the barrier sealed when it resumes and fails with `SealedError`.
 *
 * Conditions: an `ifValue` condition compares plaintexts, so `batch` reads and decrypts the
 * current value, then conditions the physical op on the exact ciphertext it read. When the
 * condition's buffer is one `get` returned and still holds the bytes it was given, the barrier
 * already knows a ciphertext of that plaintext (the frame it decrypted) and tries the batch on
 * that frame first, without the read; only if the stored frame changed since (another write,
 * possibly of the same plaintext) does it fall back to reading and comparing. `get` keeps that
 * record only for paths a condition has named before, so plain reads do not pay for it.
 */
import { timingSafeEqual } from 'node:crypto';

import { ConditionFailedError } from '../physical/errors.js';
import type { BatchOp, Condition, PhysicalStore } from '../physical/types.js';
import { silentLogger, type Logger } from '../util/logger.js';
import {
  decryptValue,
  encryptValue,
  frameTerm,
  KEY_BYTES,
  OUTSIDE_KEYRING_TERM,
  randomKey,
  wipe,
} from './aead.js';
import {
  BarrierAlreadyInitializedError,
  BarrierConditionFailedError,
  BarrierNotInitializedError,
  IntegrityError,
  InvalidPathError,
  InvalidUnsealKeyError,
  KeyringConflictError,
  SealedError,
} from './errors.js';
import { Keyring } from './keyring.js';
import {
  assertValidPath,
  assertValidPrefix,
  isReservedPath,
  KEYRING_PATH,
  ROOT_KEY_PATH,
} from './paths.js';
import type { BarrierBatchOp, BarrierStorage, KeyStatus } from './types.js';
import { BarrierView } from './view.js';

export interface BarrierOptions {
  logger?: Logger;
  /** Wall-clock milliseconds for key install times; `Date.now` unless a test fixes it. */
  now?: () => number;
}

/** The keys held while unsealed. Replaced as a whole, wiped as a whole. */
interface UnsealedState {
  rootKey: Buffer;
  keyring: Keyring;
  encryptions: number;
}

/**
 * What the barrier keeps of a plaintext `get` returned, for a later `ifValue` condition on it:
 * the path and frame it was decrypted from, and a private copy of its bytes (the caller may
 * change or wipe its buffer; a condition is only taken as "this frame" while they still match).
 */
interface OpenedValue {
  readonly path: string;
  readonly frame: Uint8Array;
  readonly plain: Buffer;
}

/** A value an `ifValue` condition compares against: its ciphertext and its plaintext. */
interface CurrentValue {
  readonly frame: Uint8Array;
  readonly plain: Uint8Array;
}

/** How many paths the barrier remembers as named by conditions before it starts afresh. */
const CONDITIONED_PATHS_LIMIT = 4096;

/** How many times `rotate` re-reads the keyring when another writer changed it meanwhile. */
const ROTATE_ATTEMPTS = 5;

/** The AES-256-GCM barrier over a {@link PhysicalStore}. Starts sealed. */
export class Barrier implements BarrierStorage {
  private state: UnsealedState | null = null;
  /** Bumped by every `seal()`: an unseal that started before a seal must not finish after it. */
  private epoch = 0;
  private keyringReload: Promise<void> | null = null;
  private rotation: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;
  private readonly now: () => number;
  /**
   * Keyed by the buffer `get` returned, so an entry (and its copy of the plaintext) lives no
   * longer than the caller's buffer; `batch` wipes and drops the entries it uses, and `seal`
   * drops them all.
   */
  private opened = new WeakMap<Uint8Array, OpenedValue>();
  /** Paths `ifValue` conditions have named: the ones `get` records an {@link OpenedValue} for. */
  private readonly conditionedPaths = new Set<string>();

  constructor(
    private readonly physical: PhysicalStore,
    options: BarrierOptions = {},
  ) {
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  /** True until a successful `unseal`, and again after `seal`. */
  get sealed(): boolean {
    return this.state === null;
  }

  /** True once the storage holds a barrier (a root key record). Works while sealed. */
  async isInitialized(): Promise<boolean> {
    return (await this.physical.get(ROOT_KEY_PATH)) !== undefined;
  }

  /**
   * Creates the barrier in empty storage: a random root key stored under `unsealKey` and a
   * keyring holding term 1 stored under the root key. `extraOps` join the same atomic physical
   * batch (the seal stores its configuration that way, so init is all or nothing). The barrier
   * stays sealed and keeps no key. Throws `BarrierAlreadyInitializedError` when a barrier exists.
   */
  async initialize(unsealKey: Uint8Array, extraOps: readonly BatchOp[] = []): Promise<void> {
    assertUnsealKeySize(unsealKey);
    if (await this.isInitialized()) throw new BarrierAlreadyInitializedError();

    const rootKey = randomKey();
    const keyring = Keyring.create(this.now());
    const encodedKeyring = keyring.encode();
    try {
      const ifAbsent = { ifAbsent: true } as const;
      await this.physical.batch([
        {
          type: 'put',
          key: ROOT_KEY_PATH,
          value: encryptValue(unsealKey, OUTSIDE_KEYRING_TERM, ROOT_KEY_PATH, rootKey),
          condition: ifAbsent,
        },
        {
          type: 'put',
          key: KEYRING_PATH,
          value: encryptValue(rootKey, OUTSIDE_KEYRING_TERM, KEYRING_PATH, encodedKeyring),
          condition: ifAbsent,
        },
        ...extraOps,
      ]);
    } catch (err) {
      // Another initializer won the race between the existence check and the batch.
      if (err instanceof ConditionFailedError && err.index < 2) {
        throw new BarrierAlreadyInitializedError();
      }
      throw err;
    } finally {
      wipe(rootKey);
      wipe(encodedKeyring);
      keyring.wipe();
    }
    this.log.info({ term: 1 }, 'barrier initialized');
  }

  /**
   * Opens the barrier with `unsealKey`: decrypts the root key, then the keyring, and keeps both
   * in memory. A no-op when already unsealed. Throws `InvalidUnsealKeyError` when the key does
   * not open `core/root-key`, `BarrierNotInitializedError` on empty storage, `IntegrityError`
   * when the keyring record is missing or damaged, and `SealedError` when `seal()` was called
   * while this unseal was reading storage.
   */
  async unseal(unsealKey: Uint8Array): Promise<void> {
    if (unsealKey.byteLength !== KEY_BYTES) throw new InvalidUnsealKeyError();
    if (this.state !== null) return;
    const epoch = this.epoch;

    const rootFrame = await this.physical.get(ROOT_KEY_PATH);
    if (rootFrame === undefined) throw new BarrierNotInitializedError();
    let rootKey: Buffer;
    try {
      rootKey = openOutsideKeyring(unsealKey, ROOT_KEY_PATH, rootFrame);
    } catch (cause) {
      if (cause instanceof IntegrityError && cause.reason === 'authentication_failed') {
        throw new InvalidUnsealKeyError(undefined, { cause });
      }
      throw cause;
    }

    try {
      if (rootKey.length !== KEY_BYTES) throw new IntegrityError(ROOT_KEY_PATH, 'truncated');
      const keyringFrame = await this.physical.get(KEYRING_PATH);
      if (keyringFrame === undefined) throw new IntegrityError(KEYRING_PATH, 'missing');
      const keyring = decodeKeyring(rootKey, keyringFrame);

      if (this.epoch !== epoch || this.state !== null) {
        keyring.wipe();
        wipe(rootKey);
        if (this.state !== null) return; // a concurrent unseal finished first
        throw new SealedError();
      }
      this.state = { rootKey, keyring, encryptions: 0 };
      this.log.info({ term: keyring.activeTerm }, 'barrier unsealed');
    } catch (err) {
      wipe(rootKey);
      throw err;
    }
  }

  /** Zeroes the root key and every data key and drops them. Idempotent. */
  seal(): void {
    this.epoch += 1;
    this.opened = new WeakMap();
    const state = this.state;
    this.state = null;
    if (state === null) return;
    wipe(state.rootKey);
    state.keyring.wipe();
    this.log.info({}, 'barrier sealed');
  }

  async get(path: string): Promise<Uint8Array | undefined> {
    this.assertUserPath(path);
    const frame = await this.physical.get(path);
    if (frame === undefined) {
      this.requireState();
      return undefined;
    }
    const plain = await this.open(path, frame);
    if (!this.conditionedPaths.has(path)) return plain;
    // A copy from Node's buffer pool: a fresh allocation per read would cost more than the
    // record saves. Wiping it zeroes exactly its own bytes all the same.
    this.opened.set(plain, { path, frame, plain: Buffer.from(plain) });
    return plain;
  }

  async put(path: string, value: Uint8Array): Promise<void> {
    this.assertUserPath(path);
    await this.physical.put(path, this.encrypt(path, value));
  }

  async delete(path: string): Promise<void> {
    this.assertUserPath(path);
    await this.physical.delete(path);
  }

  async list(prefix: string): Promise<string[]> {
    this.requireState();
    assertValidPrefix(prefix);
    const children = await this.physical.list(prefix);
    this.requireState();
    return children.filter((child) => !isReservedPath(prefix + child));
  }

  async batch(ops: readonly BarrierBatchOp[]): Promise<void> {
    for (const op of ops) this.assertUserPath(op.path);

    try {
      const known = this.knownValues(ops);
      if (known !== undefined) {
        try {
          await this.physical.batch(this.planBatch(ops, known));
          return;
        } catch (err) {
          // A stored frame changed since `get` read it: decide on plaintexts below.
          if (!(err instanceof ConditionFailedError)) throw err;
        }
      }
      await this.batchAfterReads(ops);
    } catch (err) {
      if (err instanceof ConditionFailedError) {
        const path = ops[err.index]?.path ?? '';
        throw new BarrierConditionFailedError(err.index, path, { cause: err });
      }
      throw err;
    }
  }

  view(prefix: string): BarrierStorage {
    assertValidPrefix(prefix);
    if (prefix.length === 0) throw new InvalidPathError(prefix, 'a view needs a prefix');
    return new BarrierView(this, prefix);
  }

  /** The active key term, its install time and this process's encryptions under it. */
  keyStatus(): KeyStatus {
    const state = this.requireState();
    const active = state.keyring.active();
    return {
      term: active.term,
      installTime: new Date(active.installTime),
      encryptions: state.encryptions,
    };
  }

  /**
   * Adds key term N+1 and makes it active: new writes use it, values under older terms still
   * decrypt. The stored keyring is replaced with a compare-and-set on its ciphertext, so
   * concurrent rotations (here or on other nodes) each add a term and none is lost. Rotations
   * in this process run one at a time. Throws `KeyringConflictError` when the keyring kept
   * changing through every retry.
   */
  rotate(): Promise<KeyStatus> {
    const run = this.rotation.then(() => this.rotateOnce());
    this.rotation = run.catch(() => undefined);
    return run;
  }

  /**
   * Re-reads the stored keyring and adopts it when it is newer than the one in memory: how a
   * node learns of a rotation made elsewhere. The barrier also calls it by itself when it meets
   * a value encrypted under a term newer than its active one. Concurrent calls share one read.
   */
  reloadKeyring(): Promise<void> {
    this.keyringReload ??= this.loadStoredKeyring().finally(() => {
      this.keyringReload = null;
    });
    return this.keyringReload;
  }

  private async rotateOnce(): Promise<KeyStatus> {
    for (let attempt = 1; attempt <= ROTATE_ATTEMPTS; attempt++) {
      this.requireState();
      const stored = await this.physical.get(KEYRING_PATH);
      const { rootKey } = this.requireState();
      if (stored === undefined) throw new IntegrityError(KEYRING_PATH, 'missing');

      // Build on the stored keyring, not the one in memory: it may hold newer terms.
      const storedKeyring = decodeKeyring(rootKey, stored);
      const next = storedKeyring.withNewTerm(this.now());
      storedKeyring.wipe();
      const encoded = next.encode();
      const frame = encryptValue(rootKey, OUTSIDE_KEYRING_TERM, KEYRING_PATH, encoded);
      wipe(encoded);

      try {
        await this.physical.batch([
          { type: 'put', key: KEYRING_PATH, value: frame, condition: { ifValue: stored } },
        ]);
      } catch (err) {
        next.wipe();
        if (err instanceof ConditionFailedError) {
          this.log.warn({ attempt }, 'keyring changed during rotation, retrying');
          continue;
        }
        throw err;
      }

      const term = next.activeTerm;
      this.install(next);
      this.log.info({ term }, 'keyring rotated');
      return this.keyStatus();
    }
    throw new KeyringConflictError();
  }

  private async loadStoredKeyring(): Promise<void> {
    this.requireState();
    const stored = await this.physical.get(KEYRING_PATH);
    const { rootKey } = this.requireState();
    if (stored === undefined) throw new IntegrityError(KEYRING_PATH, 'missing');
    const loaded = decodeKeyring(rootKey, stored);
    const term = loaded.activeTerm;
    if (this.install(loaded)) this.log.info({ term }, 'loaded a newer keyring');
  }

  /**
   * Adopts `next` when it is newer than the keyring in memory, wiping the one it replaces;
   * otherwise wipes `next`. Returns whether it was adopted. Throws `SealedError` when sealed.
   */
  private install(next: Keyring): boolean {
    const state = this.state;
    if (state === null) {
      next.wipe();
      throw new SealedError();
    }
    if (next.activeTerm <= state.keyring.activeTerm) {
      next.wipe();
      return false;
    }
    const previous = state.keyring;
    state.keyring = next;
    state.encryptions = 0;
    previous.wipe();
    return true;
  }

  /**
   * The values the `ifValue` conditions of `ops` compare against, when each of them can be
   * taken from what `get` returned (see {@link OpenedValue}) without a read; undefined when some
   * cannot, or when no condition needs a value at all. The entries used are dropped and wiped:
   * whatever the batch does, their frame is no longer the stored one once it succeeds.
   */
  private knownValues(ops: readonly BarrierBatchOp[]): Map<string, CurrentValue> | undefined {
    const known = new Map<string, CurrentValue>();
    const used: OpenedValue[] = [];
    const written = new Set<string>();
    let usable = true;
    for (const op of ops) {
      const condition = op.condition;
      if (condition !== undefined && 'ifValue' in condition) {
        this.noteConditioned(op.path);
        if (!written.has(op.path) && !known.has(op.path)) {
          const opened = this.opened.get(condition.ifValue);
          if (opened === undefined || opened.path !== op.path) {
            usable = false;
          } else {
            this.opened.delete(condition.ifValue);
            used.push(opened);
            if (plaintextEqual(opened.plain, condition.ifValue)) {
              known.set(op.path, { frame: opened.frame, plain: condition.ifValue });
            } else {
              usable = false;
            }
          }
        }
      }
      written.add(op.path);
    }
    for (const opened of used) wipe(opened.plain);
    return usable && known.size > 0 ? known : undefined;
  }

  private noteConditioned(path: string): void {
    if (this.conditionedPaths.has(path)) return;
    if (this.conditionedPaths.size >= CONDITIONED_PATHS_LIMIT) this.conditionedPaths.clear();
    this.conditionedPaths.add(path);
  }

  /**
   * The batch with every `ifValue` condition compared against the value read and decrypted now,
   * unless an earlier op of the batch writes that path (then against what that op staged).
   */
  private async batchAfterReads(ops: readonly BarrierBatchOp[]): Promise<void> {
    const current = new Map<string, CurrentValue | undefined>();
    const written = new Set<string>();
    try {
      for (const op of ops) {
        const needsRead = op.condition !== undefined && 'ifValue' in op.condition;
        if (needsRead && !written.has(op.path) && !current.has(op.path)) {
          const frame = await this.physical.get(op.path);
          const entry = frame && { frame, plain: await this.open(op.path, frame) };
          current.set(op.path, entry);
        }
        written.add(op.path);
      }

      // The physical ops carry the exact ciphertext that was compared, so a concurrent change
      // between this read and the commit fails the batch instead of slipping through.
      await this.physical.batch(this.planBatch(ops, current));
    } finally {
      for (const entry of current.values()) wipe(entry?.plain);
    }
  }

  /** Checks conditions and encrypts every put, synchronously, into the physical batch. */
  private planBatch(
    ops: readonly BarrierBatchOp[],
    current: ReadonlyMap<string, CurrentValue | undefined>,
  ): BatchOp[] {
    this.requireState();
    const staged = new Map<string, CurrentValue | undefined>();

    return ops.map((op, index): BatchOp => {
      let condition: Condition | undefined;
      let unchanged: CurrentValue | undefined;
      if (op.condition !== undefined && 'ifAbsent' in op.condition) {
        // Absence needs no plaintext: the physical store checks it, in batch order.
        condition = { ifAbsent: true };
      } else if (op.condition !== undefined) {
        const now = staged.has(op.path) ? staged.get(op.path) : current.get(op.path);
        if (now === undefined || !plaintextEqual(now.plain, op.condition.ifValue)) {
          throw new BarrierConditionFailedError(index, op.path);
        }
        condition = { ifValue: now.frame };
        unchanged = now;
      }

      if (op.type === 'delete') {
        staged.set(op.path, undefined);
        return { type: 'delete', key: op.path, condition };
      }
      // A put of the very value its condition demands (a guard, such as KV's on its config)
      // keeps the stored frame: re-encrypting would change the ciphertext and fail every
      // concurrent writer that conditions on it, though nothing changed.
      if (unchanged !== undefined && plaintextEqual(unchanged.plain, op.value)) {
        staged.set(op.path, unchanged);
        return { type: 'put', key: op.path, value: unchanged.frame, condition };
      }
      const frame = this.encrypt(op.path, op.value);
      staged.set(op.path, { frame, plain: op.value });
      return { type: 'put', key: op.path, value: frame, condition };
    });
  }

  private encrypt(path: string, value: Uint8Array): Buffer {
    const state = this.requireState();
    const { term, key } = state.keyring.active();
    state.encryptions += 1;
    return encryptValue(key, term, path, value);
  }

  private async open(path: string, frame: Uint8Array): Promise<Uint8Array> {
    const term = frameTerm(path, frame);
    if (this.requireState().keyring.key(term) === undefined) {
      // A term newer than ours is most likely a rotation made on another node.
      if (term > this.requireState().keyring.activeTerm) await this.reloadKeyring();
    }
    const key = this.requireState().keyring.key(term);
    if (key === undefined) throw new IntegrityError(path, 'unknown_term', { term });
    return decryptValue(key, path, frame);
  }

  private requireState(): UnsealedState {
    if (this.state === null) throw new SealedError();
    return this.state;
  }

  /** Sealed first (a sealed node answers 503 to everything), then the path rules. */
  private assertUserPath(path: string): void {
    this.requireState();
    assertValidPath(path);
    if (isReservedPath(path)) throw new InvalidPathError(path, 'reserved for the barrier');
  }
}

/** Decrypts a record sealed by a key outside the keyring (term 0): the root key or keyring. */
function openOutsideKeyring(key: Uint8Array, path: string, frame: Uint8Array): Buffer {
  const term = frameTerm(path, frame);
  if (term !== OUTSIDE_KEYRING_TERM) throw new IntegrityError(path, 'unknown_term', { term });
  return decryptValue(key, path, frame);
}

function decodeKeyring(rootKey: Uint8Array, frame: Uint8Array): Keyring {
  const plain = openOutsideKeyring(rootKey, KEYRING_PATH, frame);
  try {
    return Keyring.decode(plain);
  } finally {
    wipe(plain);
  }
}

/** Constant-time for equal lengths; a length mismatch returns early (lengths are not secret). */
function plaintextEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

function assertUnsealKeySize(key: Uint8Array): void {
  if (key.byteLength !== KEY_BYTES) throw new InvalidUnsealKeyError('unseal keys are 32 bytes');
}
