/**
 * The cluster transport between real nodes: WebSockets over mutually authenticated TLS, with
 * msgpack frames. Each node listens on its cluster address and dials every peer, so a pair of
 * nodes shares two connections, one per direction of Raft traffic (as etcd's stream transport
 * does); answers to requests and snapshot verdicts come back on the connection that carried them.
 *
 * Authentication: both sides present a certificate issued by the cluster CA and verify the
 * other's chain against that CA alone. The dialer also requires the server's CN to be the peer
 * id it dialed; the listener requires the client's CN to be in the current peer set. Anything
 * else is refused and logged at warn with the reason.
 */
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { Message, NodeId } from '../core/types.js';
import { peerNodeId } from '../../util/tls.js';
import { PeerUnreachableError, TransportStoppedError, UnknownPeerError } from './errors.js';
import { InboundConnection } from './inbound.js';
import type { InboundContext } from './inbound.js';
import { parseHostPort, resolveOptions } from './options.js';
import type { ResolvedOptions, WsTransportOptions } from './options.js';
import { CLUSTER_PATH, PeerLink } from './peer-link.js';
import type { PeerLinkContext } from './peer-link.js';
import type {
  MessageHandler,
  PeerStatus,
  RequestHandler,
  SnapshotStatusHandler,
  Transport,
  UnreachableHandler,
} from './types.js';

/** WebSocket close code sent to a peer that left the peer set. */
const CLOSE_REMOVED = 4001;
/** Sent to an older connection from a peer that has since opened a newer one. */
const CLOSE_REPLACED = 4002;

export class WsTransport implements Transport {
  readonly nodeId: NodeId;
  private readonly options: ResolvedOptions;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Map<NodeId, InboundConnection>();
  /** Every accepted TCP socket, so stop() need not wait for handshakes in progress. */
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private boundAddress = '';
  private started = false;
  private stopped = false;

  private messageHandler: MessageHandler = () => undefined;
  private unreachableHandler: UnreachableHandler = () => undefined;
  private snapshotStatusHandler: SnapshotStatusHandler = () => undefined;
  private requestHandler: RequestHandler | null = null;

  private readonly linkContext: PeerLinkContext;
  private readonly inboundContext: InboundContext;

  /** @throws TransportConfigError when `options` are invalid. */
  constructor(options: WsTransportOptions) {
    this.options = resolveOptions(options);
    this.nodeId = this.options.nodeId;
    const { tls, limits, random, logger } = this.options;

    this.linkContext = {
      self: this.nodeId,
      tls,
      localAddress: this.options.localAddress,
      limits,
      random,
      logger,
      unreachable: (peer) => this.emit(() => this.unreachableHandler(peer)),
      snapshotStatus: (peer, ok) => this.emit(() => this.snapshotStatusHandler(peer, ok)),
    };
    this.inboundContext = {
      self: this.nodeId,
      limits,
      logger,
      deliver: (message) => this.emit(() => this.messageHandler(message)),
      requestHandler: () => this.requestHandler,
    };
  }

