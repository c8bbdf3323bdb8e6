/**
 * An in-process twin of the cluster transport for tests: a {@link MemoryNetwork} hub routes
 * between {@link MemoryTransport}s, copying every message through the wire codec, and offers
 * hooks to cut links, partition the cluster and drop envelopes selectively.
 *
 * It follows the `Transport` contract as `WsTransport` does: peers outside each other's peer set
 * cannot talk, handlers run asynchronously, queues are bounded, snapshot status is reported, and
 * requests answer or time out. Addresses in `setPeers` are ignored; nodes are routed by id.
 * Cut links lose envelopes silently (like packets in a partition, where requests time out);
 * a stopped peer or one that refuses the sender is reported unreachable at once.
 */
import type { Message, NodeId } from '../core/types.js';
import { silentLogger } from '../../util/logger.js';
import type { Logger } from '../../util/logger.js';
import {
  PeerUnreachableError,
  RemoteRequestError,
  RequestTimeoutError,
  TransportStoppedError,
  UnknownPeerError,
} from './errors.js';
import { wireCopy } from './frames.js';
import type {
  MessageHandler,
  PeerStatus,
  RequestHandler,
  SnapshotStatusHandler,
  Transport,
  UnreachableHandler,
} from './types.js';

/** What travels between two memory transports. */
export interface Envelope {
  from: NodeId;
  to: NodeId;
  kind: 'message' | 'request' | 'response';
  /** The Raft message, for `message` envelopes. */
  message?: Message;
}

/** Returns true to drop an envelope. */
export type DropFilter = (envelope: Envelope) => boolean;

export interface MemoryNetworkOptions {
  /**
   * When true, envelopes wait until {@link MemoryNetwork.deliverAll} (deterministic tests);
   * otherwise each is delivered on a later turn of the event loop.
   */
  manual?: boolean;
}

interface Queued {
  envelope: Envelope;
  /** Called at delivery time with whether the envelope got through. */
  arrive(passed: boolean): void;
}

/** The hub several {@link MemoryTransport}s are attached to. */
export class MemoryNetwork {
  private readonly nodes = new Map<NodeId, MemoryTransport>();
  private readonly cut = new Set<string>();
  private dropFilter: DropFilter | null = null;
  private readonly queue: Queued[] = [];
  private scheduled = false;
  private readonly manual: boolean;

  constructor(options: MemoryNetworkOptions = {}) {
    this.manual = options.manual ?? false;
  }

  /** Creates a transport for `nodeId` attached to this network (it joins it on `start`). */
  transport(nodeId: NodeId, options: MemoryTransportOptions = {}): MemoryTransport {
    return new MemoryTransport(this, nodeId, options);
  }

  /** Cuts the link from `from` to `to`, and the reverse one unless `oneWay`. */
  block(from: NodeId, to: NodeId, oneWay = false): void {
    this.cut.add(linkKey(from, to));
    if (!oneWay) this.cut.add(linkKey(to, from));
  }

  /** Cuts every link between nodes of different groups. Nodes in no group are untouched. */
  partition(...groups: NodeId[][]): void {
    for (const [i, group] of groups.entries()) {
      for (const other of groups.slice(i + 1)) {
        for (const a of group) for (const b of other) this.block(a, b);
      }
    }
  }

