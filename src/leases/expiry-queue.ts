/**
 * When each lease is next due (to expire, or for its next revocation attempt), kept in a binary
 * min-heap and served by ONE timer armed for the soonest entry, however many leases there are.
 *
 * Due times are milliseconds on the cluster clock; the timer runs on the local one. The two can
 * drift apart (the cluster clock never runs behind the newest replicated timestamp), so a timer
 * never waits longer than `maxDelayMs`, and whatever is found due is decided on `now()` alone.
 */

/** The timer source, injectable so tests can move time by hand. */
export interface LeaseTimers {
  /** Calls `fn` once, about `ms` milliseconds from now; returns a handle for {@link clear}. */
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Node's timers, unreferenced so a pending expiry never keeps a process alive. */
export const NODE_TIMERS: LeaseTimers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface HeapEntry {
  readonly at: number;
  readonly id: string;
}

/**
 * A schedule of lease ids. `schedule` replaces an id's due time; a replaced or cancelled entry
 * stays in the heap until it reaches the top, where it is dropped because the map no longer
 * names its time (lazy deletion keeps each change O(log n)).
 */
export class ExpiryQueue {
  private heap: HeapEntry[] = [];
  private readonly dueAt = new Map<string, number>();
  private timer: { handle: unknown; at: number } | null = null;

  /**
   * @param onDue called with the ids that came due, each removed from the schedule first
   */
  constructor(
    private readonly timers: LeaseTimers,
    private readonly now: () => number,
    private readonly onDue: (ids: string[]) => void,
    private readonly maxDelayMs = 60_000,
  ) {}

  /** Makes `id` due at `at` (cluster-clock milliseconds), replacing its previous time. */
  schedule(id: string, at: number): void {
    if (this.dueAt.get(id) === at) return;
    this.dueAt.set(id, at);
    this.push({ at, id });
    this.arm();
  }

  /** Removes `id` from the schedule; cancelling an unscheduled id does nothing. */
  cancel(id: string): void {
    if (this.dueAt.delete(id)) this.arm();
  }

  /** When `id` is due, or undefined when it is not scheduled. */
  dueTime(id: string): number | undefined {
    return this.dueAt.get(id);
  }

  /** How many ids are scheduled. */
  get size(): number {
    return this.dueAt.size;
  }

  /** Forgets everything and cancels the timer: nothing scheduled before will be reported. */
  clear(): void {
    this.heap = [];
    this.dueAt.clear();
    if (this.timer !== null) this.timers.clear(this.timer.handle);
    this.timer = null;
  }

  private fire(): void {
    this.timer = null;
    const now = this.now();
    const due: string[] = [];
    for (let top = this.peek(); top !== undefined && top.at <= now; top = this.peek()) {
      this.pop();
      this.dueAt.delete(top.id);
      due.push(top.id);
    }
    this.arm();
    if (due.length > 0) this.onDue(due);
  }

  /** Arms the one timer for the soonest live entry, unless it already is. */
  private arm(): void {
    const top = this.peek();
    if (top === undefined) {
      if (this.timer !== null) this.timers.clear(this.timer.handle);
      this.timer = null;
      return;
    }
    if (this.timer !== null) {
      if (this.timer.at <= top.at) return;
      this.timers.clear(this.timer.handle);
    }
    const delay = Math.min(Math.max(0, top.at - this.now()), this.maxDelayMs);
    const at = Math.min(top.at, this.now() + delay);
    this.timer = { handle: this.timers.set(() => this.fire(), delay), at };
  }

  /** The soonest live entry, dropping stale ones on the way. */
  private peek(): HeapEntry | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0] as HeapEntry;
      if (this.dueAt.get(top.id) === top.at) return top;
      this.pop();
    }
    return undefined;
  }

  private push(entry: HeapEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as HeapEntry).at <= entry.at) break;
      heap[i] = heap[parent] as HeapEntry;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && (heap[right] as HeapEntry).at < (heap[left] as HeapEntry).at
          ? right
          : left;
      if ((heap[child] as HeapEntry).at >= last.at) break;
      heap[i] = heap[child] as HeapEntry;
      i = child;
    }
    heap[i] = last;
  }
}
