import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import {
  PeerUnreachableError,
  TransportConfigError,
} from '../../../src/raft/transport/errors.js';
import { WsTransport } from '../../../src/raft/transport/ws-transport.js';
import type { Transport } from '../../../src/raft/transport/types.js';
import type { Message } from '../../../src/raft/core/types.js';
import {
  append,
  clusterMaterial,
  collect,
  heartbeat,
  recordingLogger,
  settle,
  tlsFor,
  waitFor,
} from './helpers.js';
import type { LogEntry } from './helpers.js';
import { NODE_IDS, describeTransportConformance } from './transport-conformance.js';
import { connectAll, startNode } from './ws-support.js';

describeTransportConformance('WsTransport', async () => {
  const transports = await Promise.all(NODE_IDS.map((id) => startNode(id)));
  connectAll(transports);
  const addresses = new Map(transports.map((t) => [t.nodeId, t.address()]));
  return {
    transports: new Map<string, Transport>(transports.map((t) => [t.nodeId, t])),
    peerMap: (ids) => new Map(ids.map((id) => [id, addresses.get(id) ?? ''])),
    close: async () => {
      await Promise.all(transports.map((t) => t.stop()));
    },
  };
});

function hasWarn(entries: LogEntry[], message: string, reason: RegExp): boolean {
  return entries.some(
    (e) => e.level === 'warn' && e.message === message && reason.test(String(e.fields.reason)),
  );
}

