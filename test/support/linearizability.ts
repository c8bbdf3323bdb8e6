import { explainViolation } from './linearizability/explain.js';
import {
  partitionByKey,
  prefixAt,
  returnTimes,
  toSearchOperations,
} from './linearizability/history.js';
import type { KeyOperation } from './linearizability/history.js';
import { registerModel } from './linearizability/register-model.js';
import type {
  RegisterInput,
  RegisterOutput,
  RegisterValue,
} from './linearizability/register-model.js';
import { searchLinearization } from './linearizability/search.js';
import type { SearchOutcome } from './linearizability/search.js';
import { DEFAULT_MAX_STEPS } from './linearizability/types.js';
import type { CheckOptions, CheckResult, Model, Operation } from './linearizability/types.js';

/**
 * A linearizability checker for histories recorded against Coffer, in simulation or on a real
 * cluster. A history is linearizable when every operation can be given one instant between its
 * call and its return at which it took effect, such that applying the operations in the order
 * of those instants to the sequential model yields exactly the outputs that were observed.
 *
 * Each key is checked on its own (linearizability is local). Operations without a response may
 * have taken effect at any instant after their call, or never. When a key fails, the checker
 * looks for the shortest prefix of its history that already fails and explains that one.
 *
 * Cost: checking is NP-complete in general, and the search grows exponentially with the number
 * of operations open at once on one key and with the number of indeterminate writes on a key
 * when the key fails (every place each could have taken effect must be ruled out). Histories
 * with about five concurrent clients take milliseconds; twenty clients on one key, or dozens of
 * timed-out writes on one failing key, can exhaust the step budget, which yields `'unknown'`.
 * Spreading a workload over more keys keeps each search small.
 *
 * @example
 * const result = checkRegisterHistory(history);
 * assert.equal(result.ok, true, result.ok === false ? result.explanation : '');
 */

export { HistoryError } from './linearizability/errors.js';
export { registerModel } from './linearizability/register-model.js';
export { DEFAULT_MAX_STEPS } from './linearizability/types.js';
export type { RegisterInput, RegisterOutput, RegisterValue };
export type {
  CheckFailed,
  CheckOptions,
  CheckPassed,
  CheckResult,
  CheckUnknown,
  Model,
  Operation,
} from './linearizability/types.js';

/** One operation on a register key. */
export type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

/** How many operations an explanation lists by default. */
const DEFAULT_MAX_EXPLAINED_OPERATIONS = 40;

/**
 * Checks `history` against a register per key (see {@link registerModel}).
 * Throws {@link HistoryError} if the history is malformed.
 */
export function checkRegisterHistory(
  history: readonly RegisterOperation[],
  options: CheckOptions = {},
): CheckResult<RegisterInput, RegisterOutput> {
  return checkHistory(registerModel, history, options);
}

/**
 * Checks `history` against `model`, one key at a time, in order of first appearance.
 *
 * Returns `{ ok: false }` for the first key that is not linearizable, even if the search of an
 * earlier key ran out of steps; otherwise `{ ok: 'unknown' }` if some key's search ran out of
 * `options.maxSteps`; otherwise `{ ok: true }`. Throws {@link HistoryError} if the history is
 * malformed.
 */
export function checkHistory<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  let steps = 0;
  let unknownKey: string | null = null;

  for (const [key, operations] of partitionByKey(history)) {
    const cuts = returnTimes(operations);
    if (cuts.length === 0) continue;

    const full = prefixAt(model, operations, cuts[cuts.length - 1]!);
    const outcome = searchLinearization(model, toSearchOperations(full), maxSteps);
    steps += outcome.steps;
    if (outcome.kind === 'budget') unknownKey ??= key;
    if (outcome.kind !== 'violation') continue;

    const shortest = shortestFailingPrefix(model, operations, cuts, maxSteps);
    steps += shortest.steps;
    const explained = shortest.found ?? { prefix: full, cut: cuts[cuts.length - 1]!, outcome };
    const explanation = explainViolation({
      model,
      key,
      keyOperationCount: operations.length,
      prefix: explained.prefix,
      cut: explained.cut,
      deepest: explained.outcome.deepest,
      maxOperations: options.maxExplainedOperations ?? DEFAULT_MAX_EXPLAINED_OPERATIONS,
    });
    const prefixOperations = explained.prefix.map((op) => op.operation);
    return { ok: false, key, explanation, operations: prefixOperations, steps };
  }

  if (unknownKey !== null) {
    const explanation =
      `the search of key ${JSON.stringify(unknownKey)} ran out of its budget of ` +
      `${maxSteps} steps before deciding`;
    return { ok: 'unknown', key: unknownKey, explanation, steps };
  }
  return { ok: true, steps };
}

interface FailingPrefix<S, I, O> {
  prefix: KeyOperation<I, O>[];
  cut: number;
  outcome: Extract<SearchOutcome<S>, { kind: 'violation' }>;
}

/**
 * Binary search over the key's return times for the earliest cut whose prefix already fails.
 * Failing is monotone in the cut, because a prefix of a linearizable history is linearizable.
 * A search that runs out of steps counts as passing, so the result may be longer than the
 * shortest; `found` is null when no strictly shorter prefix than the last cut was proven.
 */
function shortestFailingPrefix<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly KeyOperation<I, O>[],
  cuts: readonly number[],
  maxSteps: number,
): { found: FailingPrefix<S, I, O> | null; steps: number } {
  let found: FailingPrefix<S, I, O> | null = null;
  let steps = 0;
  let low = 0;
  let high = cuts.length - 1;

  while (low < high) {
    const middle = (low + high) >>> 1;
    const cut = cuts[middle]!;
    const prefix = prefixAt(model, operations, cut);
    const outcome = searchLinearization(model, toSearchOperations(prefix), maxSteps);
    steps += outcome.steps;
    if (outcome.kind === 'violation') {
      found = { prefix, cut, outcome };
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return { found, steps };
}
