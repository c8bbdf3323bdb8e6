import assert from 'node:assert/strict';

import { NotLeaderError } from '../../../src/raft/node/errors.js';
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
