/**
 * Membership scenarios (dissertation §4): a wiped node joining as a learner and being promoted,
 * a leader removing itself, and the changes the leader must refuse (one change at a time, none
 * before the leader has committed an entry of its own term, never removing the last voter).
 */
import assert from 'node:assert/strict';
import { ConfChangeError } from '../../../src/raft/core/errors.js';
import type { ConfChange, Message } from '../../../src/raft/core/types.js';
import type { SimCluster } from '../sim/cluster.js';
import type { SimNode } from '../sim/node.js';
import {
  ELECTION_TICKS,
  awaitLeader,
  awaitLeaderAmong,
  awaitReadyLeader,
  registersOf,
  scenarioCluster,
  waitFor,
  write,
  writeAcked,
} from './support.js';

/** Proposes a change on `node` and carries out its Ready; returns the change's log position. */
function changeOn(
  cluster: SimCluster,
  node: SimNode,
  change: ConfChange,
): { index: number; term: number } {
  const at = node.raft.proposeConfChange(change);
  cluster.processReady(node.id);
  return at;
}

function assertRefused(node: SimNode, change: ConfChange, reason: ConfChangeError['reason']): void {
  assert.throws(
    () => node.raft.proposeConfChange(change),
    (err: unknown) => err instanceof ConfChangeError && err.reason === reason,
    `expected ${change.type} ${change.nodeId} to be refused with ${reason}`,
  );
}

describe('Raft scenario: learner catch-up and promotion', () => {
  it('brings a wiped learner up to date by snapshot under a stream of writes, then promotes it so 3 of 4 make a quorum', () => {
    const cluster = scenarioCluster({ seed: 51, voters: 3, spares: 1 });
    const snapshotsToN4: Message[] = [];
    cluster.network.filter = (m) => {
      if (m.type === 'snapshot' && m.to === 'n4') snapshotsToN4.push(m);
      return true;
    };
    let leader = awaitReadyLeader(cluster);
    for (let i = 0; i < 20; i++) writeAcked(cluster, `k${i}`, `v${i}`);
    leader.takeSnapshot(0);
    assert.ok(leader.raft.raftLog.firstIndex() > 2, 'the leader compacted its log');

    cluster.wipe('n4');
    const learnerAt = changeOn(cluster, leader, { type: 'add-learner', nodeId: 'n4' });
    const n4 = cluster.nodes.get('n4')!;
    let i = 20;
    waitFor(
      cluster,
      () => {
        write(cluster, cluster.leader()!.id, `k${i}`, `v${i}`);
        i++;
        const joined = n4.raft.raftLog.config().learners.includes('n4');
        return joined && n4.appliedIndex > learnerAt.index;
      },
      10 * ELECTION_TICKS,
      'n4 catching up as a learner',
    );
    assert.ok(snapshotsToN4.length >= 1, 'n4 got no snapshot');
    assert.ok(n4.disk.snapshot !== null, 'n4 stored no snapshot');
    assert.ok(n4.disk.snapshot.meta.index >= leader.raft.raftLog.firstIndex() - 1);
    assert.deepEqual(n4.raft.raftLog.config().voters, ['n1', 'n2', 'n3']);
    assert.equal(n4.raft.softState().role, 'follower');

    // The stream stops; the learner ends with the leader's state machine.
    const level = (): boolean =>
      n4.appliedIndex === leader.appliedIndex &&
      leader.appliedIndex === leader.raft.status().commit;
    waitFor(cluster, level, 50, 'n4 level with the leader');
    assert.deepEqual(registersOf(n4), registersOf(leader));

    // Promotion: four voters, whose quorum is three.
    const voterAt = changeOn(cluster, leader, { type: 'add-voter', nodeId: 'n4' });
    const promoted = (): boolean => leader.raft.status().commit >= voterAt.index;
    waitFor(cluster, promoted, 20, 'the promotion committing');
    const four = { voters: ['n1', 'n2', 'n3', 'n4'], learners: [] };
    assert.deepEqual(leader.raft.raftLog.config(), four);

    // Losing one original follower: 3 of 4 remain, writes still commit.
    const originals = ['n1', 'n2', 'n3'].filter((id) => id !== leader.id);
    cluster.crash(originals[0]!);
    writeAcked(cluster, 'after', 'one down');

    // Losing a second: 2 of 4 are not a quorum, a write waits...
    cluster.crash(originals[1]!);
    const stuck = write(cluster, leader.id, 'stuck', 'two down');
    cluster.runTicks(3 * ELECTION_TICKS);
    assert.notEqual(stuck.outcome, 'acked');
    assert.ok(leader.raft.status().commit < stuck.index);

    // ...until one is back. Then an original node goes again (the leader, unless n4 leads now,
    // which a promoted voter may), and the other three carry on.
    cluster.restart(originals[1]!);
    leader = awaitReadyLeader(cluster);
    writeAcked(cluster, 'back', 'three up');
    cluster.restart(originals[0]!);
    cluster.runTicks(ELECTION_TICKS);
    const victim = leader.id === 'n4' ? originals[0]! : leader.id;
    cluster.crash(victim);
    leader = awaitReadyLeader(cluster);
    assert.notEqual(leader.id, victim);
    writeAcked(cluster, 'final', 'survived');
    waitFor(cluster, () => n4.read('final') === 'survived', 20, 'n4 applying the last write');
  });
});

