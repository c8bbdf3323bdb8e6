/**
 * The outbound half of the link to one peer: one WebSocket over mutual TLS that this node dials
 * and keeps dialing, a bounded queue of encoded frames, the snapshot being streamed, and the
 * requests waiting for answers. The peer answers requests and snapshots on the same socket.
 */
import { isIP } from 'node:net';
import type { TcpNetConnectOpts } from 'node:net';
import { checkServerIdentity, connect } from 'node:tls';
import type { ConnectionOptions, PeerCertificate, TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import type { Message, NodeId, SnapshotRequest } from '../core/types.js';
import type { Logger } from '../../util/logger.js';
import type { Random } from '../../util/random.js';
import { certificateCommonName } from '../../util/tls.js';
import {
  PeerUnreachableError,
  RemoteRequestError,
  RequestTimeoutError,
  RequestTooLargeError,
} from './errors.js';
import { decodeFrame, encodeFrame } from './frames.js';
import type { Frame } from './frames.js';
import { backoffDelay } from './options.js';
import type { TransportLimits, TransportTls } from './options.js';
import { SnapshotWriter } from './snapshot-stream.js';
import type { PeerStatus } from './types.js';

/** The WebSocket path of the cluster channel; anything else is refused. */
export const CLUSTER_PATH = '/coffer/raft/v1';

/** What a link needs from its transport. */
export interface PeerLinkContext {
  self: NodeId;
  tls: TransportTls;
  /** The local IP address outbound connections bind to; undefined lets the OS choose. */
  localAddress: string | undefined;
  limits: TransportLimits;
  random: Random;
  logger: Logger;
  /** The link lost frames or its connection. */
  unreachable(peer: NodeId): void;
  snapshotStatus(peer: NodeId, ok: boolean): void;
}

type LinkState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

interface PendingRequest {
  resolve(payload: Uint8Array): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface OutboundSnapshot {
  writer: SnapshotWriter;
  ackTimer: NodeJS.Timeout | null;
}

/** Network-level failures that say nothing about identity: logged at debug, not warn. */
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EADDRNOTAVAIL',
]);

export class PeerLink {
  private state: LinkState = 'idle';
  private ws: WebSocket | null = null;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private unflushedBytes = 0;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private pongSeen = true;
  private snapshot: OutboundSnapshot | null = null;
  private nextSnapshotId = 1;
  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private droppedMessages = 0;
  /** Set once an overflow was reported; cleared when a frame is flushed again. */
  private overflowReported = false;
  /** The last dial failure logged at warn, so a peer that keeps refusing does not flood the log. */
  private lastWarnedReason = '';

  constructor(
    readonly peer: NodeId,
    readonly address: string,
    private readonly ctx: PeerLinkContext,
  ) {}

  /** Starts dialing; later failures redial with backoff until {@link close}. */
  connect(): void {
    if (this.state === 'idle') this.dial();
  }

  /**
   * Encodes and queues messages (no snapshots) as one frame, or one frame each when together
   * they exceed the frame limit; drops what does not fit the queue (and reports the peer).
   */
  sendMessages(messages: readonly Message[]): void {
    if (this.state === 'closed' || messages.length === 0) return;
    if (messages.length > 1) {
      const frame = encodeFrame({ kind: 'msgs', messages: messages as Message[] });
      if (frame.length <= this.ctx.limits.maxFrameBytes) {
        if (!this.enqueue(frame)) this.drop(messages.length);
        return;
      }
    }
    for (const message of messages) this.sendMessage(message);
  }

  /** Encodes and queues one message; drops it (and reports the peer) if the queue is full. */
  sendMessage(message: Message): void {
    if (this.state === 'closed') return;
    const frame = encodeFrame({ kind: 'msg', message });
    if (frame.length > this.ctx.limits.maxFrameBytes) {
      this.ctx.logger.warn(
        { peer: this.peer, type: message.type, bytes: frame.length },
        'dropped message larger than the frame limit',
      );
      this.drop();
      return;
    }
    if (!this.enqueue(frame)) this.drop();
  }

  /**
   * Streams a snapshot message. Only one snapshot streams at a time per peer: a second one while
   * the first is in flight fails at once.
   */
  sendSnapshot(message: SnapshotRequest): void {
    if (this.state === 'closed') return;
    if (this.snapshot !== null) {
      this.ctx.snapshotStatus(this.peer, false);
      return;
    }
    const { snapshotChunkBytes } = this.ctx.limits;
    const writer = new SnapshotWriter(this.nextSnapshotId++, message, snapshotChunkBytes);
    this.snapshot = { writer, ackTimer: null };
    this.pump();
  }

