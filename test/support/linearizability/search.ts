import { seededRandom } from '../../../src/util/random.js';
import { invariant } from '../../../src/util/assert.js';
import { ConfigurationCache } from './configuration-cache.js';
import type { Model } from './types.js';

/**
 * The search at the heart of the checker: Wing and Gong's backtracking over a linked list of call
 * and return events, with Lowe's cache of configurations already explored, as Horn and Kroening
 * and then Porcupine refined it (G. Lowe, "Testing for linearizability", Concurrency and
 * Computation: Practice and Experience, 2017).
 *
 * The search keeps a partial linearization: a stack of operations already placed, the set of
 * them as a bitset, and the model state after them. It walks the event list from the front.
 * At a call event, it tries to place that operation next; if the model accepts it and the
 * (set, state) configuration is new, the operation's call and return events are lifted out of
 * the list and the walk restarts from the front. At a return event, the operation it closes
 * should have been placed already, so the last placement is undone (its events go back into the
 * list) and the walk resumes just after it. The history is linearizable once every completed
 * operation is placed.
 *
 * Indeterminate operations have a call event but no return event: nothing forces them to be
 * placed, which is how "took effect after its call, or never" is expressed. And a read-only
 * operation, once placed, is never swapped for another at the same point (see Placement), which
 * spares the search the orders that differ only in where reads go.
 */

/** One operation as the search sees it. */
export interface SearchOperation<I, O> {
  input: I;
  /** `undefined` for unknown, which every model accepts. */
  output: O | undefined;
  call: number;
  /** `Infinity` for an indeterminate operation. */
  return: number;
}

/** The longest partial linearization the search built, for explaining a failure. */
export interface DeepestLinearization<S> {
  /** Indexes into the searched array, in the order they were placed. */
  order: number[];
  /** The model state after them. */
  state: S;
}

/** How one search ended. */
export type SearchOutcome<S> =
  | { kind: 'linearizable'; steps: number }
  | { kind: 'violation'; steps: number; deepest: DeepestLinearization<S> }
  | { kind: 'budget'; steps: number };

interface Event {
  /** Index into the searched array; -1 for the list's head sentinel. */
  operation: number;
  /** For a call event, the operation's return event (`null` if indeterminate); else `null`. */
  match: Event | null;
  isCall: boolean;
  prev: Event | null;
  next: Event | null;
}

interface Placement<S> {
  event: Event;
  /** The state before the operation was placed, restored on backtracking. */
  stateBefore: S;
  /**
   * Whether the operation is read-only (see {@link Model.readOnly}). A read-only operation that
   * fits where it is placed can be moved there in any linearization that places it later, so
   * if it leads nowhere, neither does anything else tried at the same point.
   */
  readOnly: boolean;
}

