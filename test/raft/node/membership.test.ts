import assert from 'node:assert/strict';

import { NotLeaderError } from '../../../src/raft/node/errors.js';
import { MemoryRaftDisk } from '../../../src/storage/memory-raft-storage.js';
import { seededRandom } from '../../../src/util/random.js';
import { command, metaOf, TestCluster, waitFor } from './support.js';

describe('RaftNode membership', () => {
  let cluster: TestCluster;

  beforeEach(async () => {
    cluster = new TestCluster();
    await cluster.bootstrap(['a', 'b', 'c']);
  });
  afterEach(async () => {
    await cluster.stopAll();
  });

  it('adds a learner and promotes it once it has caught up', async () => {
    const leader = await cluster.leader();
    for (let i = 0; i < 10; i++) await leader.node.propose(command(`k${i}`, `${i}`));
    const joiner = await cluster.join('d');

    await leader.node.addLearner('d', metaOf('d'), { promoteWhenCaughtUp: true });
    await waitFor('d to become a voter', () =>
      leader.node.status().voters.some((v) => v.id === 'd'),
    );
    await waitFor('d to apply the log', () => joiner.machine.data.size === 10);
    const status = leader.node.status();
    assert.deepEqual(status.learners, []);
    assert.deepEqual(
      status.voters.find((v) => v.id === 'd'),
      { id: 'd', meta: metaOf('d') },
    );

    // Restarted with no addresses given, d learns the founders' from the log.
    await cluster.stopNode('d');
    const back = await cluster.restartNode('d', {});
    await leader.node.propose(command('after', 'restart'));
    await waitFor('d to apply after restarting', () => back.machine.data.has('after'));
    assert.deepEqual(back.node.memberMeta('a'), metaOf('a'));
  });

  it('keeps a learner without the promotion wish a learner until promoted', async () => {
    const leader = await cluster.leader();
    const joiner = await cluster.join('d');
    await leader.node.addLearner('d', metaOf('d'));
    await leader.node.propose(command('x', '1'));
    await waitFor('d to apply', () => joiner.machine.data.get('x') === '1');
    assert.deepEqual(
      leader.node.status().learners.map((l) => l.id),
      ['d'],
    );
    await leader.node.promote('d');
    assert.ok(leader.node.status().voters.some((v) => v.id === 'd'));
  });

  it('removes a follower, which reports its removal and stops', async () => {
    const leader = await cluster.leader();
    const victim = cluster.followers(leader)[0]!;
    let removedBy: string | null = null;
    victim.node.on('removed', (info) => {
      removedBy = info.by;
    });

    await leader.node.removeNode(victim.node.id);
    await waitFor('the removed node to stop', () => victim.node.status().state === 'removed');
    assert.equal(removedBy, leader.node.id);
    assert.ok(!leader.node.status().voters.some((v) => v.id === victim.node.id));
    // The remaining two still commit.
    await leader.node.propose(command('after', 'removal'));
  });

  it('takes back a removed and wiped node under its old id without stopping at its old removal', async () => {
    const leader = await cluster.leader();
    const id = cluster.followers(leader)[0]!.node.id;
    await leader.node.removeNode(id);
    await waitFor('the removed node to stop', () => cluster.get(id).node.status().state === 'removed');
    for (let i = 0; i < 5; i++) await leader.node.propose(command(`k${i}`, `${i}`));

    // The operator wipes it and it joins again: the leader adds it back, and the join answer
    // carries the vote floor (the commit index once the change applied).
    await leader.node.addLearner(id, metaOf(id), { promoteWhenCaughtUp: true });
    const voteFloor = leader.node.status().commit;
    const peers = new Map(
      [...cluster.members.keys()].filter((p) => p !== id).map((p) => [p, metaOf(p)]),
    );
    const raft = { electionTicks: 10, heartbeatTicks: 1, random: seededRandom(77), voteFloor };
    const back = await cluster.startNode(id, new MemoryRaftDisk(), { peers, meta: metaOf(id), raft });

    // It replays the whole log, its own old removal included, and stays a member.
    await waitFor('the node to apply every write', () => back.machine.data.get('k4') === '4');
    await waitFor('the node to be a voter again', () =>
      leader.node.status().voters.some((v) => v.id === id),
    );
    assert.equal(back.node.status().state, 'running');
    await leader.node.propose(command('after', 'rejoin'));
    await waitFor('the node to apply after rejoining', () => back.machine.data.has('after'));
  });

  it('removes the leader, which stops while the others elect a new one', async () => {
    const leader = await cluster.leader();
    const removed = new Promise<void>((resolve) => leader.node.once('removed', () => resolve()));
    await leader.node.removeNode(leader.node.id);
    await removed;
    assert.equal(leader.node.status().state, 'removed');
    const next = await cluster.leader();
    assert.notEqual(next.node.id, leader.node.id);
    await next.node.propose(command('new', 'leader'));
  });

  it('transfers leadership to a chosen voter', async () => {
    const leader = await cluster.leader();
    const target = cluster.followers(leader)[0]!;
    await leader.node.transferLeadership(target.node.id);
    const next = await cluster.leader();
    assert.equal(next.node.id, target.node.id);
    await next.node.propose(command('k', 'v'));
    await assert.rejects(leader.node.propose(command('k', 'w')), NotLeaderError);
  });

  it('steps down in favour of another voter', async () => {
    const leader = await cluster.leader();
    await leader.node.stepDown();
    const next = await cluster.leader();
    assert.notEqual(next.node.id, leader.node.id);
  });
});
