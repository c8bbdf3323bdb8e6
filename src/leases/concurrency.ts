/**
 * The two small async helpers the expiration manager runs on: a lock per lease id, so a renewal
 * and a revocation of the same lease never interleave their read-modify-write, and a bounded
 * work queue, so a thousand leases expiring at once become a steady trickle of revocations
 * rather than a thousand concurrent calls into secrets engines.
 */

/** Runs tasks one at a time per key; tasks on different keys run concurrently. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /**
   * Runs `task` once every task queued earlier on `key` has settled, and settles as it does.
   * A task must not wait on another task of the same key: that would never finish.
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/**
 * Runs queued jobs with at most `concurrency` in flight. `clear()` drops the jobs not started
 * yet; `idle()` resolves once nothing is queued or running.
 */
export class WorkQueue {
  private readonly waiting: Array<() => Promise<void>> = [];
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly concurrency: number) {}

  /** Queues `job`; its rejection is the job's own business (it must catch what it cares about). */
  push(job: () => Promise<void>): void {
    this.waiting.push(job);
    this.drain();
  }

  /** Drops every job not started yet. */
  clear(): void {
    this.waiting.length = 0;
    this.settleIdle();
  }

  /** Resolves once no job is queued or running. */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private drain(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as () => Promise<void>;
      this.running += 1;
      void job()
        .catch(() => undefined)
        .finally(() => {
          this.running -= 1;
          this.drain();
          this.settleIdle();
        });
    }
  }

  private settleIdle(): void {
    if (this.running > 0 || this.waiting.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
