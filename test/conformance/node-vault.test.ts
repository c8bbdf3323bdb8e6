import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import nodeVault from 'node-vault';

import { startConformanceCluster, type ConformanceCluster } from './support.js';

/** The npm node-vault client, unmodified, against the leader and a follower. */
describe('node-vault against a three-node cluster', function () {
  this.timeout(120_000);
  let c: ConformanceCluster;
  let leader: nodeVault.client;
  let follower: nodeVault.client;

  before(async () => {
    c = await startConformanceCluster();
    const ca = readFileSync(c.caFile, 'utf8');
    const options = (endpoint: string) => ({
      endpoint,
      token: c.rootToken,
      requestOptions: { ca },
      noCustomHTTPVerbs: false,
    });
    leader = nodeVault(options(c.leader.api));
    follower = nodeVault(options(c.follower.api));
  });

  after(async () => {
    await c?.cluster.destroy();
  });

  it('reads health, seal status and the leader through a follower', async () => {
    const health = await follower.health({ standbyok: true });
    assert.equal(health.initialized, true);
    assert.equal(health.sealed, false);
    assert.equal((await follower.status()).sealed, false);
    assert.equal((await follower.leader()).leader_address, c.leader.api);
  });

  it('mounts, lists and unmounts a KV v2 engine through a follower', async () => {
    await follower.mount({ mount_point: 'nv', type: 'kv', options: { version: '2' } });
    const mounts = (await leader.mounts()) as { data: Record<string, { type: string }> };
    assert.equal(mounts.data['nv/']?.type, 'kv');
    await follower.unmount({ mount_point: 'nv' });
    const after = (await leader.mounts()) as { data: Record<string, unknown> };
    assert.equal(after.data['nv/'], undefined);
  });

  it('writes, reads, lists and deletes KV v2 secrets, the LIST verb included', async () => {
    await follower.write('secret/data/nv-app', { data: { user: 'svc', pw: 'p1' } });
    const read = await leader.read('secret/data/nv-app');
    assert.deepEqual(read.data.data, { user: 'svc', pw: 'p1' });
    const listed = await follower.list('secret/metadata/');
    assert.ok((listed.data.keys as string[]).includes('nv-app'));
    await leader.delete('secret/metadata/nv-app');
    await assert.rejects(
      follower.read('secret/data/nv-app'),
      (err: { response?: { statusCode: number } }) => err.response?.statusCode === 404,
    );
  });
});
