/**
 * One behavioural suite for every `Transport` implementation, so the in-memory twin used by
 * integration tests cannot drift from the real WebSocket transport on the basics.
 */
import assert from 'node:assert/strict';
import type { NodeId } from '../../../src/raft/core/types.js';
import {
  RemoteRequestError,
  RequestTimeoutError,
  TransportStoppedError,
  UnknownPeerError,
} from '../../../src/raft/transport/errors.js';
import type { Transport } from '../../../src/raft/transport/types.js';
import { append, collect, heartbeat, snapshotMessage, waitFor } from './helpers.js';
import type { Collected } from './helpers.js';

/** Three started transports, n1..n3, each with the other two as peers. */
export interface TransportHarness {
  transports: Map<NodeId, Transport>;
  /** The peer map (id → address) holding the given nodes. */
  peerMap(ids: NodeId[]): Map<NodeId, string>;
  close(): Promise<void>;
}

export const NODE_IDS = ['n1', 'n2', 'n3'];

export function describeTransportConformance(
  name: string,
  createHarness: () => Promise<TransportHarness>,
): void {
  describe(`${name} (Transport conformance)`, () => {
    let harness: TransportHarness;
    let collected: Map<NodeId, Collected>;
    const node = (id: NodeId): Transport => {
      const transport = harness.transports.get(id);
      if (transport === undefined) throw new Error(`no transport ${id}`);
      return transport;
    };
    const events = (id: NodeId): Collected => {
      const found = collected.get(id);
      if (found === undefined) throw new Error(`no collector ${id}`);
      return found;
    };

    beforeEach(async () => {
      harness = await createHarness();
      collected = new Map(NODE_IDS.map((id) => [id, collect(node(id))]));
    });

    afterEach(async () => {
      await harness.close();
    });

    it('delivers messages both ways between three transports', async () => {
      const payload = new Uint8Array([0, 1, 2, 250, 255]);
      for (const from of NODE_IDS) {
        const others = NODE_IDS.filter((id) => id !== from);
        node(from).send(
          others.flatMap((to) => [heartbeat(from, to, 11), append(from, to, payload)]),
        );
      }

      await waitFor('four messages at every node', () =>
        NODE_IDS.every((id) => events(id).messages.length === 4),
      );
      for (const id of NODE_IDS) {
        const received = events(id).messages;
        assert.ok(received.every((m) => m.to === id));
        const senders = NODE_IDS.filter((other) => other !== id);
        assert.deepEqual(
          new Set(received.map((m) => `${m.from}:${m.type}`)),
          new Set(senders.flatMap((f) => [`${f}:heartbeat`, `${f}:append`])),
        );
        const appended = received.find((m) => m.type === 'append');
        assert.ok(appended?.type === 'append');
        const [entry, config] = appended.entries;
        assert.ok(entry?.kind === 'normal');
        assert.deepEqual([...entry.data], [...payload]);
        assert.deepEqual(config, append('x', 'y', payload).entries[1]);
      }
    });

    it('reports unreachable when a message targets a node outside the peer set', async () => {
      node('n1').send([heartbeat('n1', 'n7')]);
      await waitFor('unreachable n7', () => events('n1').unreachable.includes('n7'));
      assert.equal(node('n1').peerStatus('n7'), undefined);
    });

    it('refuses messages from a peer removed from the set', async () => {
      node('n2').send([heartbeat('n2', 'n1')]);
      node('n3').send([heartbeat('n3', 'n1')]);
      await waitFor('first messages', () => events('n1').messages.length === 2);

      node('n1').setPeers(harness.peerMap(['n2']));
      const before = events('n1').messages.length;
      events('n3').unreachable.length = 0;
      await waitFor('n3 sees n1 unreachable', () => {
        node('n3').send([heartbeat('n3', 'n1')]);
        return events('n3').unreachable.includes('n1');
      });
      node('n2').send([heartbeat('n2', 'n1', 99)]);
      await waitFor('n2 still delivers', () =>
        events('n1').messages.some((m) => m.type === 'heartbeat' && m.readSeq === 99),
      );

      const after = events('n1').messages.slice(before);
      assert.ok(after.every((m) => m.from !== 'n3'), 'no message from n3 after its removal');
      assert.equal(node('n1').peerStatus('n3'), undefined);
    });

    it('answers a request and relays a remote error code', async () => {
      node('n2').onRequest(async (from, payload) => {
        if (payload[0] === 0) {
          throw Object.assign(new Error('not the leader'), { code: 'not_leader' });
        }
        return new Uint8Array([...new TextEncoder().encode(from), ...payload]);
      });

      const answer = await node('n1').request('n2', new Uint8Array([7, 8]), 2000);
      assert.deepEqual([...answer], [...new TextEncoder().encode('n1'), 7, 8]);

      await assert.rejects(node('n1').request('n2', new Uint8Array([0]), 2000), (err) => {
        assert.ok(err instanceof RemoteRequestError);
        assert.equal(err.remoteCode, 'not_leader');
        return true;
      });
    });

    it('fails a request with no_handler when the peer has no request handler', async () => {
      await assert.rejects(node('n1').request('n3', new Uint8Array([1]), 2000), (err) => {
        assert.ok(err instanceof RemoteRequestError);
        assert.equal(err.remoteCode, 'no_handler');
        return true;
      });
    });

    it('times out a request that gets no answer', async () => {
      node('n2').onRequest(() => new Promise<Uint8Array>(() => undefined));
      await assert.rejects(node('n1').request('n2', new Uint8Array([1]), 50), RequestTimeoutError);
    });

    it('rejects a request to a node outside the peer set', async () => {
      await assert.rejects(node('n1').request('n7', new Uint8Array([1]), 1000), UnknownPeerError);
    });

    it('delivers a snapshot and reports its status', async () => {
      const data = new Uint8Array(64 * 1024).map((_, i) => (i * 31) % 256);
      node('n1').send([snapshotMessage('n1', 'n2', data)]);

      await waitFor('snapshot status', () => events('n1').snapshotStatus.length === 1);
      assert.deepEqual(events('n1').snapshotStatus, [{ peer: 'n2', ok: true }]);
      const received = events('n2').messages[0];
      assert.ok(received?.type === 'snapshot');
      assert.equal(received.snapshot.meta.index, 40);
      assert.ok(Buffer.from(received.snapshot.data).equals(Buffer.from(data)));
    });

    it('rejects pending and new requests once stopped', async () => {
      node('n2').onRequest(() => new Promise<Uint8Array>(() => undefined));
      const pending = node('n1').request('n2', new Uint8Array([1]), 5000);
      await node('n1').stop();
      await assert.rejects(pending, TransportStoppedError);
      await assert.rejects(
        node('n1').request('n2', new Uint8Array([1]), 100),
        TransportStoppedError,
      );
    });
  });
}
