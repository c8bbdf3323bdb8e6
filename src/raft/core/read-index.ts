/**
 * The leader's queue of read-index requests waiting for a quorum to confirm its leadership
 * (dissertation §6.4, step 3). Each request gets a sequence number; a heartbeat carries the
 * newest one, and a voter's answer to it confirms every request up to that number, because all
 * of them were registered before that heartbeat left.
 */
import type { NodeId } from './types.js';

export interface PendingRead {
  id: string;
  /** The node that asked: the leader itself or a follower. */
  from: NodeId;
  /** The commit index when the read arrived: the read must see at least this. */
  index: number;
}

interface QueuedRead extends PendingRead {
  seq: number;
  acks: Set<NodeId>;
}

export class ReadIndexQueue {
  private queue: QueuedRead[] = [];
  private seq = 0;

  /** The sequence number of the newest registered read (0 if none ever). */
  lastSeq(): number {
    return this.seq;
  }

  /** Registers a read; `selfAck` is the leader's own id when it is a voter. */
  add(read: PendingRead, selfAck: NodeId | null): void {
    this.seq++;
    const acks = new Set<NodeId>();
    if (selfAck !== null) acks.add(selfAck);
    this.queue.push({ ...read, seq: this.seq, acks });
  }

  /**
   * Records that `voter` answered a heartbeat carrying `seq`, and returns, oldest first, the
   * reads that now have `quorum` confirmations (with all older ones, which are then confirmed too).
   */
  ack(voter: NodeId, seq: number, quorum: number): PendingRead[] {
    let releasedUpTo = -1;
    for (let i = 0; i < this.queue.length; i++) {
      const read = this.queue[i]!;
      if (read.seq > seq) break;
      read.acks.add(voter);
      if (read.acks.size >= quorum) releasedUpTo = i;
    }
    if (releasedUpTo < 0) return [];
    return this.queue.splice(0, releasedUpTo + 1).map(({ id, from, index }) => ({ id, from, index }));
  }

  /** Empties the queue (leadership lost) and returns what was in it. */
  drain(): PendingRead[] {
    const all = this.queue.map(({ id, from, index }) => ({ id, from, index }));
    this.queue = [];
    return all;
  }

  get size(): number {
    return this.queue.length;
  }
}
