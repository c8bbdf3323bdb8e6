/**
 * The transport's `localAddress` option: outbound connections leave from the address a node is
 * configured with, which is what lets packet filters cut links between nodes by address. Linux
 * routes all of 127.0.0.0/8 on the loopback interface, so 127.0.0.5 needs no setup.
 */
import assert from 'node:assert/strict';
import { TransportConfigError } from '../../../src/raft/transport/errors.js';
import { outboundAddressFor } from '../../../src/raft/transport/options.js';
import { WsTransport } from '../../../src/raft/transport/ws-transport.js';
import { collect, heartbeat, recordingLogger, tlsFor, waitFor } from './helpers.js';
import type { LogEntry } from './helpers.js';
import { FAST_LIMITS, connectAll, startNode } from './ws-support.js';

/** The source address `peer`'s connection came from, as the accepting side logged it. */
function acceptedFrom(entries: LogEntry[], peer: string): unknown {
  const accepted = entries.find(
    (e) => e.message === 'accepted connection from peer' && e.fields.peer === peer,
  );
  return accepted?.fields.remote;
}

describe('WsTransport local address', () => {
  const open: WsTransport[] = [];

  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.stop()));
  });

  it('dials peers from the configured local address', async () => {
    const n1 = new WsTransport({
      nodeId: 'n1',
      listen: '127.0.0.1:0',
      localAddress: '127.0.0.5',
      tls: tlsFor('n1'),
      limits: FAST_LIMITS,
    });
    open.push(n1);
    await n1.start();
    const log = recordingLogger();
    const n2 = await startNode('n2', { logger: log.logger });
    open.push(n2);
    const at2 = collect(n2);
    connectAll([n1, n2]);

    await waitFor('a heartbeat from n1 reaches n2', () => {
      n1.send([heartbeat('n1', 'n2')]);
      return at2.messages.length > 0;
    });
    assert.equal(acceptedFrom(log.entries, 'n1'), '127.0.0.5');
  });

  it('leaves the source address to the OS when no local address is set', async () => {
    const log = recordingLogger();
    const n1 = await startNode('n1');
    const n2 = await startNode('n2', { logger: log.logger });
    open.push(n1, n2);
    const at2 = collect(n2);
    connectAll([n1, n2]);

    await waitFor('a heartbeat from n1 reaches n2', () => {
      n1.send([heartbeat('n1', 'n2')]);
      return at2.messages.length > 0;
    });
    assert.equal(acceptedFrom(log.entries, 'n1'), '127.0.0.1');
  });

  it('rejects a local address that is not an IP address', () => {
    const make = (localAddress: string) => () =>
      new WsTransport({ nodeId: 'n1', listen: '127.0.0.1:0', localAddress, tls: tlsFor('n1') });
    assert.throws(make('localhost'), TransportConfigError);
    assert.throws(make('127.0.0.1:8201'), TransportConfigError);
    assert.throws(make(''), TransportConfigError);
  });

  describe('outboundAddressFor', () => {
    it('binds to the host of a listener on a specific IP address', () => {
      assert.equal(outboundAddressFor('127.0.0.2:8201'), '127.0.0.2');
      assert.equal(outboundAddressFor('10.1.2.3:0'), '10.1.2.3');
      assert.equal(outboundAddressFor('[::1]:8201'), '::1');
    });

    it('leaves wildcard listeners and host names to the OS', () => {
      assert.equal(outboundAddressFor('0.0.0.0:8201'), undefined);
      assert.equal(outboundAddressFor('[::]:8201'), undefined);
      assert.equal(outboundAddressFor('[0:0:0:0:0:0:0:0]:8201'), undefined);
      assert.equal(outboundAddressFor('node1.example:8201'), undefined);
      assert.equal(outboundAddressFor('not an address'), undefined);
    });
  });
});
