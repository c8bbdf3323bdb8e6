/**
 * Leadership transfer (dissertation §3.10): the leader stops taking proposals, brings the target
 * up to date, and tells it to campaign at once; a learner cannot be a target, and a transfer to
 * a node that never answers is abandoned after an election timeout.
 */
import assert from 'node:assert/strict';
import { ProposalDroppedError, TransferError } from '../../../src/raft/core/errors.js';
import type { NodeId } from '../../../src/raft/core/types.js';
import type { SimCluster } from '../sim/cluster.js';
import type { SimNode } from '../sim/node.js';
import {
  ELECTION_TICKS,
  awaitReadyLeader,
  scenarioCluster,
  waitFor,
  writeAcked,
  writeCommand,
} from './support.js';

function assertProposalRefused(node: SimNode, why: string): void {
  assert.throws(
    () => node.raft.propose([new TextEncoder().encode('x')]),
    (err: unknown) => err instanceof ProposalDroppedError && err.reason === 'transferring',
    why,
  );
}

/** Steps until `target` leads, checking after every step that no node accepts a proposal. */
function stepUntilLeads(cluster: SimCluster, target: NodeId, maxTicks: number): void {
  for (let step = 0; step < maxTicks * 4; step++) {
    if (cluster.leader()?.id === target) return;
    for (const id of cluster.ids) {
      if (id === target) continue;
      const accepted = cluster.propose(id, writeCommand('during', id));
      assert.equal(accepted, null, `${id} accepted a proposal at step ${cluster.now}`);
    }
    cluster.step();
  }
  assert.fail(`${target} did not take over within ${maxTicks} ticks`);
}

describe('Raft scenario: leadership transfer', () => {
  it('hands leadership to a caught-up voter at once, accepting no proposals meanwhile', () => {
    const cluster = scenarioCluster({ seed: 81 });
    const old = awaitReadyLeader(cluster);
    const term = old.raft.softState().term;
    writeAcked(cluster, 'a', '1');
    cluster.runTicks(2);
    const target = cluster.ids.find((id) => id !== old.id)!;
    assert.equal(old.raft.status().progress[target]!.match, old.raft.raftLog.lastIndex());

    assert.equal(cluster.transferLeadership(old.id, target), true);
    assertProposalRefused(old, 'the leader took a proposal during the transfer');
    stepUntilLeads(cluster, target, 2);
    assert.equal(cluster.nodes.get(target)!.raft.softState().term, term + 1);
    cluster.runTicks(1);
    assert.deepEqual(old.raft.softState(), { role: 'follower', leader: target, term: term + 1 });
    writeAcked(cluster, 'a', '2');
    waitFor(cluster, () => old.read('a') === '2', 10, 'the old leader applying the new write');
  });

  it('catches a lagging voter up before telling it to campaign', () => {
    const cluster = scenarioCluster({ seed: 82 });
    const old = awaitReadyLeader(cluster);
    const term = old.raft.softState().term;
    const target = cluster.ids.find((id) => id !== old.id)!;
    const t = cluster.nodes.get(target)!;
    cluster.network.cutOneWay(old.id, target);
    for (let i = 0; i < 10; i++) writeAcked(cluster, `k${i}`, `v${i}`);
    assert.ok(t.raft.raftLog.lastIndex() < old.raft.raftLog.lastIndex(), 'the target is behind');

    // Where both logs end at the moment the leader tells the target to campaign.
    const atTimeoutNow: { target: number; leader: number }[] = [];
    cluster.network.filter = (m) => {
      if (m.type === 'timeout-now') {
        const ends = { target: t.raft.raftLog.lastIndex(), leader: old.raft.raftLog.lastIndex() };
        atTimeoutNow.push(ends);
      }
      return true;
    };
    cluster.heal();
    assert.equal(cluster.transferLeadership(old.id, target), true);
    stepUntilLeads(cluster, target, ELECTION_TICKS);

    assert.equal(atTimeoutNow.length, 1);
    const { target: targetLast, leader: leaderLast } = atTimeoutNow[0]!;
    assert.equal(targetLast, leaderLast, 'timeout-now went to a target still behind');
    assert.equal(t.raft.softState().term, term + 1);
    assert.equal(t.read('k9'), 'v9');
  });

  it('refuses to transfer to a learner', () => {
    const cluster = scenarioCluster({ seed: 83, spares: 1 });
    const leader = awaitReadyLeader(cluster);
    const term = leader.raft.softState().term;
    assert.notEqual(cluster.proposeConfChange(leader.id, { type: 'add-learner', nodeId: 'n4' }), null);
    const n4 = cluster.nodes.get('n4')!;
    waitFor(cluster, () => n4.raft.raftLog.config().learners.includes('n4'), 20, 'n4 joining');

    assert.throws(() => leader.raft.transferLeadership('n4'), TransferError);
    assert.equal(cluster.transferLeadership(leader.id, 'n4'), false);
    assert.equal(leader.raft.status().leadTransferee, null);
    cluster.runTicks(3 * ELECTION_TICKS);
    assert.equal(cluster.leader()?.id, leader.id);
    assert.equal(leader.raft.softState().term, term);
    writeAcked(cluster, 'still', 'leading');
  });

  it('gives up after an election timeout when the target is down, leaving the old leader leading and accepting proposals', () => {
    const cluster = scenarioCluster({ seed: 84 });
    const leader = awaitReadyLeader(cluster);
    const term = leader.raft.softState().term;
    const target = cluster.ids.find((id) => id !== leader.id)!;
    cluster.crash(target);

    assert.equal(cluster.transferLeadership(leader.id, target), true);
    let refusedTicks = 0;
    while (leader.raft.status().leadTransferee !== null) {
      assertProposalRefused(leader, 'the leader took a proposal during the transfer');
      cluster.runTicks(1);
      refusedTicks++;
      assert.ok(refusedTicks <= ELECTION_TICKS, 'the transfer did not time out');
    }
    assert.ok(refusedTicks >= ELECTION_TICKS - 1, `the transfer gave up after ${refusedTicks}`);
    assert.deepEqual(leader.raft.softState(), { role: 'leader', leader: leader.id, term });
    writeAcked(cluster, 'after', 'timeout');
    assert.equal(cluster.leader()?.id, leader.id);
  });
});
