/**
 * Clock skew: a follower whose wall clock runs an hour behind (libfaketime) must not keep a
 * token alive past its TTL. The cluster clock (src/vault/cluster-clock.ts) never reads earlier
 * than the newest beacon the leader replicated, so the skewed follower counts a token's TTL on
 * the cluster's time: it reports the token's remaining TTL as the leader does, and refuses the
 * token (403) once the TTL has passed, not an hour later.
 *
 * The TTL the follower reports is what shows that its own clock is not used: the leader's
 * expiration manager also revokes the token at its TTL, which alone would make the follower
 * refuse it eventually.
 *
 * Then the late node becomes the leader, and so runs the expiration manager: a lease created
 * under the previous leader is still revoked at its TTL (its record gone from the replicated
 * store), not an hour later.
 */
import assert from 'node:assert/strict';

import { CLOCK_BEACON_MS } from '../../src/vault/cluster-clock.js';
import {
  faketimeLibrary,
  TestCluster,
  waitFor,
  type InitResult,
  type TestNode,
} from './support.js';

const TOKEN_TTL_SECONDS = 10;
/** Long enough for the leadership to move to the late node before the lease is due. */
const LEASE_TTL_SECONDS = 30;
/** Two beacon rounds (2 s each) and room for a slow, shared machine. */
const SLACK_MS = 8_000;
/**
 * How far behind the cluster a late node's clock may be: the beacon it last read was written up
 * to one beacon interval before it read it, and it reads once an interval (cluster-clock.ts).
 * An hour-late clock would show up as an hour; this only absorbs the beacon's own staleness.
 */
const BEACON_LAG_SECONDS = Math.ceil((2 * CLOCK_BEACON_MS) / 1000);

describe('Clock skew', function () {
  this.timeout(150_000);
  let cluster: TestCluster | undefined;
  let init: InitResult;
  let skewed: TestNode;
  let leader: TestNode;

  before(async function () {
    if (faketimeLibrary() === null) this.skip();
    ({ cluster, init } = await TestCluster.started(3, { clockOffsets: { node3: '-1h' } }));
    leader = await cluster.agreedLeader(cluster.nodes);
    skewed = cluster.node('node3');
    assert.notEqual(leader, skewed, 'the skewed node must be a follower');
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster?.logTails());
  });

  after(async () => {
    await cluster?.destroy();
  });

  /** `lookup-self` of `token` through `node`: its status and the TTL it reports. */
  async function lookupThrough(node: TestNode, token: string) {
    const answer = await cluster!.api(node, 'GET', '/v1/auth/token/lookup-self', { token });
    const ttl = (answer.body?.data as { ttl?: number } | undefined)?.ttl;
    return { status: answer.status, ttl };
  }

  async function createToken(ttl: string): Promise<string> {
    const created = await cluster!.api(leader, 'POST', '/v1/auth/token/create', {
      token: init.root_token,
      body: { ttl, policies: ['default'] },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return (created.body?.auth as { client_token: string }).client_token;
  }

  it('refuses a token on the skewed follower once its TTL has passed', async () => {
    // The skewed node runs an hour late: its own clock would report an hour too much.
    const probe = await createToken('1h');
    await waitFor('the skewed follower to keep the cluster time', async () => {
      const seen = await lookupThrough(skewed, probe);
      return seen.status === 200 && seen.ttl !== undefined && seen.ttl <= 3600;
    }, 15_000);

    const createdAt = Date.now();
    const token = await createToken(`${TOKEN_TTL_SECONDS}s`);
    const alive = await waitFor('the token to reach the skewed follower', async () => {
      const seen = await lookupThrough(skewed, token);
      return seen.status === 200 ? seen : null;
    }, 10_000);
    assert.ok(
      alive.ttl !== undefined && alive.ttl <= TOKEN_TTL_SECONDS + BEACON_LAG_SECONDS,
      `the skewed follower reports ${alive.ttl}s left of a ${TOKEN_TTL_SECONDS}s token`,
    );

    const deadline = TOKEN_TTL_SECONDS * 1000 + SLACK_MS;
    await waitFor('the skewed follower to refuse the expired token', async () => {
      const seen = await lookupThrough(skewed, token);
      return seen.status === 403;
    }, deadline);
    const refusedAfter = Date.now() - createdAt;
    assert.ok(refusedAfter <= deadline, `refused only after ${refusedAfter} ms`);
    assert.equal((await lookupThrough(leader, token)).status, 403);
    // And it stays refused: nothing brings an expired token back on the late clock.
    assert.equal((await lookupThrough(skewed, token)).status, 403);
  });

  /** The token leases below `auth/token/create/`, listed through `node`. */
  async function tokenLeases(node: TestNode): Promise<string[]> {
    const url = '/v1/sys/leases/lookup/auth/token/create/?list=true';
    const answer = await cluster!.api(node, 'GET', url, { token: init.root_token });
    if (answer.status === 404) return [];
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const keys = (answer.body?.data as { keys: string[] }).keys;
    return keys.filter((key) => !key.endsWith('/'));
  }

  it('revokes a lease at its TTL once the late node leads', async () => {
    const before = new Set(await tokenLeases(leader));
    const createdAt = Date.now();
    const token = await createToken(`${LEASE_TTL_SECONDS}s`);
    const fresh = (await tokenLeases(leader)).filter((id) => !before.has(id));
    assert.equal(fresh.length, 1, `new leases: ${fresh.join(', ')}`);
    const leaseId = `auth/token/create/${fresh[0]}`;

    // Hand the leadership to the late node: a step-down goes to the most caught-up follower,
    // so the other one is frozen while one more write commits.
    const other = cluster!.nodes.find((node) => node !== leader && node !== skewed) as TestNode;
    cluster!.pause(other);
    try {
      const write = await cluster!.api(leader, 'POST', '/v1/secret/data/skew', {
        token: init.root_token,
        body: { data: { v: 1 } },
      });
      assert.equal(write.status, 200, JSON.stringify(write.body));
      const down = await cluster!.api(leader, 'PUT', '/v1/sys/step-down', {
        token: init.root_token,
      });
      assert.equal(down.status, 204, JSON.stringify(down.body));
      assert.equal(await cluster!.agreedLeader([leader, skewed]), skewed);
    } finally {
      cluster!.resume(other);
    }
    assert.equal(await cluster!.agreedLeader(cluster!.nodes), skewed);
    const lookup = () =>
      cluster!.api(skewed, 'PUT', '/v1/sys/leases/lookup', {
        token: init.root_token,
        body: { lease_id: leaseId },
      });
    if (Date.now() - createdAt < LEASE_TTL_SECONDS * 1000) {
      assert.equal((await lookup()).status, 200, 'the lease is gone before its TTL');
    }

    const deadline = LEASE_TTL_SECONDS * 1000 + SLACK_MS;
    await waitFor('the late leader to revoke the lease', async () => {
      return (await lookup()).status === 400;
    }, Math.max(deadline - (Date.now() - createdAt), 1_000));
    const revokedAfter = Date.now() - createdAt;
    assert.ok(revokedAfter <= deadline, `revoked only after ${revokedAfter} ms`);
    for (const node of cluster!.nodes) {
      assert.equal((await lookupThrough(node, token)).status, 403, node.id);
    }
  });
});
