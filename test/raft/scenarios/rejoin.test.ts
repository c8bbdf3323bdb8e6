/**
 * A node removed, wiped and added back under the same id: a lagging node may still count its
 * previous life as a voter. Until the rejoined node's log reaches the entry that re-added it
 * (RaftOptions.voteFloor), its vote could elect that lagging node without committed entries.
 */
import assert from 'node:assert/strict';
import type { Message, NodeId, VoteResponse } from '../../../src/raft/core/types.js';
import { SafetyViolation } from '../sim/cluster.js';
import type { SimCluster } from '../sim/cluster.js';
import { ELECTION_TICKS, awaitReadyLeader, scenarioCluster, waitFor, writeAcked } from './support.js';

interface Stage {
  cluster: SimCluster;
  leader: NodeId;
  lagging: NodeId;
  rejoined: NodeId;
  spare: NodeId;
  votes: VoteResponse[];
}

/**
 * Builds the trap: voters {leader, lagging, rejoined}; `lagging` is cut off before `spare` is
 * added and promoted and `rejoined` is removed; then `rejoined` is wiped and re-added as a
 * learner that only ever receives the founding entry (which lists it as a voter). Finally the
 * leader and the spare die, and `lagging` (whose log still says {leader, lagging, rejoined})
 * is back in touch with `rejoined` alone.
 */
function stage(seed: number, withVoteFloor: boolean): Stage {
  const raft = { preVote: false, checkQuorum: false, maxMsgEntries: 1 };
  const cluster = scenarioCluster({ seed, voters: 3, spares: 1, raft });
  const leader = awaitReadyLeader(cluster).id;
  const [lagging, rejoined] = ['n1', 'n2', 'n3'].filter((id) => id !== leader) as [NodeId, NodeId];
  const spare = 'n4';
  const committed = (index: number) => () => cluster.nodes.get(leader)!.raft.raftLog.committed >= index;

  cluster.isolate(lagging);
  const learnerAt = cluster.proposeConfChange(leader, { type: 'add-learner', nodeId: spare });
  assert.notEqual(learnerAt, null);
  waitFor(cluster, committed(learnerAt!), 5 * ELECTION_TICKS, 'the spare joining as a learner');
  const spareCaughtUp = () => (cluster.nodes.get(leader)!.raft.status().progress[spare]?.match ?? 0) >= learnerAt!;
  waitFor(cluster, spareCaughtUp, 5 * ELECTION_TICKS, 'the spare catching up');
  const promotedAt = cluster.proposeConfChange(leader, { type: 'add-voter', nodeId: spare });
  assert.notEqual(promotedAt, null);
  waitFor(cluster, committed(promotedAt!), 5 * ELECTION_TICKS, 'the spare promoted');
  const removedAt = cluster.proposeConfChange(leader, { type: 'remove', nodeId: rejoined });
  assert.notEqual(removedAt, null);
  waitFor(cluster, committed(removedAt!), 5 * ELECTION_TICKS, 'the removal committed');
  for (let i = 0; i < 5; i++) writeAcked(cluster, `k${i}`, `v${i}`);

  // The rejoined node only ever gets the founding entry, which lists it as a voter (empty
  // probes still pass, so the leader finds where to start).
  cluster.network.filter = (m: Message) => {
    if (m.to !== rejoined) return true;
    if (m.type === 'snapshot') return false;
    return m.type !== 'append' || m.prevIndex === 0 || m.entries.length === 0;
  };
  const readdedAt = cluster.proposeConfChange(leader, { type: 'add-learner', nodeId: rejoined });
  assert.notEqual(readdedAt, null);
  cluster.wipe(rejoined, withVoteFloor ? readdedAt! : 0);
  waitFor(cluster, committed(readdedAt!), 5 * ELECTION_TICKS, 'the re-add committed');
  const knowsFounding = () => cluster.nodes.get(rejoined)!.raft.raftLog.lastIndex() >= 1;
  waitFor(cluster, knowsFounding, 5 * ELECTION_TICKS, 'the rejoined node receiving the founding entry');

  cluster.crash(leader);
  cluster.crash(spare);
  cluster.heal();
  const votes: VoteResponse[] = [];
  const keep = cluster.network.filter;
  cluster.network.filter = (m) => {
    if (m.type === 'vote-resp' && m.from === rejoined) votes.push(m);
    return keep(m);
  };
  return { cluster, leader, lagging, rejoined, spare, votes };
}

describe('Raft scenario: a node rejoining under its old id', () => {
  it('does not vote until its log reaches the entry that re-added it', () => {
    const s = stage(131, true);
    for (let t = 0; t < 20 * ELECTION_TICKS; t++) {
      s.cluster.runTicks(1);
      assert.equal(s.cluster.leader(), null, `${s.cluster.leader()?.id} was elected at tick ${t}`);
    }
    assert.ok(s.votes.length >= 5, `only ${s.votes.length} vote answers from the rejoined node`);
    assert.deepEqual(s.votes.filter((v) => !v.reject), [], 'the rejoined node granted a vote');
    assert.deepEqual(s.cluster.nodes.get(s.rejoined)!.raft.raftLog.config().voters.includes(s.rejoined), true);

    // The leader and the spare come back: the cluster goes on with every write.
    s.cluster.network.filter = null;
    s.cluster.restart(s.leader);
    s.cluster.restart(s.spare);
    awaitReadyLeader(s.cluster, 20 * ELECTION_TICKS);
    const all = () => [...s.cluster.nodes.values()].every((n) => n.read('k4') === 'v4');
    waitFor(s.cluster, all, 10 * ELECTION_TICKS, 'every node holding the writes');
  });

  it('would elect the lagging node without committed writes if the floor were missing', () => {
    const s = stage(131, false);
    assert.throws(() => s.cluster.runTicks(20 * ELECTION_TICKS), (err: unknown) => {
      assert.ok(err instanceof SafetyViolation);
      assert.match(err.message, /leader completeness/);
      return true;
    });
  });
});
