import { HistoryError } from './errors.js';
import type { SearchOperation } from './search.js';
import type { Model, Operation } from './types.js';

/**
 * Turning a recorded history into what the search takes: checking that it is well formed,
 * splitting it by key, and cutting a key's history at an instant.
 *
 * Linearizability is local (Herlihy and Wing, "Linearizability: a correctness condition for
 * concurrent objects", TOPLAS 1990): a history is linearizable iff the history of each object
 * in it is. So every key is checked on its own, which keeps each search small.
 */

/** One operation of a key's history, with its times normalized. */
export interface KeyOperation<I, O> {
  /** Index in the whole history as given, used to name the operation in explanations. */
  index: number;
  operation: Operation<I, O>;
  call: number;
  /** `Infinity` when the operation is indeterminate. */
  return: number;
}

/**
 * Checks every operation's key and times, then groups the operations by key, keys in order of
 * first appearance and operations in call order. Throws {@link HistoryError} on a malformed one.
 */
export function partitionByKey<I, O>(
  history: readonly Operation<I, O>[],
): Map<string, KeyOperation<I, O>[]> {
  const partitions = new Map<string, KeyOperation<I, O>[]>();
  history.forEach((operation, index) => {
    const { key, call } = operation;
    if (typeof key !== 'string') {
      throw new HistoryError('operation key is not a string', { index, key });
    }
    if (typeof call !== 'number' || !Number.isFinite(call)) {
      throw new HistoryError('operation call time is not a finite number', { index, call });
    }
    const ret = operation.return ?? Infinity;
    if (typeof ret !== 'number' || Number.isNaN(ret) || ret < call) {
      throw new HistoryError('operation returns before its call', { index, call, return: ret });
    }

    let partition = partitions.get(key);
    if (partition === undefined) {
      partition = [];
      partitions.set(key, partition);
    }
    partition.push({ index, operation, call, return: ret });
  });

  for (const partition of partitions.values()) {
    partition.sort((a, b) => a.call - b.call || a.index - b.index);
  }
  return partitions;
}

/** The distinct finite return times of `operations`, ascending. */
export function returnTimes<I, O>(operations: readonly KeyOperation<I, O>[]): number[] {
  const times = new Set<number>();
  for (const op of operations) if (op.return !== Infinity) times.add(op.return);
  return [...times].sort((a, b) => a - b);
}

/**
 * The history as it stood at instant `cut`: operations called by then, of which those that had
 * not returned by then become indeterminate. A key's history is linearizable iff its prefix at
 * its last return time is, since whatever is called later never returns and can be left out.
 *
 * Indeterminate operations the model calls read-only are left out too: with an unknown output
 * they match any state and change none, so they only slow the search.
 */
export function prefixAt<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly KeyOperation<I, O>[],
  cut: number,
): KeyOperation<I, O>[] {
  const prefix: KeyOperation<I, O>[] = [];
  for (const op of operations) {
    if (op.call > cut) continue;
    if (op.return <= cut) {
      prefix.push(op);
    } else if (model.readOnly?.(op.operation.input) !== true) {
      prefix.push({ ...op, return: Infinity });
    }
  }
  return prefix;
}

/** The search's view of `operations`: outputs of indeterminate ones become unknown. */
export function toSearchOperations<I, O>(
  operations: readonly KeyOperation<I, O>[],
): SearchOperation<I, O>[] {
  return operations.map((op) => ({
    input: op.operation.input,
    output: op.return === Infinity ? undefined : op.operation.output,
    call: op.call,
    return: op.return,
  }));
}
