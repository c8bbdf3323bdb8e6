/**
 * A simulated Raft cluster: nodes, a network, logical time, faults, and the safety checks that
 * run after every step (election safety, log matching, leader completeness, state-machine
 * safety). Scenario tests and the randomised simulation both build on it.
 */
import type { RaftOptions } from '../../../src/raft/core/config.js';
import { NotLeaderError, RaftError } from '../../../src/raft/core/errors.js';
import type { ConfChange, Entry, Message, NodeId } from '../../../src/raft/core/types.js';
import type { Random } from '../../../src/util/random.js';
import { seededRandom } from '../../../src/util/random.js';
import { RELIABLE, SimNetwork } from './network.js';
import type { NetworkFaults } from './network.js';
import { SimNode, emptyDisk, encodeCommand } from './node.js';
import type { Command, Disk, ReadyEvents } from './node.js';

/** Steps per Raft tick: messages take 1..n steps, so several round trips fit in a tick. */
export const STEPS_PER_TICK = 4;

export class SafetyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetyViolation';
  }
}

export interface ClusterOptions {
  seed: number;
  /** Every node that may ever take part. */
  ids: NodeId[];
  /** The founding voters (bootstrapped); the rest start empty, outside the cluster. */
  voters: NodeId[];
  raft?: Partial<Omit<RaftOptions, 'id' | 'random'>>;
  network?: NetworkFaults;
  /** Start nodes from these disks instead of bootstrapping (to build a scenario's exact state). */
  disks?: Map<NodeId, Disk>;
}

/** A proposal made through the cluster, and what became of it. */
export interface Proposal {
  index: number;
  term: number;
  proposer: NodeId;
  command: Command;
  /**
   * `acked`: the proposer applied it, so it took effect; `lost`: another entry was applied at its
   * index, so it never will; `unknown`: the proposer crashed first.
   */
  outcome: 'pending' | 'acked' | 'lost' | 'unknown';
  /** For an acked cas: whether it succeeded. */
  result?: boolean;
}

export type ClusterEvent =
  | { kind: 'applied'; node: NodeId; entries: Entry[]; results: Map<string, boolean> }
  | { kind: 'read'; node: NodeId; id: string; index: number }
  | { kind: 'dropped-read'; node: NodeId; id: string }
  | { kind: 'crashed'; node: NodeId };

export class SimCluster {
  readonly random: Random;
  readonly network: SimNetwork;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly disks = new Map<NodeId, Disk>();
  readonly down = new Set<NodeId>();
  /** Per node: the index of the entry that re-added it after a wipe (see RaftOptions.voteFloor). */
  private readonly voteFloors = new Map<NodeId, number>();
  readonly ids: NodeId[];
  now = 0;
  /** index → the term:data of the entry every node must apply there. */
  private readonly appliedLog = new Map<number, string>();
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly raftOptions: Omit<RaftOptions, 'id'>;
  /** Proposals not yet resolved, by proposer, keyed `${index}`. */
  readonly pending = new Map<NodeId, Map<number, Proposal>>();
  /** Listeners for what happens during steps (clients use them). */
  listeners: ((e: ClusterEvent) => void)[] = [];
  /** Probability that a node crashes right after persisting a Ready (before sending). */
  crashAfterPersistRate = 0;
  stepsRun = 0;

  constructor(options: ClusterOptions) {
    this.random = seededRandom(options.seed);
    this.network = new SimNetwork(seededRandom(options.seed ^ 0x5bd1e995), options.network ?? RELIABLE);
    this.ids = [...options.ids];
    this.raftOptions = {
      random: seededRandom(options.seed ^ 0x27d4eb2f),
      electionTicks: 10,
      heartbeatTicks: 1,
      preVote: true,
      checkQuorum: true,
      ...options.raft,
    };
    if (process.env['RAFT_TRACE'] !== undefined) this.raftOptions.logger = traceLogger(() => this.now);
    for (const id of this.ids) {
      const given = options.disks?.get(id);
      const disk = given ?? emptyDisk();
      this.disks.set(id, disk);
      const node = new SimNode(id, disk, this.raftOptions);
      if (given === undefined && options.voters.includes(id)) node.raft.bootstrap(options.voters);
      this.nodes.set(id, node);
    }
  }

  // --------------------------------------------------------------------------------------------
  // Time

