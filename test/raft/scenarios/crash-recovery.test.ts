/**
 * Crash scenarios: every node killed at once and restarted from its disk; nodes dying between
 * persisting a Ready and sending its messages (the window the Ready contract makes safe); and a
 * wiped node, back with the same id and an empty disk, that a lagging node still counts as a
 * voter: it must not vote that node into a leadership that would lose committed entries.
 */
import assert from 'node:assert/strict';
import type { Message, VoteResponse } from '../../../src/raft/core/types.js';
import type { Proposal, SimCluster } from '../sim/cluster.js';
import { encodeCommand } from '../sim/node.js';
import {
  ELECTION_TICKS,
  awaitLeader,
  awaitReadyLeader,
  recordEvents,
  scenarioCluster,
  waitFor,
  write,
  writeAcked,
  writeCommand,
} from './support.js';

/** Every acknowledged write sits where it was acknowledged, applied on every node. */
function assertNoAckedWriteLost(cluster: SimCluster, acked: Proposal[]): void {
  awaitReadyLeader(cluster);
  const last = writeAcked(cluster, 'final', 'write');
  waitFor(
    cluster,
    () => cluster.ids.every((id) => cluster.nodes.get(id)!.appliedIndex >= last.index),
    5 * ELECTION_TICKS,
    'every node applying the final write',
  );
  for (const p of acked) {
    const applied = cluster.appliedAt(p.index);
    assert.equal(applied?.startsWith(`${p.term}:`), true, `${p.command.key} replaced`);
    for (const node of cluster.nodes.values()) {
      assert.equal(node.read(p.command.key), p.command.value, `${node.id} lost ${p.command.key}`);
    }
  }
  cluster.checkLogMatching();
}

describe('Raft scenario: crash and restart', () => {
  it('loses no acknowledged write when every node is killed and restarted from disk, five times over', () => {
    const cluster = scenarioCluster({ seed: 111, voters: 5 });
    const all: Proposal[] = [];
    let n = 0;
    for (let round = 0; round < 5; round++) {
      awaitLeader(cluster);
      // Writes in flight at every stage when the crash comes: some acked, some not yet.
      for (let s = 0; s < 10 + 3 * round; s++) {
        const leader = cluster.leader();
        if (leader !== null) {
          const p = cluster.propose(leader.id, writeCommand(`w${n}`, `v${n}`));
          n++;
          if (p !== null) all.push(p);
        }
        cluster.step();
      }
      for (const id of cluster.ids) cluster.crash(id);
      for (const id of cluster.ids) cluster.restart(id);
    }
    const acked = all.filter((p) => p.outcome === 'acked');
    assert.ok(acked.length >= 20, `only ${acked.length} writes were acknowledged`);
    assert.ok(all.some((p) => p.outcome === 'unknown'), 'no write was cut short by a crash');
    assertNoAckedWriteLost(cluster, acked);
  });

  it('loses no acknowledged write when nodes keep dying between persisting and sending', () => {
    const cluster = scenarioCluster({ seed: 112, voters: 3 });
    const events = recordEvents(cluster);
    awaitReadyLeader(cluster);
    cluster.crashAfterPersistRate = 0.01;
    const all: Proposal[] = [];
    for (let t = 0; t < 400; t++) {
      const leader = cluster.leader();
      if (leader !== null) {
        const p = cluster.propose(leader.id, writeCommand(`w${t}`, `v${t}`));
        if (p !== null) all.push(p);
      }
      cluster.runTicks(1);
      // A node that died stays down for a few ticks, then comes back from its disk.
      if (t % 5 === 0) for (const id of [...cluster.down]) cluster.restart(id);
    }
    cluster.crashAfterPersistRate = 0;
    for (const id of [...cluster.down]) cluster.restart(id);

    const crashes = events.filter((e) => e.kind === 'crashed').length;
    assert.ok(crashes >= 5, `only ${crashes} crashes happened`);
    const acked = all.filter((p) => p.outcome === 'acked');
    assert.ok(acked.length >= 100, `only ${acked.length} writes were acknowledged`);
    assertNoAckedWriteLost(cluster, acked);
  });

  it('keeps an entry a follower persisted but never acknowledged, and loses nothing acked, when leader and follower die before sending', () => {
    const cluster = scenarioCluster({ seed: 113, voters: 3 });
    const leader = awaitReadyLeader(cluster);
    const acked = [writeAcked(cluster, 'a', '1'), writeAcked(cluster, 'b', '2')];
    const [follower, other] = cluster.ids.filter((id) => id !== leader.id) as [string, string];
    cluster.runTicks(2);

    // The other follower is down; the leader's append to `follower` is caught on the wire.
    cluster.crash(other);
    const caught: Message[] = [];
    cluster.network.filter = (m) => {
      const carriesEntries = m.type === 'append' && m.to === follower && m.entries.length > 0;
      if (carriesEntries) caught.push(m);
      return !carriesEntries;
    };
    const p = write(cluster, leader.id, 'c', '3');
    assert.equal(caught.length, 1);

    // The follower persists the entry and dies before its acknowledgement leaves.
    const f = cluster.nodes.get(follower)!;
    f.raft.step(caught[0]!);
    const sent: Message[] = [];
    assert.equal(f.raft.hasReady(), true);
    f.handleReady((m) => sent.push(m), true);
    cluster.crash(follower);
    assert.equal(sent.length, 0);
    assert.equal(f.disk.entries.some((e) => e.index === p.index && e.term === p.term), true);

    // The leader too dies right after persisting its next Ready (a second write), before sending.
    leader.raft.propose([encodeCommand(writeCommand('d', '4'))]);
    leader.handleReady(() => assert.fail('the leader sent before dying'), true);
    cluster.crash(leader.id);
    assert.equal(p.outcome, 'unknown');
    assert.equal(leader.disk.entries.at(-1)?.index, p.index + 1);

    cluster.network.filter = null;
    for (const id of cluster.ids) cluster.restart(id);
    const restarted = cluster.nodes.get(follower)!;
    const kept = restarted.raft.raftLog.term(p.index);
    assert.equal(kept, p.term, 'the persisted entry survived the crash');
    assertNoAckedWriteLost(cluster, acked);
    // Two of three nodes held the unacknowledged write on disk: whoever leads now has it.
    assert.equal(cluster.leader()!.read('c'), '3');
  });
});

