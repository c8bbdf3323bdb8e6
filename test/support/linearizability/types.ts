/**
 * The shapes a linearizability check works on: one client operation of a recorded history, the
 * sequential model that says which results are legal, and the verdict. They are generic in the
 * model's state `S`, input `I` and output `O`, so a model other than the register (a set, a
 * counter, a queue) can be checked by the same search.
 */

/**
 * One client operation as recorded by a test harness or a simulation.
 *
 * Times are on one clock shared by all clients: logical integers from a simulation, or
 * milliseconds from a real cluster. The operation took effect atomically at some instant between
 * `call` and `return`. When a return and a call carry the same time, the two operations count
 * as concurrent, because millisecond clocks cannot order them.
 */
export interface Operation<I, O> {
  /** Who issued the operation; only used to name it in explanations. */
  clientId: string | number;
  /** The partition the operation touches; each key's operations are checked on their own. */
  key: string;
  /** What the client asked for. */
  input: I;
  /** When the client sent the request. */
  call: number;
  /**
   * When the client received the response. `undefined`, `null` or `Infinity` marks an
   * indeterminate operation (a timeout, a crashed client): it may have taken effect at any
   * instant after `call`, or never, and whatever `output` it carries is ignored.
   */
  return?: number | null;
  /** What the response said. `undefined` means unknown: any output the model allows matches. */
  output?: O;
}

/**
 * A sequential specification of one key's object. Implementations must be pure: `step` never
 * mutates `state`, and equal states (per `equal`) have equal hashes.
 */
export interface Model<S, I, O> {
  /** A short name for explanations, e.g. `register`. */
  readonly name: string;
  /** The state of a key before any operation (a register holds `null`, absent). */
  init(): S;
  /**
   * Applies `input` to `state`. Returns whether the operation could have answered `output` in
   * `state` (always true when `output` is `undefined`, i.e. unknown) and the state after it.
   */
  step(state: S, input: I, output: O | undefined): [boolean, S];
  /** Whether two states are the same; used to prune configurations already explored. */
  equal(a: S, b: S): boolean;
  /** A 32-bit hash of `state`, consistent with `equal`. */
  hash(state: S): number;
  /**
   * Whether `input` never changes the state. Indeterminate operations for which this holds are
   * dropped before the search, since they can neither be observed nor fail. Optional.
   */
  readOnly?(input: I): boolean;
  /** `input` in a few words, e.g. `cas("a", "b")`. */
  describeInput(input: I): string;
  /** `output` of `input` in a few words, e.g. `ok`. */
  describeOutput(input: I, output: O): string;
  /** `state` in a few words, e.g. `"a"`. */
  describeState(state: S): string;
}

/** Knobs for {@link Model}-generic checks; every field is optional. */
export interface CheckOptions {
  /**
   * The most search steps spent on one key's history, and again on each of the shorter searches
   * that look for the smallest failing prefix. A key that needs more yields `ok: 'unknown'`.
   * Default {@link DEFAULT_MAX_STEPS}.
   */
  maxSteps?: number;
  /** How many operations an explanation lists before eliding the older ones. Default 40. */
  maxExplainedOperations?: number;
}

/** The default of {@link CheckOptions.maxSteps}: a few seconds of search at most. */
export const DEFAULT_MAX_STEPS = 2_000_000;

/** The history is linearizable: every key's operations fit the model in real-time order. */
export interface CheckPassed {
  ok: true;
  /** Search steps spent, summed over keys. */
  steps: number;
}

/** No order of `key`'s operations fits the model. */
export interface CheckFailed<I, O> {
  ok: false;
  /** The first key (in order of first appearance) whose history is not linearizable. */
  key: string;
  /** A multi-line account naming the key and the operations of the smallest failing prefix. */
  explanation: string;
  /** The operations of that prefix, as given (same objects), in call order. */
  operations: Operation<I, O>[];
  /** Search steps spent, summed over the keys checked and the prefix searches. */
  steps: number;
}

/** The search for `key` ran out of its step budget before deciding; no other key failed. */
export interface CheckUnknown {
  ok: 'unknown';
  /** The first key whose search ran out of steps. */
  key: string;
  /** One line saying which key and which budget. */
  explanation: string;
  /** Search steps spent, summed over keys. */
  steps: number;
}

/** The verdict of a linearizability check. */
export type CheckResult<I, O> = CheckPassed | CheckFailed<I, O> | CheckUnknown;