  /** One step: deliver due messages, carry out every Ready, and tick on tick boundaries. */
  step(): void {
    this.now++;
    this.stepsRun++;
    for (const m of this.network.deliver(this.now)) {
      const node = this.nodes.get(m.to);
      if (node === undefined || this.down.has(m.to)) {
        if (m.type === 'snapshot') this.network.lostSnapshots.push(m);
        continue;
      }
      node.raft.step(m);
      // A transport reports a snapshot stream as delivered once the receiver has it all.
      if (m.type === 'snapshot') this.reportSnapshot(m.from, m.to, true);
    }
    for (const m of this.network.lostSnapshots.splice(0)) this.reportSnapshot(m.from, m.to, false);
    if (this.now % STEPS_PER_TICK === 0) {
      for (const [id, node] of this.nodes) if (!this.down.has(id)) node.raft.tick();
    }
    for (const id of this.ids) this.processReady(id);
  }

  private reportSnapshot(from: NodeId, to: NodeId, ok: boolean): void {
    const sender = this.nodes.get(from);
    if (sender !== undefined && !this.down.has(from)) sender.raft.reportSnapshot(to, ok);
  }

  runTicks(ticks: number): void {
    for (let i = 0; i < ticks * STEPS_PER_TICK; i++) this.step();
  }

  /** Steps until `done()` holds, for at most `maxTicks` ticks; returns whether it held. */
  runUntil(done: () => boolean, maxTicks: number): boolean {
    for (let i = 0; i < maxTicks * STEPS_PER_TICK; i++) {
      if (done()) return true;
      this.step();
    }
    return done();
  }

