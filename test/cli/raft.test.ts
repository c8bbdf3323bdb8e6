import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { initAndUnsealOverHttp, type Node } from '../http/support.js';
import { CliEnv, envelope, startFakeServer, startHttpNode, type FakeServer } from './support.js';

const CONFIGURATION = {
  config: {
    index: 12,
    servers: [
      { node_id: 'node1', address: '127.0.0.1:8201', leader: true, voter: true },
      { node_id: 'node2', address: '127.0.0.1:8211', leader: false, voter: true },
      { node_id: 'node3', address: '127.0.0.1:8221', leader: false, voter: false },
    ].map((server) => ({ ...server, protocol_version: '3' })),
  },
};

describe('coffer operator raft', () => {
  describe('against a recording fake server', () => {
    let fake: FakeServer;
    let standby: FakeServer;
    let cli: CliEnv;
    const snapshot = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    let restored: Buffer | undefined;

    beforeEach(async () => {
      restored = undefined;
      fake = await startFakeServer((request) => {
        if (request.url === '/v1/sys/storage/raft/configuration') {
          return { body: envelope(CONFIGURATION) };
        }
        if (request.url === '/v1/sys/storage/raft/snapshot' && request.method === 'GET') {
          return { body: snapshot };
        }
        if (request.url.startsWith('/v1/sys/storage/raft/snapshot')) {
          restored = request.body;
          return {};
        }
        if (request.url === '/v1/sys/storage/raft/join') return { body: { joined: true } };
        if (request.url === '/v1/sys/storage/raft/remove-peer') return {};
        if (request.url === '/v1/sys/storage/raft/autopilot/state') {
          return {
            body: envelope({
              healthy: true,
              failure_tolerance: 1,
              optimistic_failure_tolerance: 1,
              leader: 'node1',
              voters: ['node1', 'node2', 'node3'],
              servers: {
                node1: {
                  id: 'node1',
                  name: 'node1',
                  address: '127.0.0.1:8201',
                  status: 'leader',
                  node_status: 'alive',
                  healthy: true,
                  last_contact: '0s',
                  last_term: 3,
                  last_index: 61,
                  stable_since: '2024-01-01T00:00:00.000Z',
                  version: '1.17.0+coffer.0.1.0',
                  node_type: 'voter',
                },
              },
            }),
          };
        }
        return { status: 404, body: { errors: [] } };
      });
      // A standby redirects snapshots to the active node, as Vault's do.
      standby = await startFakeServer((request) => ({
        status: 307,
        headers: { Location: `${fake.address}${request.url}` },
      }));
      cli = new CliEnv(fake.address, { VAULT_TOKEN: 'hvs.ROOT' });
    });

    afterEach(async () => {
      await fake.close();
      await standby.close();
      cli.cleanup();
    });

    it('lists peers as Node, Address, State and Voter columns', async () => {
      const result = await cli.run(['operator', 'raft', 'list-peers']);
      assert.equal(result.status, 0, result.err);
      assert.equal(
        result.out,
        [
          'Node     Address           State       Voter',
          '----     -------           -----       -----',
          'node1    127.0.0.1:8201    leader      true',
          'node2    127.0.0.1:8211    follower    true',
          'node3    127.0.0.1:8221    follower    false',
          '',
        ].join('\n'),
      );
      const json = await cli.run(['operator', 'raft', 'list-peers', '-format=json']);
      assert.deepEqual((JSON.parse(json.out) as { data: unknown }).data, CONFIGURATION);
    });

    it('saves a snapshot through a standby redirect, with plain progress lines', async () => {
      const file = join(cli.home, 'backup.snap');
      const other = new CliEnv(standby.address, { VAULT_TOKEN: 'hvs.ROOT' });
      try {
        const result = await other.run(['operator', 'raft', 'snapshot', 'save', file]);
        assert.equal(result.status, 0, result.err);
        assert.deepEqual(readFileSync(file), snapshot);
        assert.equal(
          result.err,
          `Saving snapshot to ${file}...\nSnapshot saved: 200000 bytes to ${file}\n`,
        );
        assert.equal(fake.requests[0]?.headers['x-vault-token'], 'hvs.ROOT');
      } finally {
        other.cleanup();
      }
    });

    it('restores a snapshot, to snapshot-force with -force', async () => {
      const file = join(cli.home, 'backup.snap');
      writeFileSync(file, snapshot);
      const result = await cli.run(['operator', 'raft', 'snapshot', 'restore', file]);
      assert.equal(result.status, 0, result.err);
      assert.deepEqual(restored, snapshot);
      assert.equal(fake.requests[0]?.headers['content-type'], 'application/octet-stream');
      assert.equal(fake.requests[0]?.method, 'POST');

      assert.equal(
        result.err,
        `Restoring snapshot from ${file}...\nSnapshot restored: 200000 bytes from ${file}\n`,
      );

      await cli.run(['operator', 'raft', 'snapshot', 'restore', '-force', file]);
      assert.equal(fake.requests[1]?.url, '/v1/sys/storage/raft/snapshot-force');

      const nowhere = join(cli.home, 'x');
      const missing = await cli.run(['operator', 'raft', 'snapshot', 'restore', nowhere]);
      assert.equal(missing.status, 1);
      assert.match(missing.err, /^Error reading the snapshot file /);
    });

    it('draws a progress bar and a spinner on a terminal, then prints one line', async () => {
      const drawn: string[] = [];
      const terminal = Object.assign(
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            drawn.push(chunk.toString('utf8'));
            done();
          },
        }),
        { isTTY: true, columns: 100 },
      );
      const progressStream = terminal as unknown as NodeJS.WritableStream;
      const file = join(cli.home, 'backup.snap');

      const save = await cli.run(['operator', 'raft', 'snapshot', 'save', file], {
        progressStream,
      });
      assert.equal(save.status, 0, save.err);
      assert.equal(save.err, `Snapshot saved: 200000 bytes to ${file}\n`);
      assert.match(drawn.join(''), /Saving snapshot to .*\[[^\]]+\] \d+% \| \d+\/200000 bytes/);

      drawn.length = 0;
      const restore = await cli.run(['operator', 'raft', 'snapshot', 'restore', file], {
        progressStream,
      });
      assert.equal(restore.err, `Snapshot restored: 200000 bytes from ${file}\n`);
      assert.match(drawn.join(''), /Restoring snapshot from .*\| \d+\/200000 bytes/);

      drawn.length = 0;
      const joined = await cli.run(['operator', 'raft', 'join', 'https://127.0.0.1:8200'], {
        progressStream,
      });
      assert.equal(joined.status, 0, joined.err);
      assert.equal(joined.err, '');
      assert.match(drawn.join(''), /^\rJoining https:\/\/127\.0\.0\.1:8200 [|/\\-]/);
    });

    it('joins with the leader CA read from @file and -non-voter', async () => {
      const ca = join(cli.home, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n');
      const result = await cli.run([
        'operator',
        'raft',
        'join',
        `-leader-ca-cert=@${ca}`,
        '-non-voter',
        'https://127.0.0.1:8200',
      ]);
      assert.equal(result.status, 0, result.err);
      assert.match(result.out, /\nJoined +true\n$/);
      assert.equal(result.err, 'Joining https://127.0.0.1:8200...\n');
      const body = fake.requests[0]?.json as Record<string, unknown>;
      assert.equal(body.leader_api_addr, 'https://127.0.0.1:8200');
      assert.match(String(body.leader_ca_cert), /^-----BEGIN CERTIFICATE-----/);
      assert.equal(body.non_voter, true);
      assert.equal(body.retry, false);

      const valued = ['-non-voter=false', '-retry=true', 'https://127.0.0.1:8200'];
      assert.equal((await cli.run(['operator', 'raft', 'join', ...valued])).status, 0);
      const second = fake.requests[1]?.json as Record<string, unknown>;
      assert.deepEqual([second.non_voter, second.retry], [false, true]);
    });

    it('removes a peer and prints autopilot state', async () => {
      const removed = await cli.run(['operator', 'raft', 'remove-peer', 'node3']);
      assert.equal(removed.out, 'Peer removed successfully!\n');
      assert.deepEqual(fake.requests[0]?.json, { server_id: 'node3' });

      const state = await cli.run(['operator', 'raft', 'autopilot', 'state']);
      assert.equal(state.status, 0, state.err);
      assert.match(state.out, /^Healthy: +true\nFailure Tolerance: +1\nLeader: +node1\n/);
      assert.match(state.out, /\nLeader: +node1\nOptimistic Failure Tolerance: +1\nVoters:\n/);
      assert.match(state.out, /\nVoters:\n {3}node1\n {3}node2\n/);
      assert.match(state.out, /\n {3}node1\n {6}Name: +node1\n/);
      assert.match(state.out, /\n {6}Stable Since: +2024-01-01T00:00:00\.000Z\n/);
      assert.match(state.out, /\n {6}Node Type: +voter\n$/);
      const leader = await cli.run(['operator', 'raft', 'autopilot', 'state', '-field=leader']);
      assert.equal(leader.out, 'node1');
    });
  });

  describe('against a real node', () => {
    let node: Node;
    let cli: CliEnv;

    before(async () => {
      const started = await startHttpNode();
      node = started.node;
      const { rootToken } = await initAndUnsealOverHttp(node.app);
      cli = new CliEnv(started.address, { VAULT_TOKEN: rootToken });
    });

    after(async () => {
      await node.server.close();
      cli.cleanup();
    });

    it('lists the one server of a single-node cluster as the leader', async () => {
      const result = await cli.run(['operator', 'raft', 'list-peers']);
      assert.equal(result.status, 0, result.err);
      assert.match(result.out, /^Node +Address +State +Voter\n/);
      assert.match(result.out, /\n\S+ +\S+ +leader +true\n$/);
    });

    it("prints a single node's autopilot state: healthy, tolerating no failure", async () => {
      const result = await cli.run(['operator', 'raft', 'autopilot', 'state']);
      assert.equal(result.status, 0, result.err);
      assert.match(result.out, /^Healthy: +true\nFailure Tolerance: +0\n/);
      assert.match(result.out, /\n {6}Status: +leader\n/);
    });

    it('exits 2 when the node refuses to remove its only server', async () => {
      const result = await cli.run(['operator', 'raft', 'remove-peer', 'nobody']);
      assert.equal(result.status, 2);
      assert.match(result.err, /^Error removing the peer from the Raft cluster: Error making API/);
    });
  });
});
