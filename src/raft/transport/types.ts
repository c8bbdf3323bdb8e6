/**
 * The contract between the Raft driver and the network. A transport carries Raft messages to
 * peers on a best-effort basis (Raft tolerates loss, duplication and reordering of messages,
 * §5.3), streams snapshots, and offers one request/response channel that the server uses to
 * forward client requests from followers to the leader.
 *
 * Two implementations exist: `WsTransport` (WebSockets over mutual TLS between real processes)
 * and `MemoryTransport` (an in-process twin for tests, with fault hooks).
 */
import type { Message, NodeId } from '../core/types.js';

/** Called for every Raft message received from a peer in the current peer set. */
export type MessageHandler = (message: Message) => void;

/**
 * Called when the transport could not deliver to `peer`: a dial failed, a connection closed or
 * an outbound queue overflowed. The driver tells the Raft core, which probes the peer again.
 */
export type UnreachableHandler = (peer: NodeId) => void;

/**
 * Called once for every `snapshot` message passed to `send`: `ok` is true once the peer has
 * received the whole snapshot, verified it and handed it to its Raft driver, false when it was
 * dropped, refused, corrupted or cut off.
 */
export type SnapshotStatusHandler = (peer: NodeId, ok: boolean) => void;

/**
 * Answers a request from peer `from`. The returned bytes travel back to the caller; a rejection
 * travels back as a `RemoteRequestError` carrying the error's `code` (if a string) and message.
 */
export type RequestHandler = (from: NodeId, payload: Uint8Array) => Promise<Uint8Array>;

/** A snapshot of one peer link's state, for tests, logs and metrics. */
export interface PeerStatus {
  peer: NodeId;
  /** The address this node dials the peer on (`host:port`). */
  address: string;
  /** True while the outbound connection to the peer is open. */
  connected: boolean;
  /** Frames waiting in the outbound queue. */
  queuedFrames: number;
  /** Encoded bytes waiting in the outbound queue. */
  queuedBytes: number;
  /** Messages dropped on this link since it was created (overflow, failed dials, closes). */
  droppedMessages: number;
}

/**
 * The node-to-node transport. All methods but `start`, `stop` and `request` return at once and
 * never throw for network conditions; delivery problems surface through the handlers.
 *
 * Handlers are plain setters: each `on*` call replaces the previous handler. They are invoked
 * asynchronously from I/O callbacks, never from inside `send`.
 */
export interface Transport {
  /** This node's id; frames from and to other ids are refused. */
  readonly nodeId: NodeId;

  /** Starts listening (and dialing peers already set). Resolves once the listener is bound. */
  start(): Promise<void>;

  /**
   * Closes the listener and every connection, rejects pending requests with
   * `TransportStoppedError` and fails in-flight snapshots silently (no more handler calls).
   * Idempotent.
   */
  stop(): Promise<void>;

  /**
   * The address the transport listens on (`host:port`), with the real port when 0 was asked
   * for. Only meaningful after `start()` resolves.
   */
  address(): string;

  /**
   * Replaces the peer set: ids and the `host:port` each is dialed on. An entry for this node's
   * own id is ignored. Peers that left are disconnected at once, their queues dropped, their
   * pending requests rejected, and their future connections refused. A peer whose address
   * changed is redialed.
   */
  setPeers(peers: ReadonlyMap<NodeId, string>): void;

  /**
   * Queues messages for delivery and returns at once. A message to a peer not in the set, or one
   * that does not fit the peer's bounded queue, is dropped and the peer reported unreachable
   * (snapshots report a failed status instead). Messages are copied (encoded) before `send`
   * returns, except a snapshot's `data`, which is read while it streams and must not be mutated.
   */
  send(messages: readonly Message[]): void;

  onMessage(handler: MessageHandler): void;
  onUnreachable(handler: UnreachableHandler): void;
  onSnapshotStatus(handler: SnapshotStatusHandler): void;

  /**
   * Sends `payload` to `peer`'s request handler and resolves with its answer.
   *
   * @throws UnknownPeerError when `peer` is not in the peer set.
   * @throws PeerUnreachableError when the request could not be queued or its connection failed
   *   before the answer arrived (the peer may or may not have run it).
   * @throws RequestTimeoutError when no answer came within `timeoutMs`.
   * @throws RemoteRequestError when the peer's handler failed or the peer has none.
   * @throws TransportStoppedError when the transport is stopped or not started.
   */
  request(peer: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;

  onRequest(handler: RequestHandler): void;

  /** The state of the link to `peer`, or undefined when `peer` is not in the set. */
  peerStatus(peer: NodeId): PeerStatus | undefined;
}