describe('Raft scenario: a wiped node still listed as a voter', () => {
  it('does not help a lagging node get elected, so no committed entry is lost', () => {
    const raft = { preVote: false, checkQuorum: false };
    const cluster = scenarioCluster({ seed: 121, voters: 3, raft });
    const votesFromWiped: VoteResponse[] = [];
    const leader = awaitReadyLeader(cluster);
    const [lagging, wiped] = cluster.ids.filter((id) => id !== leader.id) as [string, string];

    // The lagging node misses ten committed writes; then the leader dies and the other
    // follower, the only other holder of those writes, loses its disk.
    cluster.isolate(lagging);
    for (let i = 0; i < 10; i++) writeAcked(cluster, `k${i}`, `v${i}`);
    cluster.crash(leader.id);
    cluster.wipe(wiped);
    cluster.heal();
    cluster.network.filter = (m) => {
      if (m.type === 'vote-resp' && m.from === wiped) votesFromWiped.push(m);
      return true;
    };
    const laggingNode = cluster.nodes.get(lagging)!;
    const termBefore = laggingNode.raft.softState().term;

    for (let t = 0; t < 20 * ELECTION_TICKS; t++) {
      cluster.runTicks(1);
      assert.equal(cluster.leader(), null, `${cluster.leader()?.id} was elected at tick ${t}`);
    }
    const termAfter = laggingNode.raft.softState().term;
    assert.ok(termAfter >= termBefore + 10, `the lagging node campaigned up to ${termAfter} only`);
    assert.ok(votesFromWiped.length >= 10);
    assert.deepEqual(votesFromWiped.filter((v) => !v.reject), [], 'the wiped node granted a vote');
    assert.deepEqual(cluster.nodes.get(wiped)!.raft.raftLog.config().voters, []);

    // The old leader returns with the full log and wins; the wiped node is rebuilt from it.
    cluster.restart(leader.id);
    const back = awaitLeader(cluster, 20 * ELECTION_TICKS);
    assert.equal(back.id, leader.id);
    const allHold = (): boolean => [...cluster.nodes.values()].every((n) => n.read('k9') === 'v9');
    waitFor(cluster, allHold, 5 * ELECTION_TICKS, 'all nodes holding the writes');
    for (const node of cluster.nodes.values()) {
      for (let i = 0; i < 10; i++) assert.equal(node.read(`k${i}`), `v${i}`, `${node.id} k${i}`);
    }
    cluster.checkLogMatching();
  });
});
