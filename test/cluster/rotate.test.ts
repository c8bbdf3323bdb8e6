/**
 * `sys/rotate` on a real three-node cluster: a new keyring term made through one node becomes
 * the term every node encrypts with, and everything written before it still reads.
 */
import assert from 'node:assert/strict';

import { TestCluster, waitFor, type TestNode } from './support.js';

describe('Keyring rotation on a three-node cluster', function () {
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

  const term = async (node: TestNode): Promise<number> => {
    const status = await cluster.api(node, 'GET', '/v1/sys/key-status', { token });
    assert.equal(status.status, 200, JSON.stringify(status.body));
    return Number(status.body?.term);
  };

  it('moves every node to the new term, and the next leader writes under it', async () => {
    const leader = await cluster.agreedLeader(cluster.nodes);
    const [follower] = cluster.nodes.filter((node) => node !== leader) as [TestNode];
    const before = { data: { v: 'before' } };
    assert.equal(
      (await cluster.api(leader, 'PUT', '/v1/secret/data/r', { token, body: before })).status,
      200,
    );

    const rotated = await cluster.api(follower, 'PUT', '/v1/sys/rotate', { token });
    assert.equal(rotated.status, 204, JSON.stringify(rotated.body));
    for (const node of cluster.nodes) {
      await waitFor(`${node.id} to use term 2`, async () => (await term(node)) === 2, 15_000);
    }

    assert.equal((await cluster.api(leader, 'PUT', '/v1/sys/step-down', { token })).status, 204);
    const next = await waitFor(
      'a new leader',
      async () => {
        const agreed = await cluster.agreedLeader(cluster.nodes);
        return agreed === leader ? null : agreed;
      },
      30_000,
    );
    const after = { data: { v: 'after' } };
    assert.equal(
      (await cluster.api(next, 'PUT', '/v1/secret/data/r2', { token, body: after })).status,
      200,
    );
    assert.equal(await term(next), 2);
    for (const node of cluster.nodes) {
      const old = await cluster.api(node, 'GET', '/v1/secret/data/r', { token });
      assert.equal((old.body?.data as { data: { v: string } }).data.v, 'before');
      const fresh = await cluster.api(node, 'GET', '/v1/secret/data/r2', { token });
      assert.equal((fresh.body?.data as { data: { v: string } }).data.v, 'after');
    }
  });
});