  /** Cuts every link to and from `node`. */
  isolate(node: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== node) this.block(node, other);
  }

  /** Restores every link and removes the drop filter. */
  heal(): void {
    this.cut.clear();
    this.dropFilter = null;
  }

  /** Drops every envelope `filter` returns true for, until replaced or healed. */
  setDropFilter(filter: DropFilter | null): void {
    this.dropFilter = filter;
  }

  /** Envelopes waiting for delivery. */
  pending(): number {
    return this.queue.length;
  }

  /**
   * Delivers queued envelopes in order, including ones queued while delivering, up to `limit`.
   * Returns how many were delivered.
   */
  deliverAll(limit = 100_000): number {
    let delivered = 0;
    while (delivered < limit) {
      const next = this.queue.shift();
      if (next === undefined) break;
      delivered += 1;
      next.arrive(this.passes(next.envelope));
    }
    return delivered;
  }

  // Used by MemoryTransport.

  /** @internal */
  attach(node: MemoryTransport): void {
    if (this.nodes.has(node.nodeId)) {
      throw new Error(`memory network already has a started node ${node.nodeId}`);
    }
    this.nodes.set(node.nodeId, node);
  }

  /** @internal */
  detach(node: MemoryTransport): void {
    if (this.nodes.get(node.nodeId) === node) this.nodes.delete(node.nodeId);
  }

  /** @internal The node `to` when it is started and accepts `from` as a peer, else null. */
  reachable(from: NodeId, to: NodeId): MemoryTransport | null {
    const target = this.nodes.get(to);
    return target !== undefined && target.accepts(from) ? target : null;
  }

  /**
   * @internal Queues an envelope. At delivery `arrive` learns whether it got through: the link
   * is up, no filter dropped it, and the target is started and accepts the sender.
   */
  post(envelope: Envelope, arrive: (passed: boolean) => void): void {
    this.queue.push({ envelope, arrive });
    if (this.manual || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliverAll();
    });
  }

  /** @internal */
  linkUp(from: NodeId, to: NodeId): boolean {
    return !this.cut.has(linkKey(from, to));
  }

  private passes(envelope: Envelope): boolean {
    if (!this.linkUp(envelope.from, envelope.to)) return false;
    if (this.dropFilter?.(envelope)) return false;
    return this.reachable(envelope.from, envelope.to) !== null;
  }
}

export interface MemoryTransportOptions {
  /** Undelivered messages allowed per peer before further ones are dropped. Default 4096. */
  maxQueuedFrames?: number;
  logger?: Logger;
}

interface PendingRequest {
  peer: NodeId;
  resolve(payload: Uint8Array): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** One node's end of a {@link MemoryNetwork}. */
export class MemoryTransport implements Transport {
  private peers = new Set<NodeId>();
  private started = false;
  private stopped = false;
  private readonly inFlight = new Map<NodeId, number>();
  private readonly dropped = new Map<NodeId, number>();
  private readonly pending = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private readonly maxQueuedFrames: number;
  private readonly logger: Logger;

  private messageHandler: MessageHandler = () => undefined;
  private unreachableHandler: UnreachableHandler = () => undefined;
  private snapshotStatusHandler: SnapshotStatusHandler = () => undefined;
  private requestHandler: RequestHandler | null = null;

  constructor(
    private readonly network: MemoryNetwork,
    readonly nodeId: NodeId,
    options: MemoryTransportOptions = {},
  ) {
    this.maxQueuedFrames = options.maxQueuedFrames ?? 4096;
    this.logger = options.logger ?? silentLogger;
  }

