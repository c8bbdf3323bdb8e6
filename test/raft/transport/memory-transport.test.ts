import assert from 'node:assert/strict';
import { MemoryNetwork } from '../../../src/raft/transport/memory-transport.js';
import type { MemoryTransport } from '../../../src/raft/transport/memory-transport.js';
import type { Message } from '../../../src/raft/core/types.js';
import type { Transport } from '../../../src/raft/transport/types.js';
import { collect, heartbeat, settle, snapshotMessage, waitFor } from './helpers.js';
import { NODE_IDS, describeTransportConformance } from './transport-conformance.js';

function peerMap(ids: string[]): Map<string, string> {
  return new Map(ids.map((id) => [id, `memory:${id}`]));
}

/** Three started transports on one network, each with the other two as peers. */
async function cluster(
  network: MemoryNetwork,
  maxQueuedFrames?: number,
): Promise<MemoryTransport[]> {
  const transports = NODE_IDS.map((id) => network.transport(id, { maxQueuedFrames }));
  for (const transport of transports) {
    transport.setPeers(peerMap(NODE_IDS));
    await transport.start();
  }
  return transports;
}

describeTransportConformance('MemoryTransport', async () => {
  const transports = await cluster(new MemoryNetwork());
  return {
    transports: new Map<string, Transport>(transports.map((t) => [t.nodeId, t])),
    peerMap,
    close: async () => {
      for (const transport of transports) await transport.stop();
    },
  };
});

describe('MemoryNetwork', () => {
  it('delivers nothing in manual mode until deliverAll is called', async () => {
    const network = new MemoryNetwork({ manual: true });
    const [n1, n2] = await cluster(network);
    const received = collect(n2);

    n1.send([heartbeat('n1', 'n2', 1), heartbeat('n1', 'n2', 2)]);
    await settle();
    assert.equal(received.messages.length, 0);
    assert.equal(network.pending(), 2);

    assert.equal(network.deliverAll(), 2);
    await settle();
    assert.deepEqual(
      received.messages.map((m) => (m.type === 'heartbeat' ? m.readSeq : -1)),
      [1, 2],
    );
  });

  it('loses messages across a partition until healed', async () => {
    const network = new MemoryNetwork();
    const [n1, n2, n3] = await cluster(network);
    const at2 = collect(n2);
    const at3 = collect(n3);

    network.partition(['n1'], ['n2']);
    n1.send([heartbeat('n1', 'n2', 1), heartbeat('n1', 'n3', 1)]);
    await waitFor('n3 receives', () => at3.messages.length === 1);
    await settle();
    assert.equal(at2.messages.length, 0);
    assert.equal(n1.peerStatus('n2')?.connected, false);

    network.heal();
    n1.send([heartbeat('n1', 'n2', 2)]);
    await waitFor('n2 receives after heal', () => at2.messages.length === 1);
    assert.equal(n1.peerStatus('n2')?.connected, true);
  });

  it('drops only what the drop filter selects', async () => {
    const network = new MemoryNetwork();
    const [n1, n2] = await cluster(network);
    const at2 = collect(n2);

    network.setDropFilter((e) => e.message?.type === 'heartbeat' && e.message.readSeq % 2 === 1);
    n1.send([1, 2, 3, 4].map((seq) => heartbeat('n1', 'n2', seq)));
    await waitFor('two delivered', () => at2.messages.length === 2);
    await settle();
    assert.deepEqual(
      at2.messages.map((m: Message) => (m.type === 'heartbeat' ? m.readSeq : -1)),
      [2, 4],
    );
  });

  it('reports a failed snapshot across a cut link', async () => {
    const network = new MemoryNetwork();
    const [n1] = await cluster(network);
    const at1 = collect(n1);

    network.block('n1', 'n2');
    n1.send([snapshotMessage('n1', 'n2', new Uint8Array(10))]);
    await waitFor('snapshot status', () => at1.snapshotStatus.length === 1);
    assert.deepEqual(at1.snapshotStatus, [{ peer: 'n2', ok: false }]);
  });

  it('drops instead of queueing past the bound and reports the peer unreachable', async () => {
    const network = new MemoryNetwork({ manual: true });
    const [n1] = await cluster(network, 8);
    const at1 = collect(n1);

    n1.send(Array.from({ length: 100 }, (_, i) => heartbeat('n1', 'n2', i)));
    await settle();
    assert.equal(n1.peerStatus('n2')?.queuedFrames, 8);
    assert.equal(n1.peerStatus('n2')?.droppedMessages, 92);
    assert.ok(at1.unreachable.includes('n2'));
    network.deliverAll();
    assert.equal(n1.peerStatus('n2')?.queuedFrames, 0);
  });

  it('refuses a second started transport with the same node id', async () => {
    const network = new MemoryNetwork();
    await network.transport('n1').start();
    await assert.rejects(network.transport('n1').start(), /already has a started node n1/);
  });
});
