import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { TestCluster, waitFor, type InitResult, type TestNode } from './support.js';

/** Clients writing at once while the leader dies, and the writes each one makes at most. */
const CLIENTS = 8;
const WRITES_PER_CLIENT = 25;

describe('Three-node cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let init: InitResult;
  let token: string;

  before(async () => {
    ({ cluster, init } = await TestCluster.started(3));
    token = init.root_token;
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.logTails());
  });

  after(async () => {
    await cluster?.destroy();
  });

  it('elects one leader, lists three voters and replicates a follower write', async () => {
    const [node1, node2, node3] = cluster.nodes as [TestNode, TestNode, TestNode];
    const voters = await waitFor('three voters', async () => {
      const res = await cluster.api(node1, 'GET', '/v1/sys/storage/raft/configuration', { token });
      const servers = (res.body?.data as { config: { servers: Server[] } } | undefined)?.config
        .servers;
      return servers?.filter((s) => s.voter).length === 3 ? servers : null;
    });
    assert.deepEqual(voters.map((s) => s.node_id).sort(), ['node1', 'node2', 'node3']);
    // Each joined node recorded where its new life in the log starts (RaftOptions.voteFloor).
    for (const node of [node2, node3]) {
      const record = JSON.parse(readFileSync(path.join(node.dataDir, 'join.json'), 'utf8'));
      assert.ok(Number.isSafeInteger(record.voteFloor) && record.voteFloor > 0, node.id);
      assert.equal(statSync(path.join(node.dataDir, 'join.json')).mode & 0o777, 0o600);
    }
    assert.equal(voters.filter((s) => s.leader).length, 1);

    const leaders = await Promise.all(cluster.nodes.map((n) => cluster.leaderSeenBy(n)));
    assert.equal(new Set(leaders.map((l) => l?.id)).size, 1);
    const leader = leaders[0]!;
    const follower = [node1, node2, node3].find((n) => n !== leader)!;

    assert.equal(await cluster.writeSecret(follower, token, 'app/db', 's3cr3t'), true);
    for (const node of cluster.nodes) {
      assert.equal(await cluster.readSecret(node, token, 'app/db'), 's3cr3t', node.id);
    }
    await waitAllApplied(cluster);
  });

  it('stores no plaintext of a secret in any file of any node', async () => {
    // Random characters only, so that no compressor can shorten them into a back-reference.
    const secret = randomBytes(24).toString('base64url');
    assert.equal(await cluster.writeSecret(cluster.node('node2'), token, 'canary', secret), true);
    await waitAllApplied(cluster);

    const needles = [
      Buffer.from(secret),
      Buffer.from(Buffer.from(secret).toString('base64')),
      Buffer.from(Buffer.from(secret).toString('hex')),
    ];
    // The seal configuration is the one record stored in clear: finding it shows the scan sees
    // stored values at all.
    const control = Buffer.from('shamir');
    let files = 0;
    let controlFound = false;
    for (const node of cluster.nodes) {
      for (const file of [...filesUnder(node.dataDir), node.logFile]) {
        const bytes = readFileSync(file);
        files++;
        controlFound ||= bytes.includes(control);
        for (const needle of needles) {
          assert.equal(bytes.includes(needle), false, `${file} holds the secret in clear`);
        }
      }
    }
    assert.ok(files > 10, `only ${files} files scanned`);
    assert.ok(controlFound, 'the scan found not even the plaintext seal configuration');
  });

  it('keeps every acknowledged write when the leader is killed under load', async () => {
    const oldLeader = await waitFor('a leader', () => cluster.leaderSeenBy(cluster.nodes[0]!));
    const followers = cluster.nodes.filter((n) => n !== oldLeader);
    const acked = new Map<string, string>();
    let ackedAfterKill = 0;
    let killed = false;
    const deadline = Date.now() + 40_000;

    const client = async (c: number): Promise<void> => {
      for (let i = 0; i < WRITES_PER_CLIENT && Date.now() < deadline; i++) {
        const key = `chaos/c${c}-${i}`;
        const value = `${c}-${i}-${randomBytes(4).toString('hex')}`;
        const via = followers[(c + i) % followers.length]!;
        const ok = await cluster.writeSecret(via, token, key, value).catch(() => false);
        if (ok) {
          acked.set(key, value);
          if (killed) ackedAfterKill++;
        } else {
          // The outcome is unknown; back off a little while the cluster elects a new leader.
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));

    await waitFor('writes before the kill', async () => acked.size >= 2 * CLIENTS);
    const killedAt = Date.now();
    await cluster.kill(oldLeader, 'SIGKILL');
    killed = true;
    const newLeader = await waitFor(
      'a new leader',
      async () => {
        const seen = await cluster.leaderSeenBy(followers[0]!);
        return seen !== null && seen !== oldLeader ? seen : null;
      },
      10_000,
    );
    const failoverMs = Date.now() - killedAt;
    await Promise.all(clients);

    assert.ok(followers.includes(newLeader));
    assert.ok(failoverMs < 10_000, `failover took ${failoverMs} ms`);
    assert.ok(ackedAfterKill > 0, 'no write was acknowledged after the kill');

    cluster.start(oldLeader);
    await cluster.unseal(oldLeader, init);
    await waitAllApplied(cluster);
    for (const node of cluster.nodes) {
      const keys = [...acked.keys()];
      const values = await mapLimit(keys, 8, (key) => cluster.readSecret(node, token, key));
      keys.forEach((key, i) => assert.equal(values[i], acked.get(key), `${key} on ${node.id}`));
    }
  });

  it('stops a node on SIGTERM with exit status 0 and removes its pid file', async () => {
    const node = cluster.node('node3');
    const pidFile = path.join(node.dataDir, 'coffer.pid');
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(node.process?.pid));
    assert.equal(await cluster.kill(node, 'SIGTERM'), 0);
    assert.equal(existsSync(pidFile), false);
  });
});

interface Server {
  node_id: string;
  leader: boolean;
  voter: boolean;
}

/** Waits until every node has applied what the leader had committed when this was called. */
async function waitAllApplied(cluster: TestCluster): Promise<void> {
  const indexes = async (node: TestNode) => {
    const res = await cluster.api(node, 'GET', '/v1/sys/leader');
    return {
      committed: Number(res.body?.raft_committed_index),
      applied: Number(res.body?.raft_applied_index),
      isSelf: res.body?.is_self === true,
    };
  };
  const target = await waitFor('the leader commit index', async () => {
    for (const node of cluster.nodes) {
      const seen = await indexes(node);
      if (seen.isSelf) return seen.committed;
    }
    return null;
  });
  for (const node of cluster.nodes) {
    await waitFor(`${node.id} to apply index ${target}`, async () => {
      return (await indexes(node)).applied >= target;
    });
  }
}

/** Every regular file below `dir`. */
function filesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (statSync(file).isFile()) files.push(file);
  }
  return files;
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