  async start(): Promise<void> {
    if (this.stopped) throw new TransportStoppedError();
    if (this.started) return;
    this.network.attach(this);
    this.started = true;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.network.detach(this);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new TransportStoppedError());
    }
    this.pending.clear();
  }

  address(): string {
    return `memory:${this.nodeId}`;
  }

  setPeers(peers: ReadonlyMap<NodeId, string>): void {
    const next = new Set([...peers.keys()].filter((peer) => peer !== this.nodeId));
    for (const [id, pending] of this.pending) {
      if (next.has(pending.peer)) continue;
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(new PeerUnreachableError(pending.peer, 'peer removed'));
    }
    this.peers = next;
  }

  send(messages: readonly Message[]): void {
    if (this.stopped) return;
    for (const message of messages) this.sendOne(message);
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
    if (!this.peers.has(peer)) return Promise.reject(new UnknownPeerError(peer));
    const target = this.network.reachable(this.nodeId, peer);
    if (target === null) return Promise.reject(new PeerUnreachableError(peer, 'peer refused'));

    const id = this.nextRequestId++;
    const copy = payload.slice();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestTimeoutError(peer, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { peer, resolve, reject, timer });
      this.network.post({ from: this.nodeId, to: peer, kind: 'request' }, (passed) => {
        if (passed) this.network.reachable(this.nodeId, peer)?.serve(this.nodeId, id, copy);
      });
    });
  }

  peerStatus(peer: NodeId): PeerStatus | undefined {
    if (!this.peers.has(peer)) return undefined;
    const up = this.network.reachable(this.nodeId, peer) !== null;
    return {
      peer,
      address: `memory:${peer}`,
      connected: this.started && !this.stopped && up && this.network.linkUp(this.nodeId, peer),
      queuedFrames: this.inFlight.get(peer) ?? 0,
      queuedBytes: 0,
      droppedMessages: this.dropped.get(peer) ?? 0,
    };
  }

  // Used by MemoryNetwork and peers.

  /** @internal True when started and `from` is in the peer set. */
  accepts(from: NodeId): boolean {
    return this.started && !this.stopped && this.peers.has(from);
  }

  /** @internal Runs the request handler for `from` and posts the answer back. */
  serve(from: NodeId, id: number, payload: Uint8Array): void {
    const handler = this.requestHandler;
    if (handler === null) {
      const message = 'peer has no request handler';
      this.respond(from, id, { ok: false, code: 'no_handler', message });
      return;
    }
    Promise.resolve()
      .then(() => handler(from, payload))
      .then(
        (result) => this.respond(from, id, { ok: true, payload: result.slice() }),
        (err: unknown) => {
          const code = (err as { code?: unknown } | null)?.code;
          this.respond(from, id, {
            ok: false,
            code: typeof code === 'string' ? code : 'handler_failed',
            message: err instanceof Error ? err.message : String(err),
          });
        },
      );
  }

  /** @internal Settles request `id` with the peer's answer. */
  settle(peer: NodeId, id: number, answer: Answer): void {
    const pending = this.pending.get(id);
    if (pending === undefined || pending.peer !== peer) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (answer.ok) pending.resolve(answer.payload);
    else pending.reject(new RemoteRequestError(peer, answer.code, answer.message));
  }

  private respond(to: NodeId, id: number, answer: Answer): void {
    if (this.stopped) return;
    this.network.post({ from: this.nodeId, to, kind: 'response' }, (passed) => {
      if (passed) this.network.reachable(this.nodeId, to)?.settle(this.nodeId, id, answer);
    });
  }

  private sendOne(message: Message): void {
    const peer = message.to;
    const isSnapshot = message.type === 'snapshot';
    const fail = (): void => {
      this.dropped.set(peer, (this.dropped.get(peer) ?? 0) + 1);
      this.emit(() =>
        isSnapshot ? this.snapshotStatusHandler(peer, false) : this.unreachableHandler(peer),
      );
    };

    const queued = this.inFlight.get(peer) ?? 0;
    if (!this.peers.has(peer) || queued >= this.maxQueuedFrames) return fail();
    if (this.network.reachable(this.nodeId, peer) === null) return fail();
    const copy = wireCopy(message);
    if (copy === null) {
      this.logger.warn({ peer, type: message.type }, 'dropped malformed message');
      return fail();
    }

    this.inFlight.set(peer, queued + 1);
    this.network.post({ from: this.nodeId, to: peer, kind: 'message', message: copy }, (passed) => {
      this.inFlight.set(peer, (this.inFlight.get(peer) ?? 1) - 1);
      if (passed) this.network.reachable(this.nodeId, peer)?.deliver(copy);
      if (isSnapshot) this.emit(() => this.snapshotStatusHandler(peer, passed));
    });
  }

  private deliver(message: Message): void {
    this.emit(() => this.messageHandler(message));
  }

  private emit(call: () => void): void {
    queueMicrotask(() => {
      if (this.stopped) return;
      try {
        call();
      } catch (err) {
        this.logger.error({ err }, 'transport handler threw');
      }
    });
  }
}

type Answer = { ok: true; payload: Uint8Array } | { ok: false; code: string; message: string };

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`;
}
