/**
 * `operator raft snapshot save` / `restore` end to end, on real processes: a three-node cluster
 * and a one-node cluster of its own, driven over HTTPS with raw bodies as the CLI would send them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import { TestCluster, waitFor, type InitResult, type TestNode } from './support.js';

type Views = Record<string, Record<string, string | null>>;

interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** One request with a binary body and a binary answer (TestCluster.api speaks JSON only). */
function raw(
  cluster: TestCluster,
  node: TestNode,
  method: string,
  urlPath: string,
  token: string,
  body?: Uint8Array,
): Promise<RawAnswer> {
  const ca = readFileSync(path.join(cluster.dir, 'ca.pem'), 'utf8');
  const headers: Record<string, string> = { 'x-vault-token': token };
  if (body !== undefined) headers['content-type'] = 'application/octet-stream';
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${node.api}${urlPath}`,
      { method, ca, headers, timeout: 30_000, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
}

function errorsOf(answer: RawAnswer): string {
  const body = JSON.parse(answer.body.toString('utf8')) as { errors?: string[] };
  return body.errors?.join('; ') ?? '';
}

describe('Raft snapshot save and restore', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let other: TestCluster;
  let init: InitResult;
  let otherInit: InitResult;
  let token: string;

  async function save(through: TestNode, of = cluster, rootToken = token): Promise<Buffer> {
    const answer = await raw(of, through, 'GET', '/v1/sys/storage/raft/snapshot', rootToken);
    assert.equal(answer.status, 200, answer.body.toString('utf8'));
    assert.equal(answer.contentType, 'application/octet-stream');
    assert.deepEqual([...answer.body.subarray(0, 2)], [0x1f, 0x8b], 'a gzip stream');
    return answer.body;
  }

  function restore(through: TestNode, archive: Uint8Array, force = false): Promise<RawAnswer> {
    const route = force ? 'snapshot-force' : 'snapshot';
    return raw(cluster, through, 'POST', `/v1/sys/storage/raft/${route}`, token, archive);
  }

  /** What every node of the three-node cluster reads at `keys`, by node id. */
  async function valuesEverywhere(keys: string[], rootToken = token): Promise<Views> {
    const seen: Views = {};
    for (const node of cluster.nodes) {
      seen[node.id] = {};
      for (const key of keys) seen[node.id]![key] = await cluster.readSecret(node, rootToken, key);
    }
    return seen;
  }

  function same(values: Record<string, string | null>): Views {
    return Object.fromEntries(cluster.nodes.map((node) => [node.id, values]));
  }

  before(async () => {
    [cluster, other] = await Promise.all([TestCluster.create(3), TestCluster.create(1)]);
    for (const node of cluster.nodes) cluster.start(node);
    other.start(other.nodes[0]!);
    [init, otherInit] = await Promise.all([
      cluster.init(cluster.nodes[0]!),
      other.init(other.nodes[0]!),
    ]);
    token = init.root_token;
    await other.unseal(other.nodes[0]!, otherInit);
    for (const node of cluster.nodes) await cluster.unseal(node, init);
    await waitFor('three voters', async () => {
      const route = '/v1/sys/storage/raft/configuration';
      const res = await cluster.api(cluster.nodes[0]!, 'GET', route, { token });
      const config = (res.body?.data as { config?: { servers?: { voter: boolean }[] } })?.config;
      return config?.servers?.filter((s) => s.voter).length === 3;
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      console.log(cluster.logTails());
      console.log(other.logTails());
    }
  });

  after(async () => {
    await cluster?.destroy();
    await other?.destroy();
  });

  async function follower(): Promise<TestNode> {
    const leader = await waitFor('a leader', () => cluster.leaderSeenBy(cluster.nodes[0]!));
    return cluster.nodes.find((node) => node !== leader)!;
  }

  it('restores the saved values on all three nodes after overwrites and deletes', async () => {
    const via = await follower();
    assert.equal(await cluster.writeSecret(via, token, 'app/a', 'a-saved'), true);
    assert.equal(await cluster.writeSecret(via, token, 'app/b', 'b-saved'), true);
    const archive = await save(via);

    assert.equal(await cluster.writeSecret(via, token, 'app/a', 'a-overwritten'), true);
    const deleted = await cluster.api(via, 'DELETE', '/v1/secret/data/app/b', { token });
    assert.equal(deleted.status, 204);
    assert.equal(await cluster.writeSecret(via, token, 'app/c', 'c-new'), true);

    const answer = await restore(via, archive);
    assert.equal(answer.status, 204, answer.body.toString('utf8'));
    assert.deepEqual(
      await valuesEverywhere(['app/a', 'app/b', 'app/c']),
      same({ 'app/a': 'a-saved', 'app/b': 'b-saved', 'app/c': null }),
    );
    for (const node of cluster.nodes) {
      assert.equal((await cluster.sealStatus(node)).sealed, false, `${node.id} stays unsealed`);
    }
  });

  it('refuses a tampered archive with a 400 and changes nothing', async () => {
    const archive = Buffer.from(await save(cluster.nodes[0]!));
    assert.equal(await cluster.writeSecret(cluster.nodes[0]!, token, 'app/a', 'current'), true);
    archive[archive.length >> 1]! ^= 0x01;

    for (const force of [false, true]) {
      const answer = await restore(await follower(), archive, force);
      assert.equal(answer.status, 400, answer.body.toString('utf8'));
      assert.match(errorsOf(answer), /snapshot/);
    }
    assert.deepEqual(await valuesEverywhere(['app/a']), same({ 'app/a': 'current' }));
  });

  it("refuses another cluster's snapshot without force, and seals for it with force", async () => {
    const theirs = other.nodes[0]!;
    assert.equal(await other.writeSecret(theirs, otherInit.root_token, 'x', 'theirs'), true);
    const foreign = await save(theirs, other, otherInit.root_token);

    const refused = await restore(cluster.nodes[1]!, foreign);
    assert.equal(refused.status, 400);
    assert.match(errorsOf(refused), /not taken on this cluster.*snapshot-force/);
    assert.deepEqual(await valuesEverywhere(['app/a', 'x']), same({ 'app/a': 'current', x: null }));

    const forced = await restore(cluster.nodes[1]!, foreign, true);
    assert.equal(forced.status, 204, forced.body.toString('utf8'));
    for (const node of cluster.nodes) {
      await waitFor(`${node.id} to seal`, async () => (await cluster.sealStatus(node)).sealed);
    }
    for (const node of cluster.nodes) await cluster.unseal(node, otherInit);
    assert.deepEqual(
      await valuesEverywhere(['app/a', 'x'], otherInit.root_token),
      same({ 'app/a': null, x: 'theirs' }),
    );
  });
});
