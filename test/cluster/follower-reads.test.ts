import assert from 'node:assert/strict';

import { TestCluster, waitFor, type InitResult, type TestNode } from './support.js';

/** Write-then-read rounds: "thousands of times in a row", bounded by count and by time. */
const ROUNDS = 2_000;
const TIME_LIMIT_MS = 120_000;

describe('Follower reads', function () {
  this.timeout(TIME_LIMIT_MS + 90_000);
  let cluster: TestCluster;
  let init: InitResult;

  before(async () => {
    ({ cluster, init } = await TestCluster.started(3));
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.logTails());
  });

  after(async () => {
    await cluster?.destroy();
  });

  it('sees a write made through one follower when read right after through the other', async () => {
    const token = init.root_token;
    const leader = await waitFor('a leader', async () => {
      for (const node of cluster.nodes) {
        const answer = await cluster.api(node, 'GET', '/v1/sys/leader');
        if (answer.body?.is_self === true) return node;
      }
      return null;
    });
    const [writer, reader] = cluster.nodes.filter((node) => node !== leader) as [
      TestNode,
      TestNode,
    ];

    const deadline = Date.now() + TIME_LIMIT_MS;
    let rounds = 0;
    while (rounds < ROUNDS && Date.now() < deadline) {
      const value = `v${rounds}`;
      const write = await cluster.api(writer, 'POST', '/v1/secret/data/fr', {
        token,
        body: { data: { value } },
      });
      assert.equal(write.status, 200, JSON.stringify(write.body));
      const read = await cluster.api(reader, 'GET', '/v1/secret/data/fr', { token });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      const seen = (read.body?.data as { data: { value: string } }).data.value;
      assert.equal(seen, value, `round ${rounds}: the follower read a stale value`);
      rounds += 1;
    }
    // The time bound is a safety net; the test means nothing with only a handful of rounds.
    assert.ok(rounds >= 500, `only ${rounds} rounds ran before the time limit`);
  });
});
