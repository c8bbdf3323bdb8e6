/**
 * `sys/storage/raft/autopilot/state` on a real three-node cluster: the leader's view, also
 * through a follower, and a killed follower turning unhealthy once its last contact passes the
 * 10 s threshold.
 */
import assert from 'node:assert/strict';

import { TestCluster, waitFor, type TestNode } from './support.js';

interface ServerState {
  healthy: boolean;
  status: string;
  node_status: string;
  last_contact: string;
  last_index: number;
}

interface State {
  healthy: boolean;
  failure_tolerance: number;
  leader: string;
  voters: string[];
  servers: Record<string, ServerState>;
}

describe('Autopilot state on a three-node cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let token: string;

  before(async () => {
    const started = await TestCluster.started(3);
    cluster = started.cluster;
    token = started.init.root_token;
  });

  after(async function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.logTails());
    await cluster?.destroy();
  });

  const state = async (via: TestNode): Promise<State> => {
    const res = await cluster.api(via, 'GET', '/v1/sys/storage/raft/autopilot/state', { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body?.data as State;
  };

  it("reports the leader's view through any node, and a killed follower as unhealthy", async () => {
    const leader = await cluster.agreedLeader(cluster.nodes);
    const [asked, victim] = cluster.nodes.filter((node) => node !== leader) as [TestNode, TestNode];
    const ids = cluster.nodes.map((node) => node.id).sort();

    const allHealthy = await waitFor(
      'all three servers healthy',
      async () => {
        const seen = await state(leader);
        return seen.healthy && seen.failure_tolerance === 1 ? seen : null;
      },
      15_000,
    );
    assert.equal(allHealthy.leader, leader.id);
    assert.deepEqual(allHealthy.voters, ids);
    assert.deepEqual(Object.keys(allHealthy.servers).sort(), ids);
    assert.equal(allHealthy.servers[leader.id]?.status, 'leader');
    assert.equal(allHealthy.servers[leader.id]?.last_contact, '0s');
    assert.equal(allHealthy.servers[victim.id]?.status, 'voter');

    // A follower forwards: its answer is the leader's observation, with the leader at 0s.
    const throughFollower = await state(asked);
    assert.equal(throughFollower.leader, leader.id);
    assert.equal(throughFollower.failure_tolerance, 1);
    assert.equal(throughFollower.servers[leader.id]?.last_contact, '0s');
    assert.equal(throughFollower.servers[asked.id]?.status, 'voter');

    await cluster.kill(victim, 'SIGKILL');
    const degraded = await waitFor(
      `${victim.id} to be reported unhealthy`,
      async () => {
        const seen = await state(asked);
        return seen.servers[victim.id]?.healthy === false ? seen : null;
      },
      30_000,
    );
    assert.equal(degraded.healthy, false);
    assert.equal(degraded.failure_tolerance, 0);
    assert.equal(degraded.servers[leader.id]?.healthy, true);
    assert.equal(degraded.servers[asked.id]?.healthy, true);
    assert.equal(degraded.servers[victim.id]?.node_status, 'alive');
    assert.match(degraded.servers[victim.id]?.last_contact ?? '', /^\d+(\.\d+)?s$/);
  });
});
