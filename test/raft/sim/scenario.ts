/**
 * One randomised simulation run, fully determined by its seed: a 3- or 5-voter cluster (plus a
 * spare node for membership changes) under a lossy, duplicating, reordering network, with
 * partitions, crashes, restarts, snapshots, leadership transfers and membership changes, while
 * clients run a register/compare-and-set workload with read-index reads.
 *
 * Safety is checked after every step by {@link SimCluster}; at the end the faults heal and the
 * run checks liveness (a leader within a bounded number of ticks, every acknowledged proposal
 * applied on every member, identical state machines) and linearizability of the client history.
 */
import type { NodeId } from '../../../src/raft/core/types.js';
import type { Random } from '../../../src/util/random.js';
import { randomInt, seededRandom } from '../../../src/util/random.js';
import { checkRegisterHistory } from '../../support/linearizability.js';
import type { RegisterOperation } from '../../support/linearizability.js';
import { SafetyViolation, SimCluster } from './cluster.js';
import type { Proposal } from './cluster.js';

export interface ScenarioSummary {
  seed: number;
  voters: number;
  ticks: number;
  acked: number;
  reads: number;
  ticksToLeaderAfterHeal: number;
  elections: number;
}

const KEYS = ['a', 'b', 'c'];
const CHAOS_TICKS = [120, 240] as const;
/** After healing, a leader must emerge within this many ticks (pre-vote may need a few rounds). */
const LEADER_BOUND_TICKS = 150;
/** ...and every member must have caught up within this many. */
const CATCH_UP_BOUND_TICKS = 400;
const CLIENT_TIMEOUT_TICKS = 40;

interface Client {
  id: number;
  op: PendingOp | null;
  seq: number;
}

interface PendingOp {
  record: RegisterOperation;
  startedTick: number;
  proposal?: Proposal;
  readId?: string;
  readNode?: NodeId;
}

export function runScenario(seed: number): ScenarioSummary {
  const rng = seededRandom(seed);
  const voterCount = rng() < 0.5 ? 3 : 5;
  const ids = Array.from({ length: voterCount + 1 }, (_, i) => `n${i + 1}`);
  const voters = ids.slice(0, voterCount);
  const cluster = new SimCluster({
    seed,
    ids,
    voters,
    raft: {
      preVote: rng() < 0.85,
      checkQuorum: rng() < 0.85,
      maxInflightMsgs: pick(rng, [1, 4, 256]),
      maxMsgEntries: pick(rng, [1, 8, 4096]),
    },
    network: {
      drop: rng() * 0.3,
      duplicate: rng() * 0.1,
      minDelay: 1,
      maxDelay: randomInt(rng, 1, 9),
    },
  });
  cluster.crashAfterPersistRate = rng() < 0.5 ? 0 : 0.002;

  const history: RegisterOperation[] = [];
  const acked: Proposal[] = [];
  const clients: Client[] = Array.from({ length: 4 }, (_, id) => ({ id, op: null, seq: 0 }));
  const tick = (): number => Math.floor(cluster.now / 4);
  let elections = 0;

  cluster.listeners.push((e) => {
    if (e.kind === 'read' || e.kind === 'dropped-read') {
      for (const c of clients) {
        if (c.op?.readId !== e.id) continue;
        if (e.kind === 'read') {
          c.op.record.return = cluster.now;
          c.op.record.output = cluster.nodes.get(e.node)!.read(c.op.record.key);
          history.push(c.op.record);
        }
        c.op = null;
      }
    }
  });

  const chaosTicks = randomInt(rng, CHAOS_TICKS[0], CHAOS_TICKS[1]);
  for (let t = 0; t < chaosTicks; t++) {
    if (rng() < 0.06) injectFault(cluster, rng);
    if (rng() < 0.015) changeMembership(cluster, rng);
    if (rng() < 0.005) transfer(cluster, rng);
    if (rng() < 0.05) snapshotSomewhere(cluster, rng);
    retireRemovedNodes(cluster);
    for (let s = 0; s < 4; s++) {
      for (const c of clients) {
        settleClient(c, cluster, history, acked, tick());
        if (c.op === null && rng() < 0.3) startOp(c, cluster, rng);
      }
      const before = cluster.leader()?.raft.softState().term;
      cluster.step();
      if (cluster.leader()?.raft.softState().term !== before) elections++;
    }
    if (t % 20 === 0) cluster.checkLogMatching();
  }

  // Heal everything and require progress.
  cluster.heal();
  cluster.network.faults = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 2 };
  cluster.crashAfterPersistRate = 0;
  for (const id of [...cluster.down]) cluster.restart(id);
  const healedAt = tick();
  const hasLeader = cluster.runUntil(() => cluster.leader() !== null, LEADER_BOUND_TICKS);
  if (!hasLeader) throw new Error(`liveness: no leader ${LEADER_BOUND_TICKS} ticks after healing (${describe(cluster)})`);
  const ticksToLeader = tick() - healedAt;

  // A final write through the leader pushes every earlier entry to commit on all members.
  const caughtUp = cluster.runUntil(() => allCaughtUp(cluster), CATCH_UP_BOUND_TICKS);
  for (const c of clients) settleClient(c, cluster, history, acked, Number.POSITIVE_INFINITY);
  if (!caughtUp) {
    const l = cluster.leader();
    throw new Error(`progress ${JSON.stringify(l?.raft.status().progress)} liveness: members did not catch up ${CATCH_UP_BOUND_TICKS} ticks after healing (${describe(cluster)})`);
  }
  cluster.checkLogMatching();
  checkAckedApplied(cluster, acked);

  const lin = checkRegisterHistory(history, { maxSteps: 5_000_000 });
  if (lin.ok === false) throw new SafetyViolation(`linearizability: ${lin.explanation}`);
  if (lin.ok === 'unknown') throw new Error(`linearizability check gave up: ${lin.explanation}`);

  return {
    seed,
    voters: voterCount,
    ticks: tick(),
    acked: acked.length,
    reads: history.filter((h) => h.input.op === 'read').length,
    ticksToLeaderAfterHeal: ticksToLeader,
    elections,
  };
}

