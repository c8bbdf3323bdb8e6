/**
 * Starting real WebSocket transports on 127.0.0.1 with OS-chosen ports, and a hand-driven fake
 * peer that speaks raw frames, for the tests that need to misbehave on purpose.
 */
import WebSocket from 'ws';
import { WsTransport } from '../../../src/raft/transport/ws-transport.js';
import type { TransportLimits, TransportTls } from '../../../src/raft/transport/options.js';
import { decodeFrame, encodeFrame } from '../../../src/raft/transport/frames.js';
import type { Frame } from '../../../src/raft/transport/frames.js';
import { CLUSTER_PATH } from '../../../src/raft/transport/peer-link.js';
import type { Logger } from '../../../src/util/logger.js';
import { tlsFor, waitFor } from './helpers.js';

/** Short delays so reconnects happen within a test's time. */
export const FAST_LIMITS: Partial<TransportLimits> = {
  reconnectBaseMs: 10,
  reconnectMaxMs: 100,
  dialTimeoutMs: 2000,
  pingIntervalMs: 1000,
};

export interface NodeOptions {
  tls?: TransportTls;
  limits?: Partial<TransportLimits>;
  logger?: Logger;
  listen?: string;
}

/** Starts a transport for `id` (not yet connected to anyone). */
export async function startNode(id: string, options: NodeOptions = {}): Promise<WsTransport> {
  const transport = new WsTransport({
    nodeId: id,
    listen: options.listen ?? '127.0.0.1:0',
    tls: options.tls ?? tlsFor(id),
    logger: options.logger,
    limits: { ...FAST_LIMITS, ...options.limits },
  });
  await transport.start();
  return transport;
}

/** Gives every transport the others as peers. */
export function connectAll(transports: WsTransport[]): void {
  const peers = new Map(transports.map((t) => [t.nodeId, t.address()]));
  for (const transport of transports) transport.setPeers(peers);
}

/** A raw client that authenticates as `id` and exchanges frames by hand. */
export class FakePeer {
  readonly received: Frame[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.received.push(decodeFrame(data)));
  }

  static async dial(id: string, address: string): Promise<FakePeer> {
    const tls = tlsFor(id);
    const ws = new WebSocket(`wss://${address}${CLUSTER_PATH}`, {
      ca: tls.caPem,
      cert: tls.certPem,
      key: tls.keyPem,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new FakePeer(ws);
  }

  send(frame: Frame): void {
    this.ws.send(encodeFrame(frame));
  }

  sendRaw(data: Buffer | string): void {
    this.ws.send(data);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Waits for a frame matching `predicate` and returns it. */
  async expect<T extends Frame>(what: string, predicate: (frame: Frame) => frame is T): Promise<T> {
    let found: T | undefined;
    await waitFor(what, () => {
      found = this.received.find(predicate);
      return found !== undefined;
    });
    return found as T;
  }

  close(): void {
    this.ws.terminate();
  }
}
