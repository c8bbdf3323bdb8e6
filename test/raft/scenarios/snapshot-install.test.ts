/**
 * InstallSnapshot (Raft §7): a follower that missed entries the leader has since compacted away
 * is brought back with the leader's snapshot, then the log after it.
 */
import assert from 'node:assert/strict';
import type { SnapshotRequest } from '../../../src/raft/core/types.js';
import { fingerprintOf } from '../sim/cluster.js';
import {
  ELECTION_TICKS,
  awaitReadyLeader,
  registersOf,
  scenarioCluster,
  waitFor,
  writeAcked,
} from './support.js';

describe('Raft scenario: snapshot install to a lagging follower', () => {
  it('sends a follower cut off past the compaction point the snapshot, after which it matches the leader exactly', () => {
    const cluster = scenarioCluster({ seed: 71 });
    const sent: SnapshotRequest[] = [];
    cluster.network.filter = (m) => {
      if (m.type === 'snapshot') sent.push(m);
      return true;
    };
    const leader = awaitReadyLeader(cluster);
    for (let i = 0; i < 5; i++) writeAcked(cluster, `k${i}`, `early ${i}`);
    const lagging = cluster.nodes.get(cluster.ids.find((id) => id !== leader.id)!)!;
    const level = (): boolean => lagging.appliedIndex === leader.appliedIndex;
    waitFor(cluster, level, 10, 'the follower level before the cut');

    cluster.isolate(lagging.id);
    for (let i = 0; i < 60; i++) writeAcked(cluster, `k${i % 10}`, `late ${i}`);
    leader.takeSnapshot(0);
    const snapshotIndex = leader.disk.snapshot!.meta.index;
    const firstIndex = leader.raft.raftLog.firstIndex();
    assert.equal(firstIndex, snapshotIndex + 1, 'keep 0 compacts everything applied');
    const laggingLast = lagging.raft.raftLog.lastIndex();
    assert.ok(laggingLast < snapshotIndex, 'the follower needs compacted entries');
    assert.equal(sent.length, 0);

    cluster.heal();
    for (let i = 0; i < 5; i++) writeAcked(cluster, `after${i}`, `healed ${i}`);
    const sameLastIndex = (): boolean =>
      lagging.raft.raftLog.lastIndex() === leader.raft.raftLog.lastIndex();
    const caughtUp = (): boolean => level() && sameLastIndex();
    waitFor(cluster, caughtUp, 5 * ELECTION_TICKS, 'the follower catching up');

    // It got the snapshot by InstallSnapshot and stored it in place of its old log.
    const toLagging = sent.filter((m) => m.to === lagging.id);
    assert.equal(toLagging.length, 1);
    assert.equal(toLagging[0]!.snapshot.meta.index, snapshotIndex);
    assert.equal(lagging.disk.snapshot?.meta.index, snapshotIndex);
    assert.equal(lagging.raft.raftLog.firstIndex(), snapshotIndex + 1);

    // Identical registers, commit index and log tail.
    assert.deepEqual(registersOf(lagging), registersOf(leader));
    assert.equal(lagging.read('k9'), 'late 59');
    assert.equal(lagging.raft.status().commit, leader.raft.status().commit);
    const tail = (node: typeof leader): string[] => {
      const log = node.raft.raftLog;
      const out: string[] = [];
      for (let i = snapshotIndex + 1; i <= log.lastIndex(); i++) {
        out.push(fingerprintOf(log.entryAt(i)));
      }
      return out;
    };
    assert.equal(tail(lagging).length, leader.raft.raftLog.lastIndex() - snapshotIndex);
    assert.deepEqual(tail(lagging), tail(leader));
    cluster.checkLogMatching();
  });
});
