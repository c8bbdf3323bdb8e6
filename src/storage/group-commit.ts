/**
 * Group commit: writes submitted while another write is in flight wait, and are then written
 * together, in submission order, as one batch. An fsync costs the same for one record as for a
 * hundred, so under concurrent load this turns many syncs into a few.
 */

/** Counters for tests, benchmarks and metrics. */
export interface GroupCommitStats {
  /** Items submitted and written. */
  items: number;
  /** Batch writes done; `items / groups` is the mean group size. */
  groups: number;
  /** Batch writes done with `sync`. */
  syncedGroups: number;
}

interface Waiter<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Serialises writes and merges the ones that queue up. `write(items, sync)` is called with every
 * item queued since the last call, and `sync` set if any of them asked for it; each item's promise
 * settles when the call holding it does. After a failed write, the queued items and every later
 * submission reject with `fail(cause)`: what reached the disk is unknown, so nothing more may be
 * written on top of it.
 */
export class GroupCommitter<T extends { sync: boolean }> {
  readonly stats: GroupCommitStats = { items: 0, groups: 0, syncedGroups: 0 };
  private queue: Array<Waiter<T>> = [];
  private active: Promise<void> | null = null;
  private scheduled = false;
  private failure: Error | null = null;

  constructor(
    private readonly write: (items: T[], sync: boolean) => Promise<void>,
    private readonly fail: (cause: unknown) => Error,
  ) {}

  /** The error every call now rejects with, or null while writes succeed. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Queues `item`; resolves once a write holding it is done (and synced, if it asked). */
  submit(item: T): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const done = new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
    });
    // Start on a microtask, so that submissions made in the same turn share the first write.
    if (this.active === null && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.pump();
      });
    }
    return done;
  }

  /** Resolves when nothing is queued or being written. Never rejects. */
  async idle(): Promise<void> {
    while (this.active !== null || this.queue.length > 0) {
      if (this.active === null) this.pump();
      await this.active?.catch(() => undefined);
    }
  }

  private pump(): void {
    if (this.active !== null || this.queue.length === 0) return;
    const group = this.queue;
    this.queue = [];
    this.active = this.run(group).finally(() => {
      this.active = null;
      this.pump();
    });
  }

  private async run(group: Array<Waiter<T>>): Promise<void> {
    const sync = group.some((w) => w.item.sync);
    try {
      await this.write(group.map((w) => w.item), sync);
    } catch (err) {
      this.failure ??= this.fail(err);
      for (const w of [...group, ...this.queue]) w.reject(this.failure);
      this.queue = [];
      return;
    }
    this.stats.items += group.length;
    this.stats.groups += 1;
    if (sync) this.stats.syncedGroups += 1;
    for (const w of group) w.resolve();
  }
}
