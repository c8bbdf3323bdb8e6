import assert from 'node:assert/strict';

import {
  NodeStoppedError,
  NodeTimeoutError,
  NotLeaderError,
  ProposalLostError,
} from '../../../src/raft/node/errors.js';
import { InvariantError } from '../../../src/util/assert.js';
import { command, metaOf, TestCluster, waitFor } from './support.js';

describe('RaftNode', () => {
  let cluster: TestCluster;

  beforeEach(async () => {
    cluster = new TestCluster();
    await cluster.bootstrap(['a', 'b', 'c']);
  });
  afterEach(async () => {
    await cluster.stopAll();
  });

  describe('elections', () => {
    it('elects one leader that every node follows, with its addresses known', async () => {
      const leader = await cluster.leader();
      for (const member of cluster.running()) {
        const status = member.node.status();
        assert.equal(status.leader, leader.node.id);
        assert.deepEqual(status.leaderMeta, metaOf(leader.node.id));
        assert.deepEqual(
          status.voters.map((v) => v.id),
          ['a', 'b', 'c'],
        );
      }
      assert.deepEqual(Object.keys(leader.node.status().progress).sort(), ['a', 'b', 'c']);
    });

    it('reports, on the leader only, when each member was last heard from', async () => {
      const leader = await cluster.leader();
      const index = await leader.node.propose(command('x', '1'));
      const caughtUp = () => {
        const { progress } = leader.node.status();
        return Object.values(progress).every((pr) => pr.match >= index);
      };
      await waitFor('every member to match the proposal', caughtUp);
      const status = leader.node.status();
      assert.deepEqual(Object.keys(status.contact).sort(), ['a', 'b', 'c']);
      for (const [id, contact] of Object.entries(status.contact)) {
        assert.equal(typeof contact.lastHeardAt, 'number', id);
        assert.equal(contact.matchTerm, status.term, id);
      }
      const follower = cluster.running().find((m) => m.node.id !== leader.node.id)!;
      assert.deepEqual(follower.node.status().contact, {});
    });
  });

  describe('proposals', () => {
    it('applies a proposal on every node and resolves with the result at the leader', async () => {
      const leader = await cluster.leader();
      const index = await leader.node.propose(command('x', '1'));
      assert.equal(leader.machine.data.get('x'), '1');
      assert.ok(index > 1);
      await waitFor('every node to apply x', () =>
        cluster.running().every((m) => m.machine.data.get('x') === '1'),
      );
    });

    it('rejects a proposal on a follower with NotLeaderError naming the leader', async () => {
      const leader = await cluster.leader();
      const follower = cluster.followers(leader)[0]!;
      await assert.rejects(follower.node.propose(command('x', '1')), (err: unknown) => {
        assert.ok(err instanceof NotLeaderError);
        assert.equal(err.leader, leader.node.id);
        assert.deepEqual(err.leaderMeta, metaOf(leader.node.id));
        assert.equal(err.code, 'not_leader');
        return true;
      });
      assert.equal(follower.machine.data.has('x'), false);
    });

    it('rejects a proposal overwritten by a newer leader as lost', async () => {
      const old = await cluster.leader();
      cluster.network.isolate(old.node.id);
      const lost = old.node.propose(command('orphan', '1'));
      const outcome = lost.then(
        () => 'applied',
        (err: unknown) => err,
      );
      const others = cluster.followers(old);
      let next = others[0]!;
      await waitFor('the others to elect a new leader', () => {
        const leader = others.find((m) => m.node.status().role === 'leader');
        if (leader !== undefined) next = leader;
        return leader !== undefined;
      });
      for (let i = 0; i < 3; i++) await next.node.propose(command(`fresh${i}`, 'v'));
      cluster.network.heal();

      assert.ok((await outcome) instanceof ProposalLostError);
      await waitFor('the old leader to catch up', () => old.machine.data.get('fresh2') === 'v');
      assert.equal(old.machine.data.has('orphan'), false);
    });

    it('times out a proposal no quorum answers, and rejects pending ones on stop', async () => {
      const small = new TestCluster({ proposalTimeoutMs: 150 });
      try {
        await small.bootstrap(['x', 'y', 'z']);
        const leader = await small.leader();
        small.network.isolate(leader.node.id);
        await assert.rejects(leader.node.propose(command('k', 'v')), NodeTimeoutError);
        const pending = leader.node.propose(command('k', 'w'));
        await leader.node.stop();
        await assert.rejects(pending, (err: unknown) => {
          assert.ok(err instanceof NodeStoppedError);
          assert.equal(err.reason, 'stopped');
          return true;
        });
        await assert.rejects(leader.node.propose(command('k', 'z')), NodeStoppedError);
      } finally {
        await small.stopAll();
      }
    });

    it("sends a leader's appends while its own save is still syncing, applying only after it", async () => {
      const leader = await cluster.leader();
      let release = (): void => undefined;
      leader.storage.gate = new Promise<void>((resolve) => (release = resolve));
      let settled = false;
      const index = leader.node.status().lastIndex + 1;
      const proposal = leader.node.propose(command('early', '1')).finally(() => (settled = true));
      try {
        await waitFor('the followers to receive the entry', () =>
          cluster.followers(leader).every((m) => m.node.status().lastIndex >= index),
        );
        assert.equal(settled, false, 'resolved before the leader synced its own copy');
        assert.equal(leader.machine.data.has('early'), false);
      } finally {
        leader.storage.gate = null;
        release();
      }
      await proposal;
      assert.equal(leader.machine.data.get('early'), '1');
    });

    it('commits nothing while no follower has synced the entry', async () => {
      const leader = await cluster.leader();
      const followers = cluster.followers(leader);
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      for (const f of followers) f.storage.gate = gate;
      const index = leader.node.status().lastIndex + 1;
      const proposal = leader.node.propose(command('late', '1'));
      try {
        await waitFor('the followers to receive the entry', () =>
          followers.every((m) => m.node.status().lastIndex >= index),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(leader.node.status().commit < index, 'committed on unsynced followers');
      } finally {
        for (const f of followers) f.storage.gate = null;
        release();
      }
      await proposal;
      assert.equal(leader.machine.data.get('late'), '1');
    });

    it('shares saves between concurrent proposals (group commit)', async () => {
      const leader = await cluster.leader();
      leader.storage.latencyMs = 2;
      const before = leader.storage.saves;
      const pending: Promise<number>[] = [];
      for (let i = 0; i < 200; i++) {
        if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
        pending.push(leader.node.propose(command(`k${i}`, `${i}`)));
      }
      const indexes = await Promise.all(pending);
      const saves = leader.storage.saves - before;
      assert.equal(new Set(indexes).size, 200);
      assert.ok(saves < 40, `200 proposals took ${saves} saves`);
      assert.equal(leader.machine.data.size, 200);
    });
  });

  describe('reads', () => {
    it('makes a follower read wait until it applied a write that preceded it', async () => {
      const leader = await cluster.leader();
      const follower = cluster.followers(leader)[0]!;
      const id = follower.node.id;
      // Hold back the follower's appends: the write commits through the other two nodes.
      let answered = false;
      cluster.network.setDropFilter((e) => {
        if (e.to !== id || e.kind !== 'message') return false;
        if (e.message?.type === 'read-index-resp') answered = true;
        return e.message?.type === 'append';
      });
      await leader.node.propose(command('seen', 'yes'));
      assert.equal(follower.machine.data.has('seen'), false);

      let observed: string | undefined;
      const read = follower.node.readIndex().then(() => {
        observed = follower.machine.data.get('seen');
      });
      // The leader answered with its read index, but the follower has not applied up to it.
      await waitFor('the read index to reach the follower', () => answered);
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(observed, undefined);
      cluster.network.heal();
      await read;
      assert.equal(observed, 'yes');
    });

    it('serves a read on the leader', async () => {
      const leader = await cluster.leader();
      await leader.node.propose(command('k', 'v'));
      await leader.node.readIndex();
      assert.equal(leader.machine.data.get('k'), 'v');
    });
  });

  describe('fatal errors', () => {
    it('emits fatal and rejects pending proposals when an invariant breaks', async () => {
      const leader = await cluster.leader();
      let fatal: Error | null = null;
      leader.node.on('fatal', (err) => {
        fatal = err;
      });
      leader.storage.failWith = new InvariantError('test: broken invariant');
      await assert.rejects(leader.node.propose(command('x', '1')), (err: unknown) => {
        assert.ok(err instanceof NodeStoppedError);
        assert.equal(err.reason, 'failed');
        assert.ok(err.cause instanceof InvariantError);
        return true;
      });
      assert.ok(fatal !== null && (fatal as Error) instanceof InvariantError);
      assert.equal(leader.node.status().state, 'failed');
      await assert.rejects(leader.node.readIndex(), NodeStoppedError);
    });
  });
});
