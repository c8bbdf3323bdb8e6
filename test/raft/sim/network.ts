/**
 * A seeded, simulated network for Raft messages: each message is delivered after a random
 * delay (so messages reorder), may be dropped or duplicated, and never crosses a cut link.
 * Time is counted in the simulation's steps.
 */
import type { Message, NodeId } from '../../../src/raft/core/types.js';
import type { Random } from '../../../src/util/random.js';
import { randomInt } from '../../../src/util/random.js';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  drop: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Delivery delay, in steps, drawn from [minDelay, maxDelay]. */
  minDelay: number;
  maxDelay: number;
}

export const RELIABLE: NetworkFaults = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 1 };

export class SimNetwork {
  faults: NetworkFaults;
  /** Directed links that drop everything: `${from}>${to}`. */
  private readonly cut = new Set<string>();
  private readonly inFlight = new Map<number, Message[]>();
  sent = 0;
  delivered = 0;
  /**
   * Snapshot messages that were lost, for the cluster to report back to their senders as a real
   * transport does when a snapshot stream fails.
   */
  lostSnapshots: Message[] = [];
  /** When set, a message for which it returns false is dropped (a scenario's precise cut). */
  filter: ((m: Message) => boolean) | null = null;

  constructor(
    private readonly random: Random,
    faults: NetworkFaults = RELIABLE,
  ) {
    this.faults = { ...faults };
  }

  send(m: Message, now: number): void {
    this.sent++;
    if (this.isCut(m.from, m.to) || (this.filter !== null && !this.filter(m)) || this.random() < this.faults.drop) {
      if (m.type === 'snapshot') this.lostSnapshots.push(m);
      return;
    }
    this.schedule(m, now);
    if (this.random() < this.faults.duplicate) this.schedule(m, now);
  }

  /** The messages due at `now`, in a random order; links cut since sending drop them too. */
  deliver(now: number): Message[] {
    const due = this.inFlight.get(now);
    if (due === undefined) return [];
    this.inFlight.delete(now);
    const open = due.filter((m) => {
      if (!this.isCut(m.from, m.to)) return true;
      if (m.type === 'snapshot') this.lostSnapshots.push(m);
      return false;
    });
    shuffle(open, this.random);
    this.delivered += open.length;
    return open;
  }

  /** Cuts both directions between every node of `a` and every node of `b`. */
  partition(a: NodeId[], b: NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cut.add(`${x}>${y}`);
        this.cut.add(`${y}>${x}`);
      }
    }
  }

  /** Cuts messages from `from` to `to` only. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Cuts `id` off from every node in `others`. */
  isolate(id: NodeId, others: NodeId[]): void {
    this.partition([id], others.filter((o) => o !== id));
  }

  heal(): void {
    this.cut.clear();
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  hasCuts(): boolean {
    return this.cut.size > 0;
  }

  private schedule(m: Message, now: number): void {
    const at = now + randomInt(this.random, this.faults.minDelay, this.faults.maxDelay + 1);
    const bucket = this.inFlight.get(at);
    if (bucket === undefined) this.inFlight.set(at, [m]);
    else bucket.push(m);
  }
}

export function shuffle<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