  /** @throws the listener's error (such as EADDRINUSE); the transport may then be started again. */
  async start(): Promise<void> {
    if (this.started) return;
    if (this.stopped) throw new TransportStoppedError();
    this.started = true;
    const { tls, limits, logger, listen } = this.options;

    const server = createServer({
      ca: tls.caPem,
      cert: tls.certPem,
      key: tls.keyPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      handshakeTimeout: limits.dialTimeoutMs,
    });
    this.server = server;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });

    // Node closes a connection whose client certificate fails verification and reports it here
    // as a reset, with the verification error on the socket; that and other handshake failures
    // are refusals worth a warning, while a client hanging up mid-handshake is not.
    server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      const verifyError = socket.authorizationError as string | Error | undefined;
      const reason = verifyError === undefined ? (err.code ?? err.message) : String(verifyError);
      const fields = { remote: socket.remoteAddress, reason };
      const aborted = err.code === 'ECONNRESET' || err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT';
      if (aborted && verifyError === undefined) {
        logger.debug(fields, 'cluster handshake aborted');
      } else {
        logger.warn(fields, 'refused cluster connection');
      }
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (_req, res) => {
      res.writeHead(426, { connection: 'close' }).end();
    });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );

    const { host, port } = parseHostPort(listen) ?? { host: '', port: 0 };
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      // Leave the transport as it was, so start() can be retried (e.g. after EADDRINUSE).
      this.server = null;
      this.wss = null;
      this.started = false;
      throw err;
    }
    server.on('error', (err) => logger.error({ err }, 'cluster listener failed'));

    const bound = server.address() as AddressInfo;
    const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    this.boundAddress = `${shown}:${bound.port}`;
    this.idleTimer = setInterval(() => this.closeIdleInbound(), limits.pingIntervalMs);
    logger.info({ address: this.boundAddress }, 'cluster transport listening');

    for (const link of this.links.values()) link.connect();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.idleTimer !== null) clearInterval(this.idleTimer);

    for (const link of this.links.values()) link.close(new TransportStoppedError());
    for (const connection of this.inbound.values()) connection.terminate();
    this.inbound.clear();

    const server = this.server;
    if (server !== null) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of this.sockets) socket.destroy();
      });
    }
    this.wss?.close();
    this.options.logger.info({}, 'cluster transport stopped');
  }

  address(): string {
    return this.boundAddress;
  }

  setPeers(peers: ReadonlyMap<NodeId, string>): void {
    if (this.stopped) return;
    const { logger } = this.options;

    for (const [peer, link] of this.links) {
      const address = peers.get(peer);
      if (address === link.address) continue;
      link.close(new PeerUnreachableError(peer, 'peer removed'));
      this.links.delete(peer);
      if (address === undefined) {
        this.inbound.get(peer)?.close(CLOSE_REMOVED, 'removed from peer set');
        this.inbound.delete(peer);
        logger.info({ peer }, 'removed peer');
      }
    }

    for (const [peer, address] of peers) {
      if (peer === this.nodeId || this.links.has(peer)) continue;
      if (parseHostPort(address) === null) {
        logger.error({ peer, address }, 'ignored peer with an invalid address');
        continue;
      }
      const link = new PeerLink(peer, address, this.linkContext);
      this.links.set(peer, link);
      logger.info({ peer, address }, 'added peer');
      if (this.started) link.connect();
    }
  }

  /** Everything for one peer in a call goes as one frame (see `MessagesFrame`), in order. */
  send(messages: readonly Message[]): void {
    if (this.stopped) return;
    const batches = new Map<PeerLink, Message[]>();
    for (const message of messages) {
      const link = this.links.get(message.to);
      if (link === undefined) {
        const peer = message.to;
        if (message.type === 'snapshot') this.linkContext.snapshotStatus(peer, false);
        else this.linkContext.unreachable(peer);
        continue;
      }
      if (message.type === 'snapshot') {
        link.sendSnapshot(message);
        continue;
      }
      const batch = batches.get(link);
      if (batch === undefined) batches.set(link, [message]);
      else batch.push(message);
    }
    for (const [link, batch] of batches) link.sendMessages(batch);
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  onUnreachable(handler: UnreachableHandler): void {
    this.unreachableHandler = handler;
  }

  onSnapshotStatus(handler: SnapshotStatusHandler): void {
    this.snapshotStatusHandler = handler;
  }

  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  request(peer: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.started || this.stopped) return Promise.reject(new TransportStoppedError());
    const link = this.links.get(peer);
    if (link === undefined) return Promise.reject(new UnknownPeerError(peer));
    return link.request(payload, timeoutMs);
  }

  peerStatus(peer: NodeId): PeerStatus | undefined {
    return this.links.get(peer)?.status();
  }

  // Accepting peers.

  /** Checks the path and the client certificate's node id before completing the upgrade. */
  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const { logger } = this.options;
    const peer = peerNodeId(req.socket as TLSSocket);
    let refusal: [number, string] | null = null;
    if (this.stopped || this.wss === null) refusal = [503, 'transport stopping'];
    else if (req.url !== CLUSTER_PATH) refusal = [404, 'unknown path'];
    else if (peer === null) refusal = [403, 'certificate names no valid node id'];
    else if (peer === this.nodeId) refusal = [403, 'certificate names this node'];
    else if (!this.links.has(peer)) refusal = [403, 'node is not in the peer set'];

    if (refusal !== null || peer === null || this.wss === null) {
      const [status, reason] = refusal ?? [403, 'refused'];
      logger.warn({ peer, remote: socket.remoteAddress, reason }, 'refused cluster connection');
      const head = `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
      socket.end(head, () => socket.destroy());
      return;
    }

    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.stopped || !this.links.has(peer)) {
        ws.terminate();
        return;
      }
      const connection = new InboundConnection(peer, ws, this.inboundContext);
      this.inbound.get(peer)?.close(CLOSE_REPLACED, 'replaced by a newer connection');
      this.inbound.set(peer, connection);
      connection.onClose(() => {
        if (this.inbound.get(peer) === connection) this.inbound.delete(peer);
      });
      logger.info({ peer, remote: socket.remoteAddress }, 'accepted connection from peer');
    });
  }

  /** The dialer pings every interval; a connection silent for three of them is dead. */
  private closeIdleInbound(): void {
    const cutoff = Date.now() - 3 * this.options.limits.pingIntervalMs;
    for (const [peer, connection] of this.inbound) {
      if (connection.lastSeen >= cutoff) continue;
      this.options.logger.info({ peer }, 'closing silent connection from peer');
      connection.close(1001, 'idle');
      this.inbound.delete(peer);
    }
  }

  /**
   * Runs a handler after the current call returns, and never after `stop`. A throwing handler
   * is a driver bug: it is logged, not allowed to break the transport's I/O callbacks.
   */
  private emit(call: () => void): void {
    queueMicrotask(() => {
      if (this.stopped) return;
      try {
        call();
      } catch (err) {
        this.options.logger.error({ err }, 'transport handler threw');
      }
    });
  }
}
