import assert from 'node:assert/strict';

import { FORWARDED_MARKER } from '../../src/http/index.js';
import type { BackendFactory } from '../../src/logical/index.js';
import { MemoryStore } from '../../src/physical/index.js';
import { FakeCluster, LEADER } from '../vault/fake-cluster.js';
import {
  injectList,
  initAndUnsealOverHttp,
  RecordingLogger,
  startNode,
  type Node,
} from './support.js';

/** Two nodes over one store (standing in for replication): a leader and a standby of it. */
async function startPair(engines?: Record<string, BackendFactory>, leaderLog?: RecordingLogger) {
  const physical = new MemoryStore();
  const leaderCluster = new FakeCluster('node1');
  const standbyCluster = FakeCluster.follower(LEADER, 'node2');
  const leader = startNode({ physical, cluster: leaderCluster, engines }, { logger: leaderLog });
  const standby = startNode({ physical, cluster: standbyCluster, engines });
  standbyCluster.forwardTo = (request) => leader.server.serveForwarded(request);

  const { keys, rootToken } = await initAndUnsealOverHttp(leader.app);
  for (const key of keys.slice(0, 3)) {
    await standby.app.inject({ method: 'PUT', url: '/v1/sys/unseal', payload: { key } });
  }
  return { leader, standby, leaderCluster, standbyCluster, token: { 'x-vault-token': rootToken } };
}

