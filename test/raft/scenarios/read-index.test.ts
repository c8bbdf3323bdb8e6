/**
 * Linearizable reads by read index (dissertation §6.4): a read through a follower waits until
 * the follower has applied what the leader had committed when the read arrived, and a leader cut
 * off from the majority never answers one.
 */
import assert from 'node:assert/strict';
import type { ClusterEvent } from '../sim/cluster.js';
import {
  ELECTION_TICKS,
  awaitLeader,
  awaitReadyLeader,
  scenarioCluster,
  waitFor,
  write,
  writeAcked,
} from './support.js';

describe('Raft scenario: read index', () => {
  it('makes a read through a follower right after a write through the leader see that write, 1,000 times in a row', () => {
    const cluster = scenarioCluster({ seed: 101, voters: 5 });
    const answers = new Map<string, string | null>();
    cluster.listeners.push((e: ClusterEvent) => {
      // The value is read the moment the read becomes servable, as a real server would.
      if (e.kind === 'read') answers.set(e.id, cluster.nodes.get(e.node)!.read('k'));
      if (e.kind === 'dropped-read') answers.set(e.id, 'dropped');
    });
    const leader = awaitReadyLeader(cluster);
    const followers = cluster.ids.filter((id) => id !== leader.id);
    let followerBehind = 0;

    for (let i = 1; i <= 1000; i++) {
      const written = writeAcked(cluster, 'k', `v${i}`);
      const reader = followers[i % followers.length]!;
      if (cluster.nodes.get(reader)!.appliedIndex < written.index) followerBehind++;
      const readId = `read-${i}`;
      assert.equal(cluster.readIndex(reader, readId), true);
      waitFor(cluster, () => answers.has(readId), 20, `read ${i} through ${reader}`);
      assert.equal(answers.get(readId), `v${i}`, `read ${i} through ${reader} was stale`);
    }
    assert.equal(cluster.leader()?.id, leader.id);
    // The point of the test: the follower had not applied the write when the read arrived.
    assert.ok(followerBehind > 900, `the reading follower lagged only ${followerBehind} times`);
  });

  it('answers no read on a new leader until it has committed an entry of its own term', () => {
    const cluster = scenarioCluster({ seed: 103, voters: 3 });
    const answers = new Map<string, string | null>();
    cluster.listeners.push((e: ClusterEvent) => {
      if (e.kind === 'read') answers.set(e.id, cluster.nodes.get(e.node)!.read('k'));
      if (e.kind === 'dropped-read') answers.set(e.id, 'dropped');
    });
    const old = awaitReadyLeader(cluster);
    writeAcked(cluster, 'k', 'before');
    cluster.runTicks(2);

    // The next write commits on the leader, but no message telling the followers so gets out.
    let held = Number.POSITIVE_INFINITY;
    cluster.network.filter = (m) =>
      !(m.from === old.id && (m.type === 'append' || m.type === 'heartbeat') && m.commit >= held);
    const acked = write(cluster, old.id, 'k', 'acked');
    held = acked.index;
    waitFor(cluster, () => acked.outcome === 'acked', 10, 'the write acknowledged');
    cluster.crash(old.id);
    const followers = cluster.ids.filter((id) => id !== old.id);
    for (const id of followers) {
      const node = cluster.nodes.get(id)!;
      assert.equal(node.raft.raftLog.term(acked.index), acked.term, `${id} holds the write`);
      assert.ok(node.raft.status().commit < acked.index, `${id} already knows it committed`);
    }

    // The new leader's no-op gets no acknowledgements, so its commit index stays behind.
    cluster.network.filter = (m) => m.type !== 'append-resp';
    const fresh = awaitLeader(cluster, 10 * ELECTION_TICKS);
    const other = followers.find((id) => id !== fresh.id)!;
    const otherNode = cluster.nodes.get(other)!;
    waitFor(cluster, () => otherNode.raft.softState().leader === fresh.id, 2, `${other} following`);
    cluster.readIndex(fresh.id, 'on-leader');
    cluster.readIndex(other, 'on-follower');
    cluster.runTicks(ELECTION_TICKS / 2);
    assert.equal(fresh.raft.softState().role, 'leader');
    const early = Object.fromEntries(answers);
    assert.deepEqual(early, {}, 'a read was answered before the no-op committed');

    cluster.network.filter = null;
    waitFor(cluster, () => answers.size === 2, 10, 'both reads answered');
    assert.deepEqual(Object.fromEntries(answers), { 'on-leader': 'acked', 'on-follower': 'acked' });
  });

  it('never answers a read on a deposed leader cut off from the majority', () => {
    const cluster = scenarioCluster({ seed: 102, voters: 3 });
    const events: ClusterEvent[] = [];
    cluster.listeners.push((e) => events.push(e));
    const old = awaitReadyLeader(cluster);
    writeAcked(cluster, 'k', 'old');

    cluster.isolate(old.id);
    const asked: string[] = [];
    const askedWhileLeading: string[] = [];
    for (let t = 0; t < 5 * ELECTION_TICKS; t++) {
      const id = `cut-${t}`;
      if (old.raft.softState().role === 'leader') askedWhileLeading.push(id);
      asked.push(id);
      cluster.readIndex(old.id, id);
      cluster.runTicks(1);
    }
    const majorityLeader = cluster.leader();
    assert.ok(majorityLeader !== null, 'the majority elected no leader');
    assert.notEqual(majorityLeader.id, old.id);
    writeAcked(cluster, 'k', 'new');
    assert.notEqual(old.raft.softState().role, 'leader');
    assert.ok(askedWhileLeading.length > 0, 'no read reached the old leader while it still led');

    const onOld = events.filter((e) => e.node === old.id);
    const answered = onOld.filter((e) => e.kind === 'read');
    assert.deepEqual(answered, [], 'the cut-off node answered a read');
    const dropped = new Set(onOld.flatMap((e) => (e.kind === 'dropped-read' ? [e.id] : [])));
    for (const id of asked) assert.ok(dropped.has(id), `read ${id} was not failed`);

    // Healed, it reads through the new leader and sees the new value.
    cluster.heal();
    const following = (): boolean => old.raft.softState().leader === majorityLeader.id;
    waitFor(cluster, following, 5 * ELECTION_TICKS, 'the old leader following');
    cluster.readIndex(old.id, 'healed');
    const healedRead = (): boolean => events.some((e) => e.kind === 'read' && e.id === 'healed');
    waitFor(cluster, healedRead, 10, 'the healed read');
    assert.equal(old.read('k'), 'new');
  });
});
