import assert from 'node:assert/strict';

import { InvalidRequestError, PermissionDeniedError } from '../../src/logical/index.js';
import { SingleNodeCluster } from '../../src/vault/index.js';
import { FakeCluster, LEADER } from './fake-cluster.js';
import { coreHarness, initAndUnseal } from './support.js';

interface RawBody {
  status: number;
  body: Record<string, unknown>;
}

const raw = (response: { raw?: unknown } | null): RawBody => response?.raw as RawBody;

describe('system backend', () => {
  describe('sys/health', () => {
    it('answers 501, 503, 200 through the lifecycle', async () => {
      const h = coreHarness();
      assert.equal(raw(await h.call('read', 'sys/health')).status, 501);
      const { keys } = await h.core.initialize({});
      const sealed = raw(await h.call('read', 'sys/health'));
      assert.equal(sealed.status, 503);
      assert.equal(sealed.body.sealed, true);
      for (const key of keys.slice(0, 3)) await h.core.unseal(key);
      const active = raw(await h.call('read', 'sys/health'));
      assert.equal(active.status, 200);
      assert.equal(active.body.standby, false);
      assert.equal(typeof active.body.cluster_id, 'string');
    });

    it('answers a standby with 429, or the active code with standbyok', async () => {
      const h = coreHarness({ cluster: FakeCluster.follower(LEADER) });
      await initAndUnseal(h.core);
      assert.equal(raw(await h.call('read', 'sys/health')).status, 429);
      for (const standbyok of ['true', '1', '']) {
        const answer = raw(await h.call('read', 'sys/health', { data: { standbyok } }));
        assert.equal(answer.status, 200, `standbyok=${standbyok}`);
      }
      const custom = await h.call('read', 'sys/health', { data: { standbycode: '299' } });
      assert.equal(raw(custom).status, 299);
    });

    it('takes every *code override as any integer and ignores unknown parameters', async () => {
      const h = coreHarness();
      const data = {
        activecode: '299',
        standbycode: '299',
        sealedcode: '299',
        uninitcode: '218',
        drsecondarycode: '299',
        performancestandbycode: '299',
        removedcode: '299',
        perfstandbyok: 'true',
        somethingnew: 'x',
      };
      assert.equal(raw(await h.call('read', 'sys/health', { data })).status, 218);
    });

    it('refuses a status code that is not an integer or cannot be sent', async () => {
      const h = coreHarness();
      for (const uninitcode of ['abc', '2.5', '42', '1000']) {
        await assert.rejects(
          h.call('read', 'sys/health', { data: { uninitcode } }),
          InvalidRequestError,
          uninitcode,
        );
      }
    });
  });

  describe('sys/init and sys/unseal', () => {
    it('reports initialized, then returns keys, keys_base64 and root_token', async () => {
      const h = coreHarness();
      assert.deepEqual(raw(await h.call('read', 'sys/init')).body, { initialized: false });
      const answer = raw(
        await h.call('update', 'sys/init', { data: { secret_shares: 3, secret_threshold: 2 } }),
      );
      assert.deepEqual(Object.keys(answer.body), ['keys', 'keys_base64', 'root_token']);
      assert.equal((answer.body.keys as string[]).length, 3);
    });

    it('unseals share by share, and resets on request', async () => {
      const h = coreHarness();
      const { keys } = await h.core.initialize({ secretShares: 3, secretThreshold: 2 });
      const first = raw(await h.call('update', 'sys/unseal', { data: { key: keys[0] } }));
      assert.equal(first.body.progress, 1);
      const reset = raw(await h.call('update', 'sys/unseal', { data: { reset: true } }));
      assert.equal(reset.body.progress, 0);
      await assert.rejects(h.call('update', 'sys/unseal', { data: {} }), /'key' must be specified/);
      await h.call('update', 'sys/unseal', { data: { key: keys[1] } });
      const done = raw(await h.call('update', 'sys/unseal', { data: { key: keys[2] } }));
      assert.equal(done.body.sealed, false);
      assert.equal(done.body.storage_type, 'inmem');
    });
  });

  describe('sys/leader', () => {
    it('reports this node as the leader on a single node', async () => {
      const h = coreHarness({ cluster: new SingleNodeCluster({ apiAddr: 'https://a:8200' }) });
      const body = raw(await h.call('read', 'sys/leader')).body;
      assert.equal(body.is_self, true);
      assert.equal(body.leader_address, 'https://a:8200');
      assert.equal(body.ha_enabled, true);
    });

    it('reports the leader a standby knows, and the zero time as active_time', async () => {
      const h = coreHarness({ cluster: FakeCluster.follower(LEADER) });
      const body = raw(await h.call('read', 'sys/leader')).body;
      assert.equal(body.is_self, false);
      assert.equal(body.leader_address, LEADER.apiAddr);
      assert.equal(body.leader_cluster_address, LEADER.clusterAddr);
      assert.equal(body.active_time, '0001-01-01T00:00:00Z');
      assert.equal(body.raft_committed_index, 42);
    });
  });

  describe('sys/storage/raft', () => {
    it('renders the configuration and hands membership changes to the cluster', async () => {
      const cluster = new FakeCluster();
      const h = coreHarness({ cluster });
      const { rootToken: token } = await initAndUnseal(h.core);

      const config = await h.call('read', 'sys/storage/raft/configuration', { token });
      assert.deepEqual(config?.data, {
        config: {
          index: 7,
          servers: [
            {
              node_id: 'node1',
              address: '10.0.0.1:8201',
              leader: true,
              voter: true,
              protocol_version: '3',
            },
            {
              node_id: 'node2',
              address: '10.0.0.2:8201',
              leader: false,
              voter: false,
              protocol_version: '3',
            },
          ],
        },
      });
      const data = { server_id: 'node2' };
      await h.call('update', 'sys/storage/raft/remove-peer', { token, data });
      await h.call('update', 'sys/step-down', { token });
      assert.deepEqual(cluster.calls, [
        ['removePeer', 'node2'],
        ['stepDown', null],
      ]);
      await assert.rejects(
        h.call('update', 'sys/storage/raft/remove-peer', { token }),
        /missing required field "server_id"/,
      );
    });

    it('serves the bootstrap challenge and answer without a token', async () => {
      const cluster = new FakeCluster();
      const h = coreHarness({ cluster });
      await initAndUnseal(h.core);
      const challenge = await h.call('update', 'sys/storage/raft/bootstrap/challenge', {
        data: { server_id: 'node4' },
      });
      assert.equal(challenge?.data?.challenge, 'Y2hhbGxlbmdl');
      const answer = await h.call('update', 'sys/storage/raft/bootstrap/answer', {
        data: {
          server_id: 'node4',
          answer: 'YQ==',
          cluster_addr: '10.0.0.4:8201',
          api_addr: 'https://10.0.0.4:8200',
        },
      });
      assert.deepEqual(answer?.data?.peers, [{ id: 'node1', address: '10.0.0.1:8201' }]);
      assert.equal(answer?.data?.vote_floor, 7);
      assert.deepEqual(cluster.calls[1], [
        'answerChallenge',
        {
          nodeId: 'node4',
          answer: 'YQ==',
          clusterAddr: '10.0.0.4:8201',
          apiAddr: 'https://10.0.0.4:8200',
          nonVoter: false,
        },
      ]);
    });

    it('lets an uninitialised, sealed node join, and requires a token for snapshots', async () => {
      const cluster = new FakeCluster();
      const h = coreHarness({ cluster });
      const joined = await h.call('update', 'sys/storage/raft/join', {
        data: { leader_api_addr: 'https://10.0.0.1:8200' },
      });
      assert.deepEqual(raw(joined).body, { joined: true });

      const { rootToken: token } = await initAndUnseal(h.core);
      await assert.rejects(h.call('read', 'sys/storage/raft/snapshot'), PermissionDeniedError);
      const snapshot = await h.call('read', 'sys/storage/raft/snapshot', { token });
      assert.deepEqual(raw(snapshot).body, cluster.snapshotBytes);
      const body = new Uint8Array([9, 8, 7]);
      await h.call('update', 'sys/storage/raft/snapshot-force', { token, body });
      assert.deepEqual(cluster.calls.at(-1), ['restore', { bytes: [9, 8, 7], force: true }]);
    });
  });

  describe('forwardingDecision', () => {
    it('serves everything locally on the leader', async () => {
      const h = coreHarness({ cluster: new FakeCluster() });
      await initAndUnseal(h.core);
      assert.equal(h.core.forwardingDecision('secret/data/x'), 'local');
    });

    it('forwards from an unsealed standby, except the paths a node answers itself', async () => {
      const h = coreHarness({ cluster: FakeCluster.follower(LEADER) });
      await initAndUnseal(h.core);
      for (const path of ['secret/data/x', 'sys/step-down', 'sys/init', 'sys/key-status']) {
        assert.equal(h.core.forwardingDecision(path), 'forward', path);
      }
      for (const path of [
        'sys/health',
        'sys/seal-status',
        'sys/unseal',
        'sys/leader',
        'sys/seal',
        'sys/storage/raft/join',
      ]) {
        assert.equal(h.core.forwardingDecision(path), 'local', path);
      }
    });

    it('answers locally (503) when sealed, and reports no leader during an election', async () => {
      const cluster = FakeCluster.follower(LEADER);
      const h = coreHarness({ cluster });
      const { keys } = await h.core.initialize({});
      assert.equal(h.core.forwardingDecision('secret/data/x'), 'local');
      for (const key of keys.slice(0, 3)) await h.core.unseal(key);
      cluster.current = null;
      assert.equal(h.core.forwardingDecision('secret/data/x'), 'no-leader');
    });
  });
});
