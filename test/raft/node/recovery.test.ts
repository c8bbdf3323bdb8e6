import assert from 'node:assert/strict';

import { command, TestCluster, waitFor } from './support.js';
import type { Member } from './support.js';

function keys(member: Member): string[] {
  return [...member.machine.data.keys()].sort();
}

/**
 * Once every node applied writes k0..k<count-1>, restarts `leader` from its storage (snapshot and
 * log after it) and checks it has every one of them; returns the restarted member.
 */
async function restartWithEveryWrite(
  cluster: TestCluster,
  leader: Member,
  count: number,
): Promise<Member> {
  await waitFor('the followers to apply everything', () =>
    cluster.running().every((m) => m.machine.data.size === count),
  );
  await cluster.stopNode(leader.node.id);
  const restarted = await cluster.restartNode(leader.node.id);
  await waitFor('the old leader to replay its log', () => restarted.machine.data.size === count);
  for (let i = 0; i < count; i++) assert.equal(restarted.machine.data.get(`k${i}`), `${i}`);
  return restarted;
}

describe('RaftNode recovery', () => {
  let cluster: TestCluster;

  afterEach(async () => {
    await cluster.stopAll();
  });

  it('catches up a follower restarted from its storage', async () => {
    cluster = new TestCluster();
    await cluster.bootstrap(['a', 'b', 'c']);
    const leader = await cluster.leader();
    const follower = cluster.followers(leader)[0]!;
    await leader.node.propose(command('before', '1'));
    await waitFor('the follower to apply', () => follower.machine.data.has('before'));

    await cluster.stopNode(follower.node.id);
    for (let i = 0; i < 20; i++) await leader.node.propose(command(`while-down-${i}`, `${i}`));
    const restarted = await cluster.restartNode(follower.node.id);

    await waitFor('the restarted follower to catch up', () => restarted.machine.data.size === 21);
    assert.deepEqual(keys(restarted), keys(leader));
    assert.equal(restarted.machine.restores, 0);
  });

  it('loses no acknowledged write when the leader restarts', async () => {
    cluster = new TestCluster();
    await cluster.bootstrap(['a', 'b', 'c']);
    const first = await cluster.leader();
    const acknowledged: string[] = [];
    for (let i = 0; i < 10; i++) {
      await first.node.propose(command(`k${i}`, 'v'));
      acknowledged.push(`k${i}`);
    }
    await cluster.stopNode(first.node.id);

    const second = await cluster.leader();
    assert.notEqual(second.node.id, first.node.id);
    for (let i = 10; i < 20; i++) {
      await second.node.propose(command(`k${i}`, 'v'));
      acknowledged.push(`k${i}`);
    }
    const back = await cluster.restartNode(first.node.id);
    await waitFor('every node to hold every acknowledged write', () =>
      cluster.running().every((m) => acknowledged.every((k) => m.machine.data.has(k))),
    );
    assert.equal(back.machine.data.size, 20);
  });

  it('sends a snapshot to a follower that lags behind the compacted log', async () => {
    cluster = new TestCluster({ snapshotThreshold: 10, keepEntries: 0 });
    await cluster.bootstrap(['a', 'b', 'c']);
    const leader = await cluster.leader();
    const lagging = cluster.followers(leader)[0]!;
    const id = lagging.node.id;
    await cluster.stopNode(id);

    let taken = 0;
    leader.node.on('snapshot-taken', (index) => {
      taken = index;
    });
    for (let i = 0; i < 30; i++) await leader.node.propose(command(`k${i}`, `${i}`));
    await waitFor('the leader to compact its log', () => taken > 0);
    assert.ok(leader.node.status().snapshotIndex >= taken);

    const restarted = await cluster.restartNode(id);
    let restoredAt = 0;
    restarted.node.on('snapshot-restored', (index) => {
      restoredAt = index;
    });
    await waitFor('the lagging node to catch up', () => restarted.machine.data.size === 30);
    assert.ok(restoredAt > 0, 'caught up without a snapshot');
    assert.equal(restarted.machine.restores, 1);
    assert.deepEqual(keys(restarted), keys(leader));
    // The snapshot carried the members' addresses too.
    assert.deepEqual(
      restarted.node.status().voters.map((v) => v.meta?.clusterAddr),
      ['memory:a', 'memory:b', 'memory:c'],
    );
  });

  it('goes on committing while its state machine is read out for a snapshot', async () => {
    cluster = new TestCluster({ snapshotThreshold: 10, keepEntries: 0, proposalTimeoutMs: 1_000 });
    await cluster.bootstrap(['a', 'b', 'c']);
    const leader = await cluster.leader();
    let release = (): void => undefined;
    leader.machine.snapshotGate = new Promise<void>((resolve) => (release = resolve));
    const taken: number[] = [];
    leader.node.on('snapshot-taken', (index: number) => taken.push(index));

    try {
      for (let i = 0; i < 12; i++) await leader.node.propose(command(`k${i}`, `${i}`));
      // The capture started at the threshold and is held: the loop must not be.
      for (let i = 12; i < 30; i++) await leader.node.propose(command(`k${i}`, `${i}`));
      assert.deepEqual(taken, []);
      assert.equal(leader.node.status().snapshotIndex, 0);
    } finally {
      release();
    }
    await waitFor('the held snapshot to compact the log', () => taken.length > 0);
    const index = taken[0]!;
    assert.ok(index >= 10 && index < leader.node.status().applied, `snapshot at ${index}`);

    const restarted = await restartWithEveryWrite(cluster, leader, 30);
    assert.equal(restarted.machine.restores, 1);
  });

  it('goes on committing while its log is compacted on disk', async () => {
    cluster = new TestCluster({ snapshotThreshold: 10, keepEntries: 0, proposalTimeoutMs: 1_000 });
    await cluster.bootstrap(['a', 'b', 'c']);
    const leader = await cluster.leader();
    let release = (): void => undefined;
    leader.storage.compactGate = new Promise<void>((resolve) => (release = resolve));
    const taken: number[] = [];
    leader.node.on('snapshot-taken', (index: number) => taken.push(index));

    try {
      for (let i = 0; i < 12; i++) await leader.node.propose(command(`k${i}`, `${i}`));
      await waitFor('the compaction to start', () => leader.storage.compactions === 1);
      // The stored log is being compacted and held there: the loop must not be.
      for (let i = 12; i < 40; i++) await leader.node.propose(command(`k${i}`, `${i}`));
      assert.deepEqual(taken, []);
      assert.equal(leader.node.status().snapshotIndex, 0);
      assert.equal(leader.storage.compactions, 1, 'a second snapshot started under the first');
    } finally {
      release();
    }
    await waitFor('the held compaction to finish', () => taken.length > 0);
    assert.ok(leader.node.status().snapshotIndex >= 10);

    await restartWithEveryWrite(cluster, leader, 40);
  });

  it('takes no snapshot past the threshold before snapshotIntervalMs has passed', async () => {
    cluster = new TestCluster({ snapshotThreshold: 10, keepEntries: 0, snapshotIntervalMs: 60_000 });
    await cluster.bootstrap(['a', 'b', 'c']);
    const leader = await cluster.leader();
    for (let i = 0; i < 30; i++) await leader.node.propose(command(`k${i}`, `${i}`));
    await waitFor('every node to apply everything', () =>
      cluster.running().every((m) => m.machine.data.size === 30),
    );
    // Twenty more ticks of 10 ms, each a chance for the loop to snapshot.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const member of cluster.running()) {
      assert.equal(member.node.status().snapshotIndex, 0, `${member.node.id} took a snapshot`);
    }
  });

  it('snapshots past the threshold once snapshotIntervalMs has passed', async () => {
    const started = Date.now();
    cluster = new TestCluster({ snapshotThreshold: 10, keepEntries: 0, snapshotIntervalMs: 200 });
    await cluster.bootstrap(['a', 'b', 'c']);
    const leader = await cluster.leader();
    let takenAt = 0;
    leader.node.on('snapshot-taken', () => {
      takenAt ||= Date.now();
    });
    for (let i = 0; i < 30; i++) await leader.node.propose(command(`k${i}`, `${i}`));
    await waitFor('the leader to snapshot', () => takenAt > 0);
    assert.ok(takenAt - started >= 200, `snapshot after ${takenAt - started} ms`);
    assert.ok(leader.node.status().snapshotIndex >= 10);
  });

  it('restarts from its own snapshot and log after compaction', async () => {
    cluster = new TestCluster({ snapshotThreshold: 10, keepEntries: 0 });
    await cluster.bootstrap(['a', 'b', 'c']);
    const leader = await cluster.leader();
    const follower = cluster.followers(leader)[0]!;
    for (let i = 0; i < 25; i++) await leader.node.propose(command(`k${i}`, `${i}`));
    await waitFor('the follower to apply and compact', () => {
      const status = follower.node.status();
      return follower.machine.data.size === 25 && status.snapshotIndex > 0;
    });

    await cluster.stopNode(follower.node.id);
    const restarted = await cluster.restartNode(follower.node.id);
    assert.equal(restarted.machine.restores, 1);
    await waitFor('the follower to replay its log', () => restarted.machine.data.size === 25);
    assert.deepEqual(keys(restarted), keys(leader));
  });
});
