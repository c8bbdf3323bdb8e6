/**
 * `sys/storage/raft/autopilot/state` on a fake cluster, and the health rules behind it
 * (src/vault/autopilot.ts).
 */
import assert from 'node:assert/strict';

import {
  AutopilotTracker,
  formatGoDuration,
  SingleNodeCluster,
  type AutopilotObservation,
} from '../../src/vault/index.js';
import { FakeCluster, LEADER } from './fake-cluster.js';
import { coreHarness, initAndUnseal } from './support.js';

const PATH = 'sys/storage/raft/autopilot/state';

const server = (
  id: string,
  status: AutopilotObservation['status'],
  lastContactMs: number,
  lastIndex = 100,
): AutopilotObservation => ({
  id,
  address: `${id}:8201`,
  status,
  lastContactMs,
  lastTerm: 2,
  lastIndex,
  version: '1.17.0',
});

describe('Autopilot state', () => {
  describe('sys/storage/raft/autopilot/state', () => {
    it("renders the leader's report in Vault's shape", async () => {
      const cluster = new FakeCluster();
      const h = coreHarness({ cluster });
      const { rootToken: token } = await initAndUnseal(h.core);

      const response = await h.call('read', PATH, { token });
      const data = response?.data as Record<string, unknown>;
      assert.equal(data.healthy, true);
      assert.equal(data.failure_tolerance, 1);
      assert.equal(data.optimistic_failure_tolerance, 1);
      assert.equal(data.leader, 'node1');
      assert.deepEqual(data.voters, ['node1', 'node2', 'node3']);
      const servers = data.servers as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(servers), ['node1', 'node2', 'node3']);
      assert.deepEqual(servers.node1, {
        id: 'node1',
        name: 'node1',
        address: '10.0.0.1:8201',
        node_status: 'alive',
        last_contact: '0s',
        last_term: 3,
        last_index: 61,
        healthy: true,
        stable_since: '2024-01-01T00:00:00.000Z',
        status: 'leader',
        version: '1.17.0',
        node_type: 'voter',
      });
      assert.equal(servers.node2?.last_contact, '250ms');
      assert.equal(servers.node3?.last_contact, '1.2s');
      assert.equal(servers.node3?.status, 'voter');
    });

    it('reports a silent follower unhealthy and the tolerance down to 0', async () => {
      const cluster = new FakeCluster();
      const h = coreHarness({ cluster });
      const { rootToken: token } = await initAndUnseal(h.core);
      assert.equal(((await h.call('read', PATH, { token }))?.data ?? {}).healthy, true);
      cluster.observations[2] = { ...cluster.observations[2]!, lastContactMs: 12_500 };
      cluster.autopilotNow = new Date('2024-01-01T00:06:00Z');

      const data = (await h.call('read', PATH, { token }))?.data as Record<string, unknown>;
      const servers = data.servers as Record<string, Record<string, unknown>>;
      assert.equal(data.healthy, false);
      assert.equal(data.failure_tolerance, 0);
      assert.equal(servers.node3?.healthy, false);
      assert.equal(servers.node3?.node_status, 'alive');
      assert.equal(servers.node3?.last_contact, '12.5s');
      assert.equal(servers.node3?.stable_since, '2024-01-01T00:06:00.000Z');
      assert.equal(servers.node2?.stable_since, '2024-01-01T00:00:00.000Z');
    });

    it('needs only read on the path, not sudo', async () => {
      const h = coreHarness({ cluster: new FakeCluster() });
      const { rootToken } = await initAndUnseal(h.core);
      const policy = `path "${PATH}" { capabilities = ["read"] }`;
      await h.call('update', 'sys/policies/acl/autopilot', { token: rootToken, data: { policy } });
      const created = await h.call('update', 'auth/token/create', {
        token: rootToken,
        data: { policies: ['autopilot'] },
      });
      const reader = created?.auth?.clientToken;
      assert.equal(typeof reader, 'string');
      assert.equal(((await h.call('read', PATH, { token: reader }))?.data ?? {}).healthy, true);

      const other = await h.call('update', 'auth/token/create', {
        token: rootToken,
        data: { policies: ['default'] },
      });
      await assert.rejects(
        h.call('read', PATH, { token: other?.auth?.clientToken }),
        /permission denied/,
      );
    });

    it('is forwarded by a follower, even though it is a read', async () => {
      const h = coreHarness({ cluster: FakeCluster.follower(LEADER) });
      await initAndUnseal(h.core);
      assert.equal(h.core.forwardingDecision(PATH, 'read'), 'forward');
      const configuration = 'sys/storage/raft/configuration';
      assert.equal(h.core.forwardingDecision(configuration, 'read'), 'local-read');
    });

    it('reports a single node as a healthy leader that tolerates no failure', async () => {
      const h = coreHarness({ cluster: new SingleNodeCluster({ nodeId: 'solo' }) });
      const { rootToken: token } = await initAndUnseal(h.core);
      const data = (await h.call('read', PATH, { token }))?.data as Record<string, unknown>;
      assert.equal(data.healthy, true);
      assert.equal(data.failure_tolerance, 0);
      assert.deepEqual(data.voters, ['solo']);
      const servers = data.servers as Record<string, Record<string, unknown>>;
      assert.equal(servers.solo?.status, 'leader');
      assert.equal(servers.solo?.address, '127.0.0.1:8201');
    });
  });

  describe('AutopilotTracker', () => {
    const since = new Date('2024-01-01T00:00:00Z');
    const now = new Date('2024-01-01T00:01:00Z');

    it('judges a follower trailing by more than 1000 entries unhealthy', () => {
      const tracker = new AutopilotTracker(since);
      const state = tracker.assess(
        [
          server('a', 'leader', 0, 5000),
          server('b', 'voter', 10, 4000),
          server('c', 'voter', 10, 3999),
        ],
        now,
      );
      assert.deepEqual(
        state.servers.map((s) => [s.id, s.healthy]),
        [
          ['a', true],
          ['b', true],
          ['c', false],
        ],
      );
      assert.equal(state.healthy, false);
      assert.equal(state.failureTolerance, 0);
    });

    it('counts the tolerance from the quorum of all voters, not only the healthy ones', () => {
      // Five voters, three healthy: one more failure loses the quorum of three.
      const tracker = new AutopilotTracker(since);
      const state = tracker.assess(
        [
          server('a', 'leader', 0),
          server('b', 'voter', 100),
          server('c', 'voter', 100),
          server('d', 'voter', 60_000),
          server('e', 'voter', 60_000),
          server('f', 'non-voter', 100),
        ],
        now,
      );
      assert.equal(state.failureTolerance, 0);
      assert.deepEqual(state.voters, ['a', 'b', 'c', 'd', 'e']);
      const five = tracker.assess(
        ['a', 'b', 'c', 'd', 'e'].map((id, i) => server(id, i === 0 ? 'leader' : 'voter', 0)),
        now,
      );
      assert.equal(five.failureTolerance, 2);
    });

    it('ignores an unhealthy non-voter for the cluster health', () => {
      const tracker = new AutopilotTracker(since);
      const state = tracker.assess(
        [server('a', 'leader', 0), server('b', 'non-voter', 30_000)],
        now,
      );
      assert.equal(state.healthy, true);
      assert.equal(state.servers[1]?.healthy, false);
    });

    it('reports a server silent for over a day as left', () => {
      const tracker = new AutopilotTracker(since);
      const day = 24 * 60 * 60 * 1000;
      const state = tracker.assess([server('a', 'leader', 0), server('b', 'voter', day + 1)], now);
      assert.equal(state.servers[1]?.nodeStatus, 'left');
    });

    it('keeps stable_since until the health changes', () => {
      const tracker = new AutopilotTracker(since);
      const later = new Date('2024-01-01T00:02:00Z');
      const first = tracker.assess([server('a', 'leader', 0), server('b', 'voter', 20_000)], now);
      assert.equal(first.servers[1]?.stableSince, since);
      const second = tracker.assess([server('a', 'leader', 0), server('b', 'voter', 50)], later);
      assert.equal(second.servers[1]?.stableSince, later);
      assert.equal(second.servers[0]?.stableSince, since);
    });
  });

  describe('formatGoDuration', () => {
    it('prints milliseconds as Go prints a time.Duration', () => {
      const cases: Array<[number, string]> = [
        [0, '0s'],
        [516, '516ms'],
        [1200, '1.2s'],
        [10_000, '10s'],
        [125_500, '2m5.5s'],
        [3_600_000, '1h0m0s'],
      ];
      for (const [ms, text] of cases) assert.equal(formatGoDuration(ms), text, String(ms));
    });
  });
});