  /** Carries out Readies on `id` until it has none (a few rounds at most). */
  processReady(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined || this.down.has(id)) return;
    for (let round = 0; round < 4; round++) {
      if (!node.raft.hasReady()) return;
      const crash = this.crashAfterPersistRate > 0 && this.random() < this.crashAfterPersistRate;
      const events = node.handleReady((m: Message) => this.network.send(m, this.now), crash);
      if (crash) {
        // The Ready was persisted, then the process died before sending or applying.
        this.crash(id);
        return;
      }
      if (events !== null) this.observe(id, events);
    }
  }

  // --------------------------------------------------------------------------------------------
  // Faults

  crash(id: NodeId): void {
    if (this.down.has(id)) return;
    this.down.add(id);
    for (const p of this.pending.get(id)?.values() ?? []) p.outcome = 'unknown';
    this.pending.delete(id);
    for (const l of this.listeners) l({ kind: 'crashed', node: id });
  }

  /** Brings a crashed node back from its disk alone. */
  restart(id: NodeId): void {
    if (!this.down.has(id)) return;
    this.down.delete(id);
    this.nodes.set(id, new SimNode(id, this.disks.get(id)!, { ...this.raftOptions, voteFloor: this.voteFloors.get(id) ?? 0 }));
  }

  /** Replaces a node's disk with an empty one (a wiped server that will rejoin). */
  /**
   * Replaces a node's disk with an empty one (a wiped server that will rejoin). `voteFloor` is
   * the index of the entry that adds it back, as the server layer records it at join.
   */
  wipe(id: NodeId, voteFloor = 0): void {
    const disk = emptyDisk();
    this.disks.set(id, disk);
    this.voteFloors.set(id, voteFloor);
    this.down.add(id);
    this.restart(id);
  }

  voteFloorOf(id: NodeId): number {
    return this.voteFloors.get(id) ?? 0;
  }

  isolate(id: NodeId): void {
    this.network.isolate(id, this.ids);
  }

  partition(a: NodeId[], b: NodeId[]): void {
    this.network.partition(a, b);
  }

  heal(): void {
    this.network.heal();
  }

  // --------------------------------------------------------------------------------------------
  // Requests

  /** The live leader with the highest term, if any. */
  leader(): SimNode | null {
    let best: SimNode | null = null;
    for (const [id, node] of this.nodes) {
      if (this.down.has(id)) continue;
      const s = node.raft.softState();
      if (s.role === 'leader' && (best === null || s.term > best.raft.softState().term)) best = node;
    }
    return best;
  }

  /** Proposes `command` on node `id`; returns the proposal, or null if the node refused. */
  propose(id: NodeId, command: Command): Proposal | null {
    const node = this.nodes.get(id);
    if (node === undefined || this.down.has(id)) return null;
    try {
      const { index, term } = node.raft.propose([encodeCommand(command)]);
      const proposal: Proposal = { index, term, proposer: id, command, outcome: 'pending' };
      let mine = this.pending.get(id);
      if (mine === undefined) this.pending.set(id, (mine = new Map()));
      mine.set(index, proposal);
      this.processReady(id);
      return proposal;
    } catch (err) {
      if (err instanceof RaftError) return null;
      throw err;
    }
  }

  /** Proposes a membership change on `id`; returns the log index it got, or null if refused. */
  proposeConfChange(id: NodeId, change: ConfChange): number | null {
    const node = this.nodes.get(id);
    if (node === undefined || this.down.has(id)) return null;
    try {
      const { index } = node.raft.proposeConfChange(change);
      this.processReady(id);
      return index;
    } catch (err) {
      if (err instanceof RaftError) return null;
      throw err;
    }
  }

  readIndex(id: NodeId, readId: string): boolean {
    const node = this.nodes.get(id);
    if (node === undefined || this.down.has(id)) return false;
    node.raft.readIndex(readId);
    this.processReady(id);
    return true;
  }

  transferLeadership(from: NodeId, to: NodeId): boolean {
    const node = this.nodes.get(from);
    if (node === undefined || this.down.has(from)) return false;
    try {
      node.raft.transferLeadership(to);
      this.processReady(from);
      return true;
    } catch (err) {
      if (err instanceof NotLeaderError || err instanceof RaftError) return false;
      throw err;
    }
  }

  // --------------------------------------------------------------------------------------------
  // Safety checks

  private observe(id: NodeId, events: ReadyEvents): void {
    const node = this.nodes.get(id)!;
    const s = node.raft.softState();
    if (events.becameLeader) this.checkNewLeader(id, s.term);

    for (const entry of events.applied) {
      const fingerprint = fingerprintOf(entry);
      const seen = this.appliedLog.get(entry.index);
      if (seen === undefined) this.appliedLog.set(entry.index, fingerprint);
      else if (seen !== fingerprint) {
        throw new SafetyViolation(
          `state machine safety: ${id} applied ${fingerprint} at ${entry.index}, another node applied ${seen}`,
        );
      }
      const mine = this.pending.get(id)?.get(entry.index);
      if (mine !== undefined) {
        this.pending.get(id)!.delete(entry.index);
        if (mine.term === entry.term) {
          mine.outcome = 'acked';
          mine.result = events.results.get(mine.command.opId);
        } else {
          mine.outcome = 'lost';
        }
      }
    }
    if (events.applied.length > 0) {
      for (const l of this.listeners) l({ kind: 'applied', node: id, entries: events.applied, results: events.results });
    }
    for (const r of events.reads) for (const l of this.listeners) l({ kind: 'read', node: id, ...r });
    for (const d of events.dropped) for (const l of this.listeners) l({ kind: 'dropped-read', node: id, id: d });
  }

  /** Election safety and leader completeness, checked when a node becomes leader. */
  private checkNewLeader(id: NodeId, term: number): void {
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== id) {
      throw new SafetyViolation(`election safety: ${other} and ${id} both led term ${term}`);
    }
    this.leaderOfTerm.set(term, id);
    const log = this.nodes.get(id)!.raft.raftLog;
    for (const [index, fingerprint] of this.appliedLog) {
      if (index < log.firstIndex()) continue;
      const t = log.term(index);
      if (t === undefined || `${t}` !== fingerprint.slice(0, fingerprint.indexOf(':'))) {
        throw new SafetyViolation(
          `leader completeness: ${id} leads term ${term} without committed entry ${index} (${fingerprint})`,
        );
      }
    }
  }

  /**
   * Log matching (Raft §5.3): if two logs hold an entry with the same index and term, they are
   * identical up to it. Checked pairwise from the highest such entry down.
   */
  checkLogMatching(): void {
    const live = this.ids.filter((id) => !this.down.has(id)).map((id) => this.nodes.get(id)!);
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) {
        const la = live[a]!.raft.raftLog;
        const lb = live[b]!.raft.raftLog;
        const lo = Math.max(la.firstIndex(), lb.firstIndex());
        let i = Math.min(la.lastIndex(), lb.lastIndex());
        while (i >= lo && la.term(i) !== lb.term(i)) i--;
        for (; i >= lo; i--) {
          const ea = la.entryAt(i);
          const eb = lb.entryAt(i);
          if (fingerprintOf(ea) !== fingerprintOf(eb)) {
            throw new SafetyViolation(
              `log matching: ${live[a]!.id} and ${live[b]!.id} differ at ${i} below a common entry`,
            );
          }
        }
      }
    }
  }

  /** The entry fingerprint every node applied at `index`, if any did. */
  appliedAt(index: number): string | undefined {
    return this.appliedLog.get(index);
  }
}

export function fingerprintOf(entry: Entry): string {
  if (entry.kind === 'config') return `${entry.term}:config:${entry.config.voters.join(',')}/${entry.config.learners.join(',')}`;
  return `${entry.term}:${Buffer.from(entry.data).toString('base64')}`;
}

/** With RAFT_TRACE set, every core log line goes to stderr with the step it happened at. */
function traceLogger(now: () => number): NonNullable<RaftOptions['logger']> {
  const write = (level: string) => (fields: object, message: string) => {
    if (level === 'debug' && process.env['RAFT_TRACE'] !== 'debug') return;
    process.stderr.write(`${now()} ${level} ${message} ${JSON.stringify(fields)}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