/**
 * Decides whether `operations` (one key's history) has a linearization under `model`, taking at
 * most `maxSteps` steps (one step per event visited).
 */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly SearchOperation<I, O>[],
  maxSteps: number,
): SearchOutcome<S> {
  const head = buildEventList(operations);
  const linearized = new Bitset(operations.length);
  const cache = new ConfigurationCache(model);
  const zobrist = zobristKeys(operations.length);
  const stack: Placement<S>[] = [];

  let remaining = operations.filter((op) => op.return !== Infinity).length;
  let state = model.init();
  let setHash = 0;
  let deepest: DeepestLinearization<S> = { order: [], state };
  let steps = 0;
  let cursor = head.next;

  while (remaining > 0) {
    if (steps >= maxSteps) return { kind: 'budget', steps };
    steps++;
    // The cursor never passes a return event, and every unplaced completed operation has one
    // after the cursor, so the list cannot run out while some are left.
    invariant(cursor !== null, 'linearizability search ran off the event list', { remaining });

    if (cursor.isCall) {
      const op = operations[cursor.operation]!;
      const [fits, after] = model.step(state, op.input, op.output);
      const readOnly = fits && model.readOnly?.(op.input) === true;
      const afterHash = (setHash ^ zobrist[cursor.operation]!) >>> 0;
      linearized.set(cursor.operation);
      if (fits && cache.addIfAbsent(afterHash, linearized.words, after)) {
        stack.push({ event: cursor, stateBefore: state, readOnly });
        state = after;
        setHash = afterHash;
        if (cursor.match !== null) remaining--;
        lift(cursor);
        cursor = head.next;
        continue;
      }
      linearized.clear(cursor.operation);
      // A read-only operation that fits but was placed here before already failed, and so
      // does everything else from here (see Placement.readOnly).
      if (!readOnly) {
        cursor = cursor.next;
        continue;
      }
    }

    // A dead end, at a return event whose operation is not placed or at a read-only operation
    // that failed before: the last placement was wrong, and so is every read-only placement
    // below it. Snapshotting the stack only here, when it starts to shrink, keeps a search
    // that never backtracks linear.
    if (stack.length > deepest.order.length) {
      deepest = { order: stack.map((placement) => placement.event.operation), state };
    }
    let top: Placement<S> | undefined;
    do {
      top = stack.pop();
      if (top === undefined) return { kind: 'violation', steps, deepest };
      state = top.stateBefore;
      setHash = (setHash ^ zobrist[top.event.operation]!) >>> 0;
      linearized.clear(top.event.operation);
      if (top.event.match !== null) remaining++;
      unlift(top.event);
    } while (top.readOnly);
    cursor = top.event.next;
  }
  return { kind: 'linearizable', steps };
}

/**
 * Builds the doubly linked event list in time order. On equal times calls sort before returns,
 * so operations that touch the same instant count as concurrent.
 */
function buildEventList<I, O>(operations: readonly SearchOperation<I, O>[]): Event {
  const timed: { time: number; kind: number; event: Event }[] = [];
  operations.forEach((op, index) => {
    const ret: Event | null =
      op.return === Infinity
        ? null
        : { operation: index, match: null, isCall: false, prev: null, next: null };
    timed.push({
      time: op.call,
      kind: 0,
      event: { operation: index, match: ret, isCall: true, prev: null, next: null },
    });
    if (ret !== null) timed.push({ time: op.return, kind: 1, event: ret });
  });
  timed.sort(
    (a, b) => a.time - b.time || a.kind - b.kind || a.event.operation - b.event.operation,
  );

  const head: Event = { operation: -1, match: null, isCall: false, prev: null, next: null };
  let last = head;
  for (const { event } of timed) {
    last.next = event;
    event.prev = last;
    last = event;
  }
  return head;
}

/** Unlinks a call event and its return event; `unlift` must undo lifts in reverse order. */
function lift(call: Event): void {
  call.prev!.next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  const ret = call.match;
  if (ret !== null) {
    ret.prev!.next = ret.next;
    if (ret.next !== null) ret.next.prev = ret.prev;
  }
}

function unlift(call: Event): void {
  const ret = call.match;
  if (ret !== null) {
    ret.prev!.next = ret;
    if (ret.next !== null) ret.next.prev = ret;
  }
  call.prev!.next = call;
  if (call.next !== null) call.next.prev = call;
}

/** A fixed-size set of operation indexes. */
class Bitset {
  readonly words: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  set(index: number): void {
    this.words[index >>> 5]! |= 1 << (index & 31);
  }

  clear(index: number): void {
    this.words[index >>> 5]! &= ~(1 << (index & 31));
  }
}

/**
 * One random 32-bit key per operation; a set's hash is the XOR of its members' keys, so it is
 * updated in O(1) as operations are placed and undone. Collisions only cost a comparison.
 */
function zobristKeys(count: number): Uint32Array {
  const random = seededRandom(0x11ea7);
  const keys = new Uint32Array(count);
  for (let i = 0; i < count; i++) keys[i] = Math.floor(random() * 0x100000000);
  return keys;
}