describe('Raft scenario: removing the leader', () => {
  it('keeps the leader leading until its removal commits, then the others elect a leader and the removed node never campaigns', () => {
    const cluster = scenarioCluster({ seed: 61, voters: 3 });
    const campaigns: Message[] = [];
    cluster.network.filter = (m) => {
      if (m.type === 'vote' || m.type === 'pre-vote') campaigns.push(m);
      return true;
    };
    const old = awaitReadyLeader(cluster);
    const oldTerm = old.raft.softState().term;
    writeAcked(cluster, 'a', '1');

    campaigns.length = 0;
    const removal = changeOn(cluster, old, { type: 'remove', nodeId: old.id });
    const inForce = !old.raft.raftLog.config().voters.includes(old.id);
    assert.ok(inForce, 'the change is in force as soon as it is in the log');
    while (old.raft.status().commit < removal.index) {
      const role = old.raft.softState().role;
      assert.equal(role, 'leader', `stepped down before the removal committed (${cluster.now})`);
      cluster.step();
    }
    assert.deepEqual([old.raft.softState().role, old.raft.softState().term], ['follower', oldTerm]);

    const remaining = cluster.ids.filter((id) => id !== old.id);
    awaitLeaderAmong(cluster, remaining);
    writeAcked(cluster, 'a', '2');
    for (let t = 0; t < 20 * ELECTION_TICKS; t++) {
      cluster.runTicks(1);
      assert.equal(old.raft.softState().role, 'follower', `the removed node campaigned (${t})`);
    }
    assert.equal(old.raft.softState().term, oldTerm);
    const asked = campaigns.filter((m) => m.from === old.id);
    assert.deepEqual(asked, [], 'the removed node asked for votes');
    assert.deepEqual(cluster.leader()!.raft.raftLog.config().voters, remaining);
    for (const id of remaining) assert.equal(cluster.nodes.get(id)!.read('a'), '2');
  });
});

describe('Raft scenario: membership changes the leader refuses', () => {
  it('refuses a second change while one is in flight, and takes it once the first commits', () => {
    const cluster = scenarioCluster({ seed: 91, voters: 3, spares: 2 });
    const leader = awaitReadyLeader(cluster);
    // Hold back the followers' acknowledgements so the first change stays uncommitted.
    cluster.network.filter = (m) => m.type !== 'append-resp';
    const first = changeOn(cluster, leader, { type: 'add-learner', nodeId: 'n4' });
    assertRefused(leader, { type: 'add-learner', nodeId: 'n5' }, 'in_flight');
    cluster.runTicks(5);
    assert.ok(leader.raft.status().commit < first.index);
    assertRefused(leader, { type: 'remove', nodeId: 'n3' }, 'in_flight');

    cluster.network.filter = null;
    const committed = (): boolean => leader.raft.status().commit >= first.index;
    waitFor(cluster, committed, 20, 'the first change committing');
    const second = changeOn(cluster, leader, { type: 'add-learner', nodeId: 'n5' });
    assert.equal(second.index, leader.raft.raftLog.lastIndex());
    assert.deepEqual(leader.raft.raftLog.config().learners, ['n4', 'n5']);
  });

  it('refuses a change on a brand-new leader until it has committed an entry of its term', () => {
    const cluster = scenarioCluster({ seed: 92, voters: 3, spares: 1 });
    const first = awaitReadyLeader(cluster);
    writeAcked(cluster, 'a', '1');
    cluster.crash(first.id);
    // Answers to the new leader's appends are held back: its no-op cannot commit.
    cluster.network.filter = (m) => m.type !== 'append-resp';
    const fresh = awaitLeader(cluster);
    assert.notEqual(fresh.id, first.id);
    const log = fresh.raft.raftLog;
    assert.notEqual(log.term(log.committed), fresh.raft.softState().term);
    assertRefused(fresh, { type: 'add-learner', nodeId: 'n4' }, 'leader_not_ready');
    cluster.runTicks(5);
    assertRefused(fresh, { type: 'add-learner', nodeId: 'n4' }, 'leader_not_ready');

    cluster.network.filter = null;
    const ready = (): boolean => log.term(log.committed) === fresh.raft.softState().term;
    waitFor(cluster, ready, 20, 'the no-op committing');
    changeOn(cluster, fresh, { type: 'add-learner', nodeId: 'n4' });
    assert.deepEqual(log.config().learners, ['n4']);
  });

  it('refuses to remove the last voter', () => {
    const cluster = scenarioCluster({ seed: 93, voters: 1, spares: 1 });
    const leader = awaitReadyLeader(cluster);
    const learner = changeOn(cluster, leader, { type: 'add-learner', nodeId: 'n2' });
    waitFor(cluster, () => leader.raft.status().commit >= learner.index, 10, 'the learner joining');

    assertRefused(leader, { type: 'remove', nodeId: 'n1' }, 'invalid');
    assert.deepEqual(leader.raft.raftLog.config(), { voters: ['n1'], learners: ['n2'] });
    assert.equal(leader.raft.softState().role, 'leader');
    writeAcked(cluster, 'still', 'leading');
  });
});