describe('request forwarding', () => {
  let leader: Node;
  let standby: Node;
  let standbyCluster: FakeCluster;
  let leaderCluster: FakeCluster;
  let token: Record<string, string>;

  afterEach(async () => {
    await leader.server.close();
    await standby.server.close();
  });

  describe('between a standby and the leader', () => {
    beforeEach(async () => {
      ({ leader, standby, leaderCluster, standbyCluster, token } = await startPair());
    });

    it('forwards a write as the whole HTTP request and relays the answer', async () => {
      const payload = JSON.stringify({ data: { pw: 'forwarded' } });
      const response = await standby.app.inject({
        method: 'POST',
        url: '/v1/secret/data/app?x=1',
        headers: { ...token, 'content-type': 'application/json', connection: 'keep-alive' },
        payload,
      });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'application/json');
      assert.equal((response.json() as { data: { version: number } }).data.version, 1);

      const [forwarded] = standbyCluster.forwarded;
      assert.equal(forwarded?.method, 'POST');
      assert.equal(forwarded?.url, '/v1/secret/data/app?x=1');
      assert.equal(Buffer.from(forwarded?.body ?? []).toString(), payload);
      assert.equal(forwarded?.headers['x-vault-token'], token['x-vault-token']);
      assert.equal(forwarded?.headers.connection, undefined);

      const read = await leader.app.inject({
        method: 'GET',
        url: '/v1/secret/data/app',
        headers: token,
      });
      assert.deepEqual((read.json() as { data: { data: unknown } }).data.data, { pw: 'forwarded' });
    });

    it('relays error answers and empty replies unchanged', async () => {
      const write = () =>
        standby.app.inject({
          method: 'PUT',
          url: '/v1/secret/data/app',
          headers: token,
          payload: { data: {}, options: { cas: 0 } },
        });
      await write();
      const mismatch = await write();
      assert.equal(mismatch.statusCode, 400);
      assert.deepEqual(mismatch.json(), {
        errors: ['check-and-set parameter did not match the current version'],
      });
      const denied = await standby.app.inject({ method: 'GET', url: '/v1/secret/data/app' });
      assert.equal(denied.statusCode, 403);
      assert.equal(denied.body, '{"errors":["permission denied"]}');
      const deleted = await standby.app.inject({
        method: 'DELETE',
        url: '/v1/secret/data/app',
        headers: token,
      });
      assert.equal(deleted.statusCode, 204);
      assert.equal(deleted.body, '');
    });

    it('serves reads and LIST itself, as a follower read, forwarding nothing', async () => {
      await leader.app.inject({
        method: 'POST',
        url: '/v1/secret/data/k',
        headers: token,
        payload: { data: { a: 1 } },
      });
      const listed = await injectList(standby.app, '/v1/secret/metadata/', token);
      assert.equal(listed.statusCode, 200);
      assert.deepEqual((listed.json() as { data: unknown }).data, { keys: ['k'] });
      const read = await standby.app.inject({ method: 'GET', url: '/v1/secret/data/k', headers: token });
      assert.deepEqual((read.json() as { data: { data: unknown } }).data.data, { a: 1 });
      assert.equal(standbyCluster.forwarded.length, 0);
    });

    it('forwards a read whose handler turns out to write, with nothing written locally', async () => {
      await leader.server.close();
      await standby.server.close();
      const writesOnRead: BackendFactory = ({ storage }) => ({
        handleRequest: async (request) => {
          await storage.put(`seen/${request.path}`, new Uint8Array([1]));
          return { data: { servedWrite: true } };
        },
      });
      ({ leader, standby, standbyCluster, token } = await startPair({ kv: writesOnRead }));
      const response = await standby.app.inject({ method: 'GET', url: '/v1/secret/x', headers: token });
      assert.equal(response.statusCode, 200);
      assert.deepEqual((response.json() as { data: unknown }).data, { servedWrite: true });
      assert.equal(standbyCluster.forwarded.length, 1);
      assert.equal(standbyCluster.forwarded[0]?.method, 'GET');
    });

    it('answers health, seal status and leader itself', async () => {
      const health = await standby.app.inject({ method: 'GET', url: '/v1/sys/health' });
      assert.equal(health.statusCode, 429);
      const leaderInfo = await standby.app.inject({ method: 'GET', url: '/v1/sys/leader' });
      assert.equal((leaderInfo.json() as { is_self: boolean }).is_self, false);
      await standby.app.inject({ method: 'GET', url: '/v1/sys/seal-status' });
      assert.equal(standbyCluster.forwarded.length, 0);
    });

    it('redirects with 307 when the client asks not to be forwarded', async () => {
      const response = await standby.app.inject({
        method: 'POST',
        url: '/v1/secret/data/app?x=2',
        headers: { ...token, 'x-vault-no-request-forwarding': 'true' },
        payload: { data: { a: 1 } },
      });
      assert.equal(response.statusCode, 307);
      assert.equal(response.headers.location, `${LEADER.apiAddr}/v1/secret/data/app?x=2`);
      assert.equal(standbyCluster.forwarded.length, 0);
    });

    it('answers 503 with Retry-After when no leader is known', async () => {
      standbyCluster.current = null;
      const response = await standby.app.inject({ method: 'GET', url: '/v1/secret/config' });
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '1');
      assert.equal(response.headers['content-type'], 'application/json');
      assert.equal((response.json() as { errors: string[] }).errors.length, 1);
    });

    it('answers 503 with Retry-After when the leader cannot be reached', async () => {
      standbyCluster.forwardTo = null;
      const response = await standby.app.inject({
        method: 'POST',
        url: '/v1/secret/config',
        headers: token,
        payload: { max_versions: 3 },
      });
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '1');
      assert.deepEqual(response.json(), {
        errors: ['failed to forward the request to the active node'],
      });
    });

    it('keeps the forwarding marker out of the leader logs', async () => {
      await leader.server.close();
      await standby.server.close();
      const log = new RecordingLogger();
      ({ leader, standby, standbyCluster, token } = await startPair(undefined, log));
      await standby.app.inject({
        method: 'POST',
        url: '/v1/secret/config',
        headers: token,
        payload: { max_versions: 3 },
      });
      const received = log.records.filter((record) => record.message === 'request received');
      const markers = received.map((record) => {
        const fields = record.fields as { headers: Record<string, unknown> };
        return fields.headers[FORWARDED_MARKER];
      });
      assert.ok(markers.includes('[REDACTED]'));
      assert.equal(
        markers.every((marker) => marker === undefined || marker === '[REDACTED]'),
        true,
      );
    });

    it('never forwards a forwarded request again when leadership moved meanwhile', async () => {
      leaderCluster.leading = false;
      leaderCluster.current = { ...LEADER, id: 'node3', apiAddr: 'https://10.0.0.3:8200' };
      const response = await standby.app.inject({
        method: 'POST',
        url: '/v1/secret/config',
        headers: token,
        payload: { max_versions: 3 },
      });
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '1');
      assert.equal(leaderCluster.forwarded.length, 0);
    });
  });

  describe('client connection details', () => {
    const echoEngine: BackendFactory = () => ({
      handleRequest: async (request) => ({
        data: {
          remoteAddress: request.connection.remoteAddress,
          headers: Object.keys(request.headers),
        },
      }),
    });

    beforeEach(async () => {
      ({ leader, standby, standbyCluster, token } = await startPair({ kv: echoEngine }));
    });

    it('reach the leader with the client address the standby saw', async () => {
      const response = await standby.app.inject({
        method: 'POST',
        url: '/v1/secret/x',
        headers: token,
        payload: {},
        remoteAddress: '10.9.8.7',
      });
      assert.equal(standbyCluster.forwarded.length, 1);
      const data = (response.json() as { data: { remoteAddress: string; headers: string[] } })
        .data;
      assert.equal(data.remoteAddress, '10.9.8.7');
      assert.equal(data.headers.includes(FORWARDED_MARKER), false);
    });

    it('cannot be forged by a client sending the forwarding marker', async () => {
      const response = await leader.app.inject({
        method: 'GET',
        url: '/v1/secret/x',
        headers: { ...token, [FORWARDED_MARKER]: 'guess:guess' },
        remoteAddress: '127.0.0.5',
      });
      const data = (response.json() as { data: { remoteAddress: string; headers: string[] } })
        .data;
      assert.equal(response.statusCode, 200);
      assert.equal(data.remoteAddress, '127.0.0.5');
      assert.equal(data.headers.includes(FORWARDED_MARKER), false);
    });
  });
});