// -----------------------------------------------------------------------------------------------
// Clients

function startOp(c: Client, cluster: SimCluster, rng: Random): void {
  const live = cluster.ids.filter((id) => !cluster.down.has(id));
  if (live.length === 0) return;
  const target = pick(rng, live);
  const key = pick(rng, KEYS);
  const kind = rng();
  c.seq++;
  const opId = `c${c.id}-${c.seq}`;

  if (kind < 0.4) {
    const record: RegisterOperation = { clientId: c.id, key, input: { op: 'read' }, call: cluster.now };
    c.op = { record, startedTick: Math.floor(cluster.now / 4), readId: opId, readNode: target };
    cluster.readIndex(target, opId);
    return;
  }

  const value = opId;
  const isCas = kind >= 0.8;
  const expected = isCas ? pick(rng, [null, ...recentValues(cluster, key)]) : undefined;
  const record: RegisterOperation = {
    clientId: c.id,
    key,
    input: isCas ? { op: 'cas', expected: expected ?? null, value } : { op: 'write', value },
    call: cluster.now,
  };
  // Ask a random node; a follower redirects once to the leader it knows.
  const leader = cluster.nodes.get(target)!.raft.softState().leader ?? target;
  const proposal = cluster.propose(leader, {
    opId,
    op: isCas ? 'cas' : 'write',
    key,
    value,
    expected: expected ?? null,
  });
  if (proposal === null) {
    c.op = null; // refused: it did not happen
    return;
  }
  c.op = { record, startedTick: Math.floor(cluster.now / 4), proposal };
}

function settleClient(
  c: Client,
  cluster: SimCluster,
  history: RegisterOperation[],
  acked: Proposal[],
  tick: number,
): void {
  const op = c.op;
  if (op === null) return;
  const timedOut = tick - op.startedTick > CLIENT_TIMEOUT_TICKS;
  if (op.proposal !== undefined) {
    const p = op.proposal;
    if (p.outcome === 'acked') {
      op.record.return = cluster.now;
      if (op.record.input.op === 'cas') op.record.output = p.result!;
      history.push(op.record);
      acked.push(p);
      c.op = null;
    } else if (p.outcome === 'lost') {
      c.op = null; // definitely never took effect
    } else if (p.outcome === 'unknown' || timedOut) {
      op.record.return = null; // indeterminate: it may take effect at any later time, or never
      history.push(op.record);
      c.op = null;
    }
  } else if (timedOut) {
    c.op = null; // an unanswered read changed nothing
  }
}

function recentValues(cluster: SimCluster, key: string): string[] {
  const values = new Set<string>();
  for (const node of cluster.nodes.values()) {
    const v = node.read(key);
    if (v !== null) values.add(v);
  }
  return [...values];
}

// -----------------------------------------------------------------------------------------------
// Faults and operations

function injectFault(cluster: SimCluster, rng: Random): void {
  const live = cluster.ids.filter((id) => !cluster.down.has(id));
  const r = rng();
  if (r < 0.2) {
    cluster.heal();
  } else if (r < 0.35) {
    const leader = cluster.leader();
    if (leader !== null) cluster.isolate(leader.id);
  } else if (r < 0.5) {
    const shuffled = [...cluster.ids].sort(() => rng() - 0.5);
    const cut = randomInt(rng, 1, shuffled.length);
    cluster.partition(shuffled.slice(0, cut), shuffled.slice(cut));
  } else if (r < 0.6) {
    const from = pick(rng, cluster.ids);
    const to = pick(rng, cluster.ids);
    if (from !== to) cluster.network.cutOneWay(from, to);
  } else if (r < 0.8) {
    if (live.length > 0 && cluster.down.size < 2) cluster.crash(pick(rng, live));
  } else if (cluster.down.size > 0) {
    cluster.restart(pick(rng, [...cluster.down]));
  }
}

