import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import nodeVault from 'node-vault';

import type { TestNode } from '../cluster/support.js';
import { startConformanceCluster, type ConformanceCluster } from './support.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- node-vault answers untyped JSON
type Body = Record<string, any>;

/** Whether a node-vault call failed with this HTTP status. */
const status = (code: number) => (err: { response?: { statusCode: number } }) =>
  err.response?.statusCode === code;

/**
 * The npm node-vault client, unmodified, against the leader and a follower. Every group runs
 * through each of them and reads back through the other, as in hvac.test.ts.
 */
describe('node-vault against a three-node cluster', function () {
  this.timeout(120_000);
  let c: ConformanceCluster;
  let ca: string;
  let scratch: string;

  /** A client of `node` with `token`; a fresh one, as token creation replaces a client's token. */
  const client = (node: TestNode, token = c.rootToken, options: { list?: 'query' } = {}) =>
    nodeVault({
      endpoint: node.api,
      token,
      requestOptions: { ca },
      noCustomHTTPVerbs: options.list === 'query',
    });

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'coffer-node-vault-'));
    c = await startConformanceCluster();
    ca = readFileSync(c.caFile, 'utf8');
  });

  after(async () => {
    await c?.cluster.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reads health, seal status and the leader through a follower', async () => {
    const follower = client(c.follower);
    const health = await follower.health({ standbyok: true });
    assert.equal(health.initialized, true);
    assert.equal(health.sealed, false);
    assert.equal((await follower.status()).sealed, false);
    assert.equal((await follower.leader()).leader_address, c.leader.api);
  });

  for (const via of ['leader', 'follower'] as const) {
    describe(`through the ${via}`, () => {
      let api: nodeVault.client;
      let other: nodeVault.client;
      let viaNode: TestNode;
      let otherNode: TestNode;
      const tag = via[0];

      before(() => {
        [viaNode, otherNode] = via === 'leader' ? [c.leader, c.follower] : [c.follower, c.leader];
        api = client(viaNode);
        other = client(otherNode);
      });

      /** A token created by root through `via` with `args`; its auth block. */
      const createToken = async (args: Body): Promise<Body> =>
        ((await client(viaNode).tokenCreate(args)) as Body).auth as Body;

      it('mounts KV v1 and v2, tunes, lists, remounts and unmounts', async () => {
        const [v1, v2] = [`nv1-${tag}`, `nv2-${tag}`];
        await api.mount({ mount_point: v1, type: 'kv', options: { version: '1' } });
        await api.mount({ mount_point: v2, type: 'kv', options: { version: '2' } });
        const mounts = (await other.mounts()) as Body;
        assert.equal(mounts.data[`${v1}/`]?.type, 'kv');
        assert.equal(mounts.data[`${v2}/`]?.options?.version, '2');

        await api.write(`sys/mounts/${v2}/tune`, { default_lease_ttl: '1h', max_lease_ttl: '2h' });
        const tuned = (await other.read(`sys/mounts/${v2}/tune`)) as Body;
        assert.equal(tuned.data.default_lease_ttl, 3600);
        assert.equal(tuned.data.max_lease_ttl, 7200);

        await api.remount({ from: v1, to: `${v1}-moved` });
        await api.unmount({ mount_point: `${v1}-moved` });
        await api.unmount({ mount_point: v2 });
        const after = (await other.mounts()) as Body;
        for (const gone of [`${v1}/`, `${v1}-moved/`, `${v2}/`]) {
          assert.equal(after.data[gone], undefined);
        }
      });

      it('writes, reads, lists (LIST and ?list=1) and deletes KV v1 secrets', async () => {
        const mount = `nkv1-${tag}`;
        await api.mount({ mount_point: mount, type: 'kv', options: { version: '1' } });
        await api.write(`${mount}/app/db`, { password: 'p1' });
        await api.write(`${mount}/app/api`, { key: 'k1' });
        assert.deepEqual(((await other.read(`${mount}/app/db`)) as Body).data, { password: 'p1' });
        const listed = (await other.list(`${mount}/app`)) as Body;
        assert.deepEqual([...listed.data.keys].sort(), ['api', 'db']);
        const byQuery = client(otherNode, c.rootToken, { list: 'query' });
        assert.deepEqual(((await byQuery.list(mount)) as Body).data.keys, ['app/']);
        await api.delete(`${mount}/app/db`);
        await assert.rejects(other.read(`${mount}/app/db`), status(404));
        await api.unmount({ mount_point: mount });
      });

      it('versions KV v2: cas, versions, patch, delete, undelete, destroy, metadata', async () => {
        const key = `nv-app-${tag}`;
        const data = `secret/data/${key}`;
        await api.write(data, { data: { user: 'svc', pw: 'p1' } });
        const second = (await api.write(data, { options: { cas: 1 }, data: { pw: 'p2' } })) as Body;
        assert.equal(second.data.version, 2);
        await assert.rejects(api.write(data, { options: { cas: 1 }, data: {} }), status(400));
        assert.deepEqual(((await other.read(`${data}?version=1`)) as Body).data.data, {
          user: 'svc',
          pw: 'p1',
        });

        const patched = (await api.request({
          path: `/${data}`,
          method: 'PATCH',
          json: { data: { user: 'ops' } },
          headers: { 'content-type': 'application/merge-patch+json' },
        })) as Body;
        assert.equal(patched.data.version, 3);
        assert.deepEqual(((await other.read(data)) as Body).data.data, { pw: 'p2', user: 'ops' });

        await api.delete(data);
        await assert.rejects(other.read(data), status(404));
        await api.write(`secret/undelete/${key}`, { versions: [3] });
        assert.equal(((await other.read(data)) as Body).data.metadata.version, 3);
        await api.destroySecretVersions({ path: key, versions: [1] });
        await assert.rejects(other.read(`${data}?version=1`), status(404));

        const settings = { max_versions: 4, custom_metadata: { team: 'a' } };
        await api.write(`secret/metadata/${key}`, settings);
        const meta = ((await other.read(`secret/metadata/${key}`)) as Body).data;
        assert.equal(meta.current_version, 3);
        assert.equal(meta.max_versions, 4);
        assert.deepEqual(meta.custom_metadata, { team: 'a' });
        assert.equal(meta.versions['1'].destroyed, true);
        assert.ok(((await other.list('secret/metadata/')) as Body).data.keys.includes(key));

        await api.delete(`secret/metadata/${key}`);
        await assert.rejects(other.read(`secret/metadata/${key}`), status(404));
      });

      it('creates, reads, lists and removes a policy that allows and denies a token', async () => {
        const name = `nv-pol-${tag}`;
        const rules = `path "secret/data/${name}/*" {\n  capabilities = ["create", "read"]\n}\n`;
        await api.addPolicy({ name, rules });
        assert.equal(((await other.getPolicy({ name })) as Body).rules, rules);
        assert.ok(((await other.policies()) as Body).policies.includes(name));

        const token = (await createToken({ policies: [name], ttl: '10m' })).client_token as string;
        const limited = client(viaNode, token);
        await limited.write(`secret/data/${name}/db`, { data: { pw: 'x' } });
        const read = (await client(otherNode, token).read(`secret/data/${name}/db`)) as Body;
        assert.deepEqual(read.data.data, { pw: 'x' });
        await assert.rejects(limited.read('secret/data/elsewhere'), status(403));
        await assert.rejects(limited.delete(`secret/data/${name}/db`), status(403));
        await assert.rejects(client(otherNode, token).mounts(), status(403));

        await api.removePolicy({ name });
        assert.ok(!((await other.policies()) as Body).policies.includes(name));
        await assert.rejects(client(otherNode, token).read(`secret/data/${name}/db`), status(403));
        await api.delete(`secret/metadata/${name}/db`);
      });

      it('accepts the legacy policy syntax of node-vault’s README', async () => {
        const name = `nv-legacy-${tag}`;
        await api.addPolicy({ name, rules: '{ "path": { "secret/*": { "policy": "write" } } }' });
        const token = (await createToken({ policies: [name] })).client_token as string;
        await client(otherNode, token).write(`secret/data/${name}`, { data: { a: 'b' } });
        await assert.rejects(client(otherNode, token).mounts(), status(403));
        await api.removePolicy({ name });
        await api.delete(`secret/metadata/${name}`);
      });

      it('creates, looks up, renews and revokes tokens, by token and by accessor', async () => {
        const auth = await createToken({ policies: ['default'], ttl: '1h', meta: { app: tag } });
        const token = auth.client_token as string;
        assert.equal(auth.lease_duration, 3600);
        const looked = ((await other.tokenLookup({ token })) as Body).data;
        assert.equal(looked.accessor, auth.accessor);
        assert.deepEqual(looked.meta, { app: tag });
        const self = ((await client(otherNode, token).tokenLookupSelf()) as Body).data;
        assert.deepEqual(self.policies, ['default']);
        const byAccessor = await other.tokenLookupAccessor({ accessor: auth.accessor });
        assert.equal((byAccessor as Body).data.id, '');

        // tokenRenew makes the renewed token the client's own, so a fresh client renews.
        const renewed = (await client(viaNode).tokenRenew({ token, increment: '2h' })) as Body;
        assert.equal(renewed.auth.lease_duration, 7200);
        const self2 = (await client(viaNode, token).tokenRenewSelf({ increment: 600 })) as Body;
        assert.equal(self2.auth.lease_duration, 600);

        const accessors = ((await other.tokenAccessors()) as Body).data.keys as string[];
        assert.ok(accessors.includes(auth.accessor));
        await api.tokenRevokeAccessor({ accessor: auth.accessor });
        await assert.rejects(client(otherNode, token).tokenLookupSelf(), status(403));

        const limited = (await createToken({ num_uses: 1 })).client_token as string;
        await client(otherNode, limited).tokenLookupSelf();
        await assert.rejects(client(viaNode, limited).tokenLookupSelf(), status(403));
      });

      it('revokes a parent token’s children with it, and spares orphans', async () => {
        const parentAuth = await createToken({ policies: ['root'], ttl: '1h' });
        const parent = parentAuth.client_token as string;
        const childClient = client(viaNode, parent);
        const child = ((await childClient.tokenCreate({ ttl: '30m' })) as Body).auth.client_token;
        const orphaned = await client(viaNode, parent).tokenCreateOrphan({ ttl: '1h' });
        const orphanAuth = (orphaned as Body).auth;
        assert.equal(orphanAuth.orphan, true);
        await api.tokenRevoke({ token: parent });
        await assert.rejects(client(otherNode, parent).tokenLookupSelf(), status(403));
        await assert.rejects(client(otherNode, child as string).tokenLookupSelf(), status(403));
        const orphan = client(otherNode, orphanAuth.client_token as string);
        assert.equal(((await orphan.tokenLookupSelf()) as Body).data.orphan, true);
        await client(viaNode, orphanAuth.client_token as string).tokenRevokeSelf();
        await assert.rejects(orphan.tokenLookupSelf(), status(403));
      });

      it('looks up and revokes a token lease; refuses to renew it through sys/leases', async () => {
        const keys = async (): Promise<string[]> => {
          const listed = await other.list('sys/leases/lookup/auth/token/create/').catch(() => null);
          return ((listed as Body | null)?.data?.keys as string[] | undefined) ?? [];
        };
        const before = new Set(await keys());
        const token = (await createToken({ ttl: '1h' })).client_token as string;
        const fresh = (await keys()).filter((key) => !before.has(key));
        assert.equal(fresh.length, 1);
        const leaseId = `auth/token/create/${fresh[0]}`;

        const lookup = await other.write('sys/leases/lookup', { lease_id: leaseId });
        const looked = (lookup as Body).data;
        assert.equal(looked.id, leaseId);
        assert.ok(looked.ttl > 3500 && looked.ttl <= 3600, String(looked.ttl));
        await assert.rejects(api.renew({ lease_id: leaseId }), status(400));
        await api.revoke({ lease_id: leaseId });
        await assert.rejects(client(otherNode, token).tokenLookupSelf(), status(403));
      });

      it('enables a file audit device that logs hashes, not secrets, and disables it', async () => {
        const name = `nv-audit-${tag}`;
        const file = path.join(scratch, `${name}.log`);
        await api.enableAudit({ name, type: 'file', options: { file_path: file } });
        const audits = (await other.audits()) as Body;
        assert.equal(audits.data[`${name}/`]?.type, 'file');

        const secret = `plaintext-${tag}-${Date.now()}`;
        await api.write(`secret/data/${name}`, { data: { password: secret } });
        await other.read(`secret/data/${name}`);
        const hash = ((await api.write(`sys/audit-hash/${name}`, { input: secret })) as Body).hash;
        const text = readFileSync(file, 'utf8');
        assert.ok(!text.includes(secret), 'the secret is in the audit log');
        assert.ok(!text.includes(c.rootToken), 'the root token is in the audit log');
        const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Body);
        const ours = lines.filter((line) => line.request.path === `secret/data/${name}`);
        assert.ok(ours.some((line) => line.request.data?.data?.password === hash));
        assert.ok(ours.some((line) => line.response?.data?.data?.password === hash));

        await api.disableAudit({ name });
        assert.equal(((await other.audits()) as Body).data[`${name}/`], undefined);
        await api.delete(`secret/metadata/${name}`);
      });
    });
  }
});
