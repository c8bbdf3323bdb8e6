/**
 * Shared helpers for the classic Raft scenarios in this folder: building a {@link SimCluster}
 * with a reliable network, proposing register writes, waiting for outcomes with a bounded number
 * of ticks, reading a node's log as terms, and scripting who campaigns first.
 *
 * Every helper fails loudly (with the seed) when a bound is exceeded, so a scenario never hangs
 * and a failure can be replayed.
 */
import assert from 'node:assert/strict';
import type { RaftOptions } from '../../../src/raft/core/config.js';
import type { Entry, NodeId } from '../../../src/raft/core/types.js';
import { SimCluster } from '../sim/cluster.js';
import type { ClusterEvent, Proposal } from '../sim/cluster.js';
import { RELIABLE } from '../sim/network.js';
import type { NetworkFaults } from '../sim/network.js';
import { decodeCommand, encodeCommand } from '../sim/node.js';
import type { Command, Disk, SimNode } from '../sim/node.js';

/** The core's default election timeout, which every scenario here keeps. */
export const ELECTION_TICKS = 10;

export interface ScenarioClusterOptions {
  seed: number;
  /** Number of founding voters, named n1..nN. Default 3. */
  voters?: number;
  /** Extra nodes that start empty, outside the cluster (for membership changes). Default 0. */
  spares?: number;
  raft?: Partial<Omit<RaftOptions, 'id' | 'random'>>;
  network?: NetworkFaults;
  disks?: Map<NodeId, Disk>;
}

/** A cluster of `voters` founding voters plus `spares` empty nodes, on a reliable network. */
export function scenarioCluster(options: ScenarioClusterOptions): SimCluster {
  const voterCount = options.voters ?? 3;
  const total = voterCount + (options.spares ?? 0);
  const ids = Array.from({ length: total }, (_, i) => `n${i + 1}`);
  return new SimCluster({
    seed: options.seed,
    ids,
    voters: ids.slice(0, voterCount),
    raft: options.raft ?? {},
    network: options.network ?? RELIABLE,
    ...(options.disks === undefined ? {} : { disks: options.disks }),
  });
}

/** Runs until `done()` holds, failing the test with `what` if it does not within `maxTicks`. */
export function waitFor(
  cluster: SimCluster,
  done: () => boolean,
  maxTicks: number,
  what: string,
): void {
  if (!cluster.runUntil(done, maxTicks)) {
    assert.fail(`${what}: not reached within ${maxTicks} ticks (step ${cluster.now})`);
  }
}

/** Waits for a leader and returns it. */
export function awaitLeader(cluster: SimCluster, maxTicks = 10 * ELECTION_TICKS): SimNode {
  waitFor(cluster, () => cluster.leader() !== null, maxTicks, 'a leader');
  return cluster.leader()!;
}

/** Waits for a leader among `ids` (say, the majority side of a partition) and returns it. */
export function awaitLeaderAmong(
  cluster: SimCluster,
  ids: NodeId[],
  maxTicks = 10 * ELECTION_TICKS,
): SimNode {
  const among = (): boolean => ids.includes(cluster.leader()?.id ?? '');
  waitFor(cluster, among, maxTicks, `a leader among ${ids.join(', ')}`);
  return cluster.leader()!;
}

/**
 * Waits for a leader that has committed an entry of its own term, so it accepts membership
 * changes and serves reads at once.
 */
export function awaitReadyLeader(cluster: SimCluster, maxTicks = 10 * ELECTION_TICKS): SimNode {
  waitFor(
    cluster,
    () => {
      const leader = cluster.leader();
      if (leader === null) return false;
      const log = leader.raft.raftLog;
      return log.term(log.committed) === leader.raft.softState().term;
    },
    maxTicks,
    'a leader with a committed entry of its term',
  );
  return cluster.leader()!;
}

let opCounter = 0;

/** A register write with a fresh operation id. */
export function writeCommand(key: string, value: string): Command {
  opCounter++;
  return { opId: `op-${opCounter}`, op: 'write', key, value };
}

/** Proposes `key = value` on `id`; throws if the node refused. */
export function write(cluster: SimCluster, id: NodeId, key: string, value: string): Proposal {
  const proposal = cluster.propose(id, writeCommand(key, value));
  assert.ok(proposal !== null, `${id} refused the write ${key}=${value}`);
  return proposal;
}

/** Proposes a write on the current leader and runs until the leader has applied it. */
export function writeAcked(
  cluster: SimCluster,
  key: string,
  value: string,
  maxTicks = 50,
): Proposal {
  const leader = awaitLeader(cluster);
  const proposal = write(cluster, leader.id, key, value);
  const what = `the outcome of ${key}=${value}`;
  waitFor(cluster, () => proposal.outcome !== 'pending', maxTicks, what);
  assert.equal(proposal.outcome, 'acked', `write ${key}=${value} was ${proposal.outcome}`);
  return proposal;
}

/** The terms of a node's log entries from its first index in memory to its last. */
export function logTerms(node: SimNode): number[] {
  const log = node.raft.raftLog;
  const terms: number[] = [];
  for (let i = log.firstIndex(); i <= log.lastIndex(); i++) terms.push(log.term(i)!);
  return terms;
}

/** The register writes in a node's in-memory log, as `key=value` (the no-ops left out). */
export function logWrites(node: SimNode): string[] {
  const log = node.raft.raftLog;
  const writes: string[] = [];
  for (let i = log.firstIndex(); i <= log.lastIndex(); i++) {
    const entry = log.entryAt(i);
    if (entry.kind !== 'normal' || entry.data.length === 0) continue;
    const cmd = decodeCommand(entry.data);
    writes.push(`${cmd.key}=${cmd.value}`);
  }
  return writes;
}

/** A normal entry carrying a register write, for hand-built disks. */
export function writeEntry(index: number, term: number, key: string, value: string): Entry {
  return { kind: 'normal', term, index, data: encodeCommand(writeCommand(key, value)) };
}

/** The founding config entry (index 1, term 1) naming `voters`. */
export function foundingEntry(voters: NodeId[]): Entry {
  const config = { voters: [...voters].sort(), learners: [] };
  return { kind: 'config', term: 1, index: 1, change: null, config };
}

/**
 * Makes `id` campaign at once, as a `timeout-now` from a peer would (the last step of a
 * leadership transfer): a scripted scenario uses it to choose who stands first, instead of
 * depending on which randomized election timeout fires first. `from` must be another node; the
 * message carries the node's own term so it is not dropped as stale.
 */
export function campaignNow(cluster: SimCluster, id: NodeId, from: NodeId): void {
  const node = cluster.nodes.get(id)!;
  assert.ok(!cluster.down.has(id), `${id} is down and cannot campaign`);
  node.raft.step({ type: 'timeout-now', from, to: id, term: node.raft.softState().term });
  cluster.processReady(id);
}

/** Collects the cluster's events while a scenario runs. */
export function recordEvents(cluster: SimCluster): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  cluster.listeners.push((e) => events.push(e));
  return events;
}

/** The operation ids of every command `events` show applied, on any node. */
export function appliedOpIds(events: ClusterEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const e of events) {
    if (e.kind !== 'applied') continue;
    for (const entry of e.entries) {
      if (entry.kind === 'normal' && entry.data.length > 0) ids.add(decodeCommand(entry.data).opId);
    }
  }
  return ids;
}

/** The registers of a node, sorted, for comparing state machines. */
export function registersOf(node: SimNode): [string, string][] {
  return [...node.registers].sort(([a], [b]) => a.localeCompare(b));
}
