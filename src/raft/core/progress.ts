/**
 * What a leader knows about one follower's log, and the flow control of what it sends it.
 *
 * A follower is in one of three states:
 * - `probe`: we do not know where its log matches ours; send one append at a time and wait
 *   for the answer before sending the next (or for the next heartbeat response).
 * - `replicate`: its log matches up to `match`; stream appends optimistically, up to
 *   `maxInflight` unacknowledged messages.
 * - `snapshot`: it needs compacted entries; a snapshot is on its way and nothing else is sent
 *   until it is acknowledged or reported failed.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to match the leader's log. Invariant: match < next. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In `probe`: an append is out and unanswered. */
  probeSent = false;
  /** In `snapshot`: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Leader ticks since `match` last moved while entries were outstanding. */
  stalledTicks = 0;
  /** The highest commit index sent to this follower in an append or heartbeat. */
  commitSent = 0;
  /** The highest read index released to this follower: it needs that much committed. */
  readFloor = 0;
  /** Last indexes of the appends in flight, oldest first, from `inflightHead` on. */
  private inflight: number[] = [];
  private inflightHead = 0;

  constructor(
    next: number,
    private readonly maxInflight: number,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot: resume right after it.
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.stalledTicks = 0;
    this.clearInflight();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.clearInflight();
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.probeSent = false;
    this.clearInflight();
  }

  /** Whether the leader should hold back appends to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflightCount() >= this.maxInflight;
      case 'snapshot':
        return true;
    }
  }

  /** Records an append sent whose last entry is `lastIndex`. */
  sentEntries(lastIndex: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflight.push(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** A successful append response for `index`; false when it tells us nothing new. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
      this.stalledTicks = 0;
    }
    this.next = Math.max(this.next, index + 1);
    while (this.inflightHead < this.inflight.length && this.inflight[this.inflightHead]! <= index) {
      this.inflightHead++;
    }
    if (this.inflightHead === this.inflight.length) this.clearInflight();
    else if (this.inflightHead > 64 && this.inflightHead * 2 > this.inflight.length) {
      this.inflight = this.inflight.slice(this.inflightHead);
      this.inflightHead = 0;
    }
    return updated;
  }

  /**
   * A rejected append for `rejected` with the follower's hint; false when the rejection is stale
   * (a duplicate or a reply to an older message) and must be ignored.
   */
  maybeDecrTo(rejected: number, hintIndex: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hintIndex + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Frees one inflight slot so a follower whose acks were lost can be probed again. */
  freeFirstInflight(): void {
    if (this.inflightHead < this.inflight.length) this.inflightHead++;
  }

  inflightCount(): number {
    return this.inflight.length - this.inflightHead;
  }

  private clearInflight(): void {
    this.inflight = [];
    this.inflightHead = 0;
  }
}