describe('WsTransport', () => {
  const open: WsTransport[] = [];
  const start = async (...args: Parameters<typeof startNode>): Promise<WsTransport> => {
    const transport = await startNode(...args);
    open.push(transport);
    return transport;
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.stop()));
  });

  describe('authentication', () => {
    it('refuses a peer whose certificate comes from another CA, in both directions', async () => {
      const { ca, foreignN2 } = clusterMaterial();
      const log = recordingLogger();
      const n1 = await start('n1', { logger: log.logger });
      // The intruder knows the cluster CA certificate (it is not secret) but holds no
      // certificate the CA signed.
      const intruder = await start('n2', {
        tls: { caPem: ca.certPem, certPem: foreignN2.certPem, keyPem: foreignN2.keyPem },
      });
      const at1 = collect(n1);
      n1.setPeers(new Map([['n2', intruder.address()]]));
      intruder.setPeers(new Map([['n1', n1.address()]]));

      await waitFor('n1 refuses the inbound connection and its own dial', () => {
        intruder.send([heartbeat('n2', 'n1')]);
        return (
          hasWarn(log.entries, 'refused cluster connection', /UNABLE_TO_VERIFY_LEAF_SIGNATURE/) &&
          hasWarn(log.entries, 'peer connection refused', /unable to verify/)
        );
      });
      await settle();
      assert.equal(at1.messages.length, 0);
      assert.equal(n1.peerStatus('n2')?.connected, false);
      assert.equal(intruder.peerStatus('n1')?.connected, false);
    });

    it('refuses a node of another cluster that trusts only its own CA', async () => {
      const { foreignCa, foreignN2 } = clusterMaterial();
      const log = recordingLogger();
      const n1 = await start('n1', { logger: log.logger });
      const stranger = await start('n2', {
        tls: { caPem: foreignCa.certPem, certPem: foreignN2.certPem, keyPem: foreignN2.keyPem },
      });
      const at1 = collect(n1);
      const atStranger = collect(stranger);
      n1.setPeers(new Map([['n2', stranger.address()]]));
      stranger.setPeers(new Map([['n1', n1.address()]]));

      await waitFor('both dials fail', () => {
        stranger.send([heartbeat('n2', 'n1')]);
        n1.send([heartbeat('n1', 'n2')]);
        return at1.unreachable.includes('n2') && atStranger.unreachable.includes('n1');
      });
      assert.ok(hasWarn(log.entries, 'peer connection refused', /certificate/));
      assert.equal(at1.messages.length + atStranger.messages.length, 0);
    });

    it('refuses a peer whose certificate names a node outside the peer set', async () => {
      const log = recordingLogger();
      const n1 = await start('n1', { logger: log.logger });
      const n2 = await start('n2');
      const n9 = await start('n9');
      const at1 = collect(n1);
      const at9 = collect(n9);
      connectAll([n1, n2]);
      n9.setPeers(new Map([['n1', n1.address()]]));

      await waitFor('n1 refuses n9', () => {
        n9.send([heartbeat('n9', 'n1')]);
        return hasWarn(log.entries, 'refused cluster connection', /not in the peer set/);
      });
      await waitFor('n9 sees n1 unreachable', () => at9.unreachable.includes('n1'));
      n2.send([heartbeat('n2', 'n1', 5)]);
      await waitFor('n2 still gets through', () => at1.messages.length > 0);
      assert.ok(at1.messages.every((m) => m.from === 'n2'));
      const refusal = log.entries.find((e) => e.message === 'refused cluster connection');
      assert.equal(refusal?.fields.peer, 'n9');
    });

    it('refuses a server whose certificate names another node than the one dialed', async () => {
      const log = recordingLogger();
      const n1 = await start('n1', { logger: log.logger });
      const n3 = await start('n3');
      const at3 = collect(n3);
      n3.setPeers(new Map([['n1', n1.address()]]));
      n1.setPeers(new Map([['n2', n3.address()]]));

      await waitFor('n1 refuses n3 posing as n2', () =>
        hasWarn(log.entries, 'peer connection refused', /names n3/),
      );
      n1.send([heartbeat('n1', 'n2')]);
      await settle();
      assert.equal(at3.messages.length, 0);
      assert.equal(n1.peerStatus('n2')?.connected, false);
    });
  });

  describe('membership', () => {
    it('disconnects a removed peer and refuses its reconnection with a logged reason', async () => {
      const log = recordingLogger();
      const n1 = await start('n1', { logger: log.logger });
      const n2 = await start('n2');
      connectAll([n1, n2]);
      await waitFor('connected both ways', () =>
        Boolean(n1.peerStatus('n2')?.connected && n2.peerStatus('n1')?.connected),
      );

      n1.setPeers(new Map());
      await waitFor('n2 sees the connection closed and the redial refused', () =>
        hasWarn(log.entries, 'refused cluster connection', /not in the peer set/),
      );
      assert.equal(n2.peerStatus('n1')?.connected, false);
    });

    it('reconnects to a peer that restarted on the same address', async () => {
      const n1 = await start('n1');
      let n2 = await start('n2');
      const address = n2.address();
      const at1 = collect(n1);
      connectAll([n1, n2]);
      await waitFor('connected', () => Boolean(n1.peerStatus('n2')?.connected));

      await n2.stop();
      await waitFor('n2 reported unreachable', () => at1.unreachable.includes('n2'));

      n2 = await start('n2', { listen: address });
      const at2 = collect(n2);
      n2.setPeers(new Map([['n1', n1.address()]]));
      await waitFor('messages flow again both ways', () => {
        n1.send([heartbeat('n1', 'n2')]);
        n2.send([heartbeat('n2', 'n1', 42)]);
        const back = at1.messages.some((m) => m.type === 'heartbeat' && m.readSeq === 42);
        return at2.messages.length > 0 && back;
      });
    });
  });

  describe('batching', () => {
    it('delivers what one send has for a peer in order, through one frame', async () => {
      const n1 = await start('n1');
      const n2 = await start('n2');
      const n3 = await start('n3');
      const at2 = collect(n2);
      const at3 = collect(n3);
      connectAll([n1, n2, n3]);
      const sent = [
        heartbeat('n1', 'n2', 1),
        heartbeat('n1', 'n3', 1),
        append('n1', 'n2', new Uint8Array([1])),
        heartbeat('n1', 'n2', 2),
        append('n1', 'n3', new Uint8Array([2])),
      ];
      n1.send(sent);
      await waitFor('every message', () => at2.messages.length === 3 && at3.messages.length === 2);
      const shape = (m: Message): string => `${m.type}:${m.type === 'heartbeat' ? m.readSeq : ''}`;
      assert.deepEqual(at2.messages.map(shape), ['heartbeat:1', 'append:', 'heartbeat:2']);
      assert.deepEqual(at3.messages.map(shape), ['heartbeat:1', 'append:']);
    });
  });

  describe('outbound queue', () => {
    let blackhole: Server;
    const held: Socket[] = [];

    // A listener that accepts TCP connections and never answers, so dials hang in the handshake
    // and everything sent to the peer waits in the queue.
    beforeEach(async () => {
      blackhole = createServer((socket) => held.push(socket));
      await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    });

    afterEach(async () => {
      for (const socket of held.splice(0)) socket.destroy();
      await new Promise((resolve) => blackhole.close(resolve));
    });

    const blackholeAddress = (): string => `127.0.0.1:${(blackhole.address() as AddressInfo).port}`;

    it('drops messages past the frame bound and reports the peer unreachable once', async () => {
      const n1 = await start('n1', { limits: { maxQueuedFrames: 8, dialTimeoutMs: 10_000 } });
      const at1 = collect(n1);
      n1.setPeers(new Map([['n2', blackholeAddress()]]));

      // One send per message: each becomes a frame of its own.
      for (let i = 0; i < 100; i++) n1.send([heartbeat('n1', 'n2', i)]);
      await settle();
      assert.equal(n1.peerStatus('n2')?.queuedFrames, 8);
      assert.equal(n1.peerStatus('n2')?.droppedMessages, 92);
      assert.deepEqual(at1.unreachable, ['n2']);
    });

    it('queues the messages of one send to a peer as one frame', async () => {
      const n1 = await start('n1', { limits: { maxQueuedFrames: 8, dialTimeoutMs: 10_000 } });
      n1.setPeers(new Map([['n2', blackholeAddress()]]));

      n1.send(Array.from({ length: 100 }, (_, i) => heartbeat('n1', 'n2', i)));
      assert.equal(n1.peerStatus('n2')?.queuedFrames, 1);
      assert.equal(n1.peerStatus('n2')?.droppedMessages, 0);
    });

    it('splits a send into one frame per message when together they exceed the frame bound', async () => {
      const limits = { maxFrameBytes: 3000, snapshotChunkBytes: 1024, dialTimeoutMs: 10_000 };
      const n1 = await start('n1', { limits });
      n1.setPeers(new Map([['n2', blackholeAddress()]]));

      const data = new Uint8Array(1000);
      n1.send(Array.from({ length: 4 }, () => append('n1', 'n2', data)));
      assert.equal(n1.peerStatus('n2')?.queuedFrames, 4);
      assert.equal(n1.peerStatus('n2')?.droppedMessages, 0);
    });

    it('drops messages past the byte bound', async () => {
      const n1 = await start('n1', { limits: { maxQueuedBytes: 4096, dialTimeoutMs: 10_000 } });
      n1.setPeers(new Map([['n2', blackholeAddress()]]));

      const data = new Uint8Array(1000);
      for (let i = 0; i < 10; i++) n1.send([append('n1', 'n2', data)]);
      const status = n1.peerStatus('n2');
      assert.ok(status !== undefined);
      assert.ok(status.queuedBytes <= 4096, `queued ${status.queuedBytes} bytes`);
      assert.equal(status.queuedFrames, 3);
      assert.equal(status.droppedMessages, 7);
    });

    it('fails a pending request when the peer goes away', async () => {
      const n1 = await start('n1');
      const n2 = await start('n2');
      connectAll([n1, n2]);
      n2.onRequest(() => new Promise<Uint8Array>(() => undefined));
      await waitFor('connected', () => Boolean(n1.peerStatus('n2')?.connected));

      const pending = n1.request('n2', new Uint8Array([1]), 10_000);
      await n2.stop();
      await assert.rejects(pending, PeerUnreachableError);
    });
  });

  describe('lifecycle', () => {
    it('rejects start on an address in use and can start again once it is free', async () => {
      const n1 = await start('n1');
      const address = n1.address();
      const n2 = new WsTransport({ nodeId: 'n2', listen: address, tls: tlsFor('n2') });
      open.push(n2);
      await assert.rejects(n2.start(), /EADDRINUSE/);

      await n1.stop();
      await n2.start();
      assert.equal(n2.address(), address);
    });
  });

  describe('options', () => {
    it('rejects invalid options at construction', () => {
      const tls = tlsFor('n1');
      const make = (overrides: object) => () =>
        new WsTransport({ nodeId: 'n1', listen: '127.0.0.1:0', tls, ...overrides });
      assert.throws(make({ listen: 'localhost' }), TransportConfigError);
      assert.throws(make({ nodeId: 'bad id' }), TransportConfigError);
      assert.throws(make({ tls: { ...tls, keyPem: '' } }), TransportConfigError);
      assert.throws(
        make({ limits: { snapshotChunkBytes: 1024 * 1024, maxFrameBytes: 1024 * 1024 } }),
        TransportConfigError,
      );
      assert.throws(make({ limits: { maxQueuedFrames: 0 } }), TransportConfigError);
    });
  });
});
