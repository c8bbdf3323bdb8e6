/**
 * The node-to-node transport: the {@link Transport} contract, the WebSocket/mTLS implementation
 * and its in-memory twin. Other layers import from here rather than from the files behind it.
 */
export type {
  MessageHandler,
  PeerStatus,
  RequestHandler,
  SnapshotStatusHandler,
  Transport,
  UnreachableHandler,
} from './types.js';
export {
  PeerUnreachableError,
  RemoteRequestError,
  RequestTimeoutError,
  RequestTooLargeError,
  TransportConfigError,
  TransportError,
  TransportStoppedError,
  UnknownPeerError,
} from './errors.js';
export { DEFAULT_LIMITS } from './options.js';
export type { TransportLimits, TransportTls, WsTransportOptions } from './options.js';
export { WsTransport } from './ws-transport.js';
export { MemoryNetwork, MemoryTransport } from './memory-transport.js';
export type {
  DropFilter,
  Envelope,
  MemoryNetworkOptions,
  MemoryTransportOptions,
} from './memory-transport.js';