function changeMembership(cluster: SimCluster, rng: Random): void {
  const leader = cluster.leader();
  if (leader === null) return;
  const config = leader.raft.raftLog.config();
  const members = new Set([...config.voters, ...config.learners]);
  const outsiders = cluster.ids.filter((id) => !members.has(id));
  const r = rng();
  if (config.learners.length > 0 && r < 0.5) {
    cluster.proposeConfChange(leader.id, { type: 'add-voter', nodeId: pick(rng, config.learners) });
  } else if (outsiders.length > 0 && r < 0.8) {
    const id = pick(rng, outsiders);
    const index = cluster.proposeConfChange(leader.id, { type: 'add-learner', nodeId: id });
    // The server persists the index of the entry that adds a rejoining node back; until its log
    // reaches it, the node's id still names its previous life in lagging logs.
    if (index !== null) cluster.wipe(id, index);
  } else if (config.voters.length > 3) {
    cluster.proposeConfChange(leader.id, { type: 'remove', nodeId: pick(rng, config.voters) });
  }
}

/** Once a removal has committed, the removed node is shut down and wiped, as an operator would. */
function retireRemovedNodes(cluster: SimCluster): void {
  const leader = cluster.leader();
  if (leader === null) return;
  const log = leader.raft.raftLog;
  if (log.lastConfigIndex() > log.committed) return;
  const config = log.config();
  for (const id of cluster.ids) {
    if (!config.voters.includes(id) && !config.learners.includes(id) && !cluster.down.has(id)) {
      const node = cluster.nodes.get(id)!;
      if (node.raft.raftLog.lastIndex() > 0) cluster.wipe(id);
    }
  }
}

function transfer(cluster: SimCluster, rng: Random): void {
  const leader = cluster.leader();
  if (leader === null) return;
  const others = leader.raft.raftLog.config().voters.filter((id) => id !== leader.id);
  if (others.length > 0) cluster.transferLeadership(leader.id, pick(rng, others));
}

function snapshotSomewhere(cluster: SimCluster, rng: Random): void {
  const id = pick(rng, cluster.ids);
  if (cluster.down.has(id)) return;
  const node = cluster.nodes.get(id)!;
  const since = node.appliedIndex - (node.disk.snapshot?.meta.index ?? 0);
  if (since >= 5) node.takeSnapshot(randomInt(rng, 0, 6));
}

// -----------------------------------------------------------------------------------------------
// End-of-run checks

function members(cluster: SimCluster): NodeId[] {
  const leader = cluster.leader();
  if (leader === null) return [];
  const config = leader.raft.raftLog.config();
  return [...config.voters, ...config.learners];
}

function allCaughtUp(cluster: SimCluster): boolean {
  const leader = cluster.leader();
  if (leader === null) return false;
  const log = leader.raft.raftLog;
  if (log.committed !== log.lastIndex() || log.term(log.committed) !== leader.raft.softState().term) return false;
  return members(cluster).every((id) => {
    const node = cluster.nodes.get(id)!;
    return !cluster.down.has(id) && node.appliedIndex === log.committed && node.raft.raftLog.lastIndex() === log.lastIndex();
  });
}

function checkAckedApplied(cluster: SimCluster, acked: Proposal[]): void {
  const nodes = members(cluster).map((id) => cluster.nodes.get(id)!);
  const first = JSON.stringify([...nodes[0]!.registers].sort());
  for (const node of nodes) {
    const state = JSON.stringify([...node.registers].sort());
    if (state !== first) {
      throw new SafetyViolation(`state machines differ: ${nodes[0]!.id} ${first} vs ${node.id} ${state}`);
    }
  }
  // Every acknowledged command sits where it was acknowledged in the log every member applied.
  for (const p of acked) {
    const fingerprint = cluster.appliedAt(p.index);
    if (fingerprint === undefined || !fingerprint.startsWith(`${p.term}:`)) {
      throw new SafetyViolation(`acknowledged ${p.command.opId} at ${p.index}/${p.term} was replaced by ${fingerprint}`);
    }
    for (const node of nodes) {
      if (node.appliedIndex < p.index) {
        throw new SafetyViolation(`${node.id} never applied acknowledged ${p.command.opId} at ${p.index}`);
      }
    }
  }
}

function describe(cluster: SimCluster): string {
  return cluster.ids
    .map((id) => {
      const s = cluster.nodes.get(id)!.raft.status();
      const floor = cluster.voteFloorOf(id);
      return `${id}${cluster.down.has(id) ? '(down)' : ''} ${s.role} t${s.term} c${s.commit} a${s.applied} l${s.lastIndex}${floor > 0 ? ` floor${floor}` : ''} v=[${s.config.voters}] L=[${s.config.learners}]`;
    })
    .join('; ');
}

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}
