/**
 * The callers a node keeps waiting: proposals (and membership changes) until their entry is
 * applied, and reads until the state machine reaches their read index. Each waiter settles once,
 * by its outcome, its timeout or the node's end.
 */
import type { NodeId, Role } from '../core/types.js';
import { ProposalLostError, ProposalOutcomeUnknownError, TransferRefusedError } from './errors.js';

/** A promise with its settle functions and a deadline. */
export class Waiter<T> {
  readonly promise: Promise<T>;
  private settleResolve!: (value: T) => void;
  private settleReject!: (error: Error) => void;
  private readonly timer: NodeJS.Timeout;
  private done = false;

  constructor(timeoutMs: number, timeoutError: () => Error) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.settleResolve = resolve;
      this.settleReject = reject;
    });
    this.timer = setTimeout(() => this.reject(timeoutError()), timeoutMs);
  }

  get settled(): boolean {
    return this.done;
  }

  resolve(value: T): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.settleResolve(value);
  }

  reject(error: Error): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.settleReject(error);
  }
}

interface PendingProposal {
  term: number;
  waiter: Waiter<unknown>;
}

/**
 * Proposals by the log index they were given. An entry applied at that index settles the
 * proposal: with the state machine's result when its term matches (Raft §5.3: same index and
 * term means the same entry), as lost otherwise.
 */
export class ProposalTracker {
  private readonly byIndex = new Map<number, PendingProposal>();

  get size(): number {
    return this.byIndex.size;
  }

  add(index: number, term: number, waiter: Waiter<unknown>): void {
    // An older proposal at the same index was overwritten in our own log: it is lost.
    const old = this.byIndex.get(index);
    if (old !== undefined) old.waiter.reject(new ProposalLostError(index, old.term));
    this.byIndex.set(index, { term, waiter });
  }

  /** Settles the proposal at `index`, if any, now that an entry of `term` was applied there. */
  applied(index: number, term: number, result: unknown): void {
    const pending = this.byIndex.get(index);
    if (pending === undefined) return;
    this.byIndex.delete(index);
    if (pending.term === term) pending.waiter.resolve(result);
    else pending.waiter.reject(new ProposalLostError(index, pending.term));
  }

  /** A snapshot replaced everything up to `index`: those proposals' outcomes are unknown here. */
  coveredBySnapshot(index: number): void {
    for (const [i, pending] of this.byIndex) {
      if (i > index) continue;
      this.byIndex.delete(i);
      pending.waiter.reject(new ProposalOutcomeUnknownError(i, pending.term));
    }
  }

  rejectAll(error: Error): void {
    for (const pending of this.byIndex.values()) pending.waiter.reject(error);
    this.byIndex.clear();
  }
}

/** Reads waiting for a read index, then for the state machine to apply up to it. */
export class ReadTracker {
  private readonly byId = new Map<string, Waiter<void>>();
  /** Reads whose index is known, waiting for the applied index to reach it. */
  private ready: { id: string; index: number }[] = [];

  add(id: string, waiter: Waiter<void>): void {
    this.byId.set(id, waiter);
  }

  /** The read index of `id` is known. */
  indexKnown(id: string, index: number): void {
    if (this.byId.has(id)) this.ready.push({ id, index });
  }

  dropped(id: string, error: Error): void {
    this.byId.get(id)?.reject(error);
    this.byId.delete(id);
  }

  /** Serves every read whose index is at or below `applied`. */
  appliedTo(applied: number): void {
    const waiting: { id: string; index: number }[] = [];
    for (const read of this.ready) {
      if (read.index > applied) {
        waiting.push(read);
        continue;
      }
      this.byId.get(read.id)?.resolve();
      this.byId.delete(read.id);
    }
    this.ready = waiting;
    // Reads that timed out are forgotten here rather than on their timer.
    for (const [id, waiter] of this.byId) if (waiter.settled) this.byId.delete(id);
  }

  rejectAll(error: Error): void {
    for (const waiter of this.byId.values()) waiter.reject(error);
    this.byId.clear();
    this.ready = [];
  }
}

/** Leadership transfers this node started, until it sees the target lead or the core gives up. */
export class TransferTracker {
  private pending: { to: NodeId; waiter: Waiter<unknown> }[] = [];

  get size(): number {
    return this.pending.length;
  }

  add(to: NodeId, waiter: Waiter<unknown>): void {
    this.pending.push({ to, waiter });
  }

  /** Settles transfers by what the core now says about leadership. */
  settle(status: { role: Role; leader: NodeId | null; leadTransferee: NodeId | null }): void {
    this.pending = this.pending.filter(({ to, waiter }) => {
      if (status.leader === to) {
        waiter.resolve(undefined);
      } else if (status.role === 'leader' && status.leadTransferee !== to) {
        waiter.reject(new TransferRefusedError('the leadership transfer timed out', { to }));
      } else if (status.role !== 'leader' && status.leader !== null) {
        const fields = { to, leader: status.leader };
        waiter.reject(new TransferRefusedError('another node took over', fields));
      }
      return !waiter.settled;
    });
  }

  clear(): void {
    this.pending = [];
  }
}
