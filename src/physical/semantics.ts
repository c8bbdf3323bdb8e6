/**
 * The rules every `PhysicalStore` implementation shares, as pure functions: which keys are
 * valid, when a batch condition holds, and how `list` folds keys into children. The memory store
 * uses them, and the replicated state machine is meant to as well, so both answer alike.
 */
import { ConditionFailedError, InvalidKeyError } from './errors.js';
import type { BatchOp, Condition } from './types.js';

/** Throws `InvalidKeyError` unless `key` is a valid storage key (rules in types.ts). */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(String(key), 'empty');
  if (key.endsWith('/')) throw new InvalidKeyError(key, 'ends with "/"');
  if (key.includes('\0')) throw new InvalidKeyError(key, 'contains NUL');
}

/** Throws `InvalidKeyError` unless `prefix` is usable with `list` (any string without NUL). */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidKeyError(String(prefix), 'not a string');
  if (prefix.includes('\0')) throw new InvalidKeyError(prefix, 'contains NUL');
}

/** Validates every key of a batch before any op is looked at. */
export function assertValidBatch(ops: readonly BatchOp[]): void {
  for (const op of ops) assertValidKey(op.key);
}

/** True when two byte strings are equal. Values are ciphertext here, so timing does not matter. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** True when `condition` holds for `current` (the key's value, or `undefined` when absent). */
export function conditionHolds(condition: Condition, current: Uint8Array | undefined): boolean {
  if ('ifAbsent' in condition) return current === undefined;
  return current !== undefined && bytesEqual(current, condition.ifValue);
}

/**
 * Runs `ops` in order against a read function and returns the resulting writes, without
 * applying them: `undefined` marks a delete. Each condition sees the earlier ops of the batch.
 * Throws `ConditionFailedError` for the first condition that does not hold. The caller applies
 * the returned map all at once, which is what makes the batch atomic.
 */
export function planBatch(
  ops: readonly BatchOp[],
  read: (key: string) => Uint8Array | undefined,
): Map<string, Uint8Array | undefined> {
  const staged = new Map<string, Uint8Array | undefined>();
  const current = (key: string): Uint8Array | undefined =>
    staged.has(key) ? staged.get(key) : read(key);

  ops.forEach((op, index) => {
    if (op.condition !== undefined && !conditionHolds(op.condition, current(op.key))) {
      throw new ConditionFailedError(index, op.key);
    }
    staged.set(op.key, op.type === 'put' ? op.value : undefined);
  });
  return staged;
}

/**
 * Folds `keys` into the children of `prefix` as `list` returns them: sorted, each once, with
 * folders ending in `/`. `keys` may come in any order.
 */
export function listChildren(keys: Iterable<string>, prefix: string): string[] {
  const children = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    if (rest.length === 0) continue;
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...children].sort(compareKeys);
}

/** The order of keys and list results: plain UTF-16 code unit order. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