  /** Sends a request frame and waits for its answer; see `Transport.request`. */
  request(payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const id = this.nextRequestId++;
    const frame = encodeFrame({ kind: 'req', id, payload });
    if (frame.length > this.ctx.limits.maxFrameBytes) {
      return Promise.reject(new RequestTooLargeError(this.peer, frame.length));
    }
    if (this.state === 'closed' || !this.enqueue(frame)) {
      return Promise.reject(new PeerUnreachableError(this.peer, 'outbound queue full'));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestTimeoutError(this.peer, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  /**
   * Closes the link for good: no more dials or handler calls. Pending requests fail with
   * `error`, and queued frames and an in-flight snapshot are dropped without a status report.
   */
  close(error: Error): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.teardownSocket();
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (this.snapshot?.ackTimer) clearTimeout(this.snapshot.ackTimer);
    this.snapshot = null;
    this.failPending(error);
  }

  status(): PeerStatus {
    return {
      peer: this.peer,
      address: this.address,
      connected: this.state === 'open',
      queuedFrames: this.queue.length,
      queuedBytes: this.queuedBytes,
      droppedMessages: this.droppedMessages,
    };
  }

  // Connection lifecycle: dial, open, close, backoff, redial.

  private dial(): void {
    const { limits } = this.ctx;
    this.state = 'connecting';
    let failure = '';
    let handshakeDone = false;

    const ws = new WebSocket(`wss://${this.address}${CLUSTER_PATH}`, {
      // ws's typings declare createConnection as net's overloaded function; ours takes the one
      // options form ws calls it with.
      createConnection: ((options: { host?: string; port?: number }) => {
        const socket = this.connectTls(options.host ?? '', Number(options.port));
        socket.once('secureConnect', () => {
          handshakeDone = true;
        });
        return socket;
      }) as unknown as ClientOptions['createConnection'],
      handshakeTimeout: limits.dialTimeoutMs,
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: false,
      followRedirects: false,
    });
    this.ws = ws;

    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
    ws.on('pong', () => {
      this.pongSeen = true;
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // A server that refuses our certificate closes the socket right after the handshake,
      // without a reason we can read (Node verifies client certificates only then).
      const refusedAfterHandshake = handshakeDone && err.code === 'ECONNRESET';
      failure = refusedAfterHandshake
        ? 'closed by peer after TLS handshake'
        : (err.code ?? err.message);
      this.logFailure(err, failure, refusedAfterHandshake);
    });
    ws.on('close', () => {
      if (this.ws === ws) this.onClose(failure || 'connection closed');
    });
  }

  /**
   * Opens the TLS connection under the WebSocket. Besides the CA chain and the usual host name
   * check, the server must prove it is the node we meant to reach: its CN is the peer id dialed.
   */
  private connectTls(host: string, port: number): TLSSocket {
    const { tls } = this.ctx;
    const expected = this.peer;
    // tls.connect hands socket options such as localAddress on to net (Node's tls.connect docs);
    // @types/node leaves that one out of ConnectionOptions.
    const options: ConnectionOptions & Pick<TcpNetConnectOpts, 'localAddress'> = {
      host,
      port,
      localAddress: this.ctx.localAddress,
      servername: isIP(host) === 0 ? host : undefined,
      ca: tls.caPem,
      cert: tls.certPem,
      key: tls.keyPem,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      checkServerIdentity: (name: string, cert: PeerCertificate) => {
        const hostError = checkServerIdentity(name, cert);
        if (hostError !== undefined) return hostError;
        const cn = certificateCommonName(cert);
        return cn === expected ? undefined : new Error(`server certificate names ${String(cn)}`);
      },
    };
    return connect(options);
  }

  private onOpen(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.state = 'open';
    this.attempt = 0;
    this.lastWarnedReason = '';
    this.pongSeen = true;
    this.pingTimer = setInterval(() => this.ping(ws), this.ctx.limits.pingIntervalMs);
    this.ctx.logger.info({ peer: this.peer, address: this.address }, 'connected to peer');
    this.pump();
  }

  private ping(ws: WebSocket): void {
    if (!this.pongSeen) {
      this.ctx.logger.warn({ peer: this.peer }, 'peer missed a ping, closing connection');
      ws.terminate();
      return;
    }
    this.pongSeen = false;
    ws.ping();
  }

  /** A connection ended (or never opened): fail what depended on it and schedule a redial. */
  private onClose(reason: string): void {
    const wasOpen = this.state === 'open';
    this.teardownSocket();
    if (this.state === 'closed') return;
    if (wasOpen) this.ctx.logger.info({ peer: this.peer, reason }, 'disconnected from peer');

    // Raft retransmits whatever matters, and frames queued for a dead connection would be stale
    // by the time a new one opens (etcd's transport drops them too).
    this.droppedMessages += this.queue.length;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.failPending(new PeerUnreachableError(this.peer, reason));
    this.failSnapshot();
    this.ctx.unreachable(this.peer);

    this.state = 'backoff';
    const delay = backoffDelay(this.ctx.limits, this.attempt++, this.ctx.random);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'backoff') this.dial();
    }, delay);
  }

  private teardownSocket(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    const ws = this.ws;
    this.ws = null;
    this.unflushedBytes = 0;
    if (ws !== null) {
      // Terminating a socket still connecting makes ws emit an error: it is ours, not the peer's.
      // An error listener stays so that a late socket error does not become an uncaught one.
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
    }
  }

  private logFailure(err: Error & { code?: string }, reason: string, refused: boolean): void {
    const fields = {
      peer: this.peer,
      address: this.address,
      reason: refused ? reason : err.message,
    };
    const networkOnly =
      !refused &&
      (NETWORK_ERRORS.has(err.code ?? '') || err.message.includes('handshake has timed out'));
    if (networkOnly || reason === this.lastWarnedReason) {
      this.ctx.logger.debug(fields, 'failed to connect to peer');
      return;
    }
    this.lastWarnedReason = reason;
    this.ctx.logger.warn(fields, 'peer connection refused');
  }

  // Outbound frames: a bounded queue, drained into the socket while it keeps up.

  private enqueue(frame: Buffer): boolean {
    const { maxQueuedFrames, maxQueuedBytes } = this.ctx.limits;
    if (this.queue.length >= maxQueuedFrames || this.queuedBytes + frame.length > maxQueuedBytes) {
      return false;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.pump();
    return true;
  }

  private drop(count = 1): void {
    this.droppedMessages += count;
    if (this.overflowReported) return;
    this.overflowReported = true;
    this.ctx.logger.debug({ peer: this.peer }, 'outbound queue full, dropping messages');
    this.ctx.unreachable(this.peer);
  }

  /**
   * Writes queued frames, then snapshot frames, until the socket holds `maxUnflushedBytes`.
   * Queued messages go first so heartbeats are not stuck behind a snapshot.
   */
  private pump(): void {
    const ws = this.ws;
    if (this.state !== 'open' || ws === null) return;
    while (this.unflushedBytes < this.ctx.limits.maxUnflushedBytes) {
      let frame = this.queue.shift();
      if (frame !== undefined) {
        this.queuedBytes -= frame.length;
      } else {
        frame = this.nextSnapshotFrame();
        if (frame === undefined) return;
      }
      this.write(ws, frame);
    }
  }

  private write(ws: WebSocket, frame: Buffer): void {
    this.unflushedBytes += frame.length;
    ws.send(frame, { binary: true }, (err) => {
      if (this.ws !== ws) return;
      this.unflushedBytes -= frame.length;
      if (err) return;
      this.overflowReported = false;
      this.pump();
    });
  }

  // Snapshots: stream, then wait for the receiver's verdict.

  private nextSnapshotFrame(): Buffer | undefined {
    const snapshot = this.snapshot;
    if (snapshot === null || snapshot.writer.finished) return undefined;
    const frame = snapshot.writer.next();
    if (frame === null) return undefined;
    if (snapshot.writer.finished) {
      snapshot.ackTimer = setTimeout(() => {
        if (this.snapshot !== snapshot) return;
        this.ctx.logger.warn({ peer: this.peer }, 'no verdict on sent snapshot, reporting failure');
        this.failSnapshot();
      }, this.ctx.limits.snapshotAckTimeoutMs);
    }
    return encodeFrame(frame);
  }

  private failSnapshot(): void {
    const snapshot = this.snapshot;
    if (snapshot === null) return;
    if (snapshot.ackTimer !== null) clearTimeout(snapshot.ackTimer);
    this.snapshot = null;
    this.ctx.snapshotStatus(this.peer, false);
  }

  // Frames from the peer: answers to requests and verdicts on snapshots.

  private onFrame(data: Buffer, isBinary: boolean): void {
    let frame: Frame;
    try {
      if (!isBinary) throw new Error('text frame');
      frame = decodeFrame(data);
    } catch (err) {
      this.ctx.logger.debug({ peer: this.peer, err }, 'dropped undecodable frame');
      return;
    }

    if (frame.kind === 'resp') {
      const pending = this.pending.get(frame.id);
      if (pending === undefined) return;
      this.pending.delete(frame.id);
      clearTimeout(pending.timer);
      if (frame.ok) pending.resolve(frame.payload);
      else pending.reject(new RemoteRequestError(this.peer, frame.code, frame.error));
    } else if (frame.kind === 'snap-ack') {
      const snapshot = this.snapshot;
      if (snapshot === null || snapshot.writer.id !== frame.id) return;
      if (snapshot.ackTimer !== null) clearTimeout(snapshot.ackTimer);
      this.snapshot = null;
      if (!frame.ok) {
        this.ctx.logger.warn({ peer: this.peer, reason: frame.reason }, 'peer refused snapshot');
      }
      this.ctx.snapshotStatus(this.peer, frame.ok);
      // A refused stream may have stopped mid-way with frames still to write.
      this.pump();
    } else {
      this.ctx.logger.debug({ peer: this.peer, kind: frame.kind }, 'dropped unexpected frame');
    }
  }

  private failPending(error: Error): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}
