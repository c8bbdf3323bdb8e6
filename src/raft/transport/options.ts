/**
 * Options of {@link WsTransport}, their defaults and their validation, in one place so a bad
 * configuration fails at construction rather than on the first connection.
 */
import { isIP } from 'node:net';
import type { NodeId } from '../core/types.js';
import { silentLogger } from '../../util/logger.js';
import type { Logger } from '../../util/logger.js';
import type { Random } from '../../util/random.js';
import { isValidNodeId } from '../../util/tls.js';
import { TransportConfigError } from './errors.js';

/** The PEM material a node presents and verifies peers against. */
export interface TransportTls {
  /** The cluster CA: the only issuer whose certificates this node accepts. */
  caPem: string;
  /** This node's certificate; its CN must be this node's id. */
  certPem: string;
  keyPem: string;
}

/** Sizes and timings; every field has a default. */
export interface TransportLimits {
  /** Outbound queue bound per peer, in frames. Default 4096. */
  maxQueuedFrames: number;
  /** Outbound queue bound per peer, in encoded bytes. Default 64 MiB. */
  maxQueuedBytes: number;
  /**
   * Bytes handed to a socket but not yet flushed to the kernel, per connection, above which the
   * transport stops writing until it drains. Default 4 MiB.
   */
  maxUnflushedBytes: number;
  /** The largest frame accepted or sent. Default 16 MiB. */
  maxFrameBytes: number;
  /** Snapshot data is streamed in chunks of this size. Default 512 KiB. */
  snapshotChunkBytes: number;
  /** The largest snapshot accepted from a peer. Default 1 GiB. */
  maxSnapshotBytes: number;
  /** How long a sender waits for the verdict on a fully sent snapshot. Default 60 s. */
  snapshotAckTimeoutMs: number;
  /** Requests from one peer served at once; more are answered `busy`. Default 256. */
  maxInflightRequests: number;
  /** TCP connect plus TLS and WebSocket handshakes. Default 5 s. */
  dialTimeoutMs: number;
  /** First reconnect delay; it doubles per failed attempt, with jitter. Default 100 ms. */
  reconnectBaseMs: number;
  /** The reconnect delay cap. Default 5 s. */
  reconnectMaxMs: number;
  /** Ping period on open connections; a connection that missed a pong is closed. Default 5 s. */
  pingIntervalMs: number;
}

export interface WsTransportOptions {
  nodeId: NodeId;
  /** `host:port` to listen on; port 0 lets the OS pick (see `address()`). */
  listen: string;
  /**
   * The local IP address every outbound connection binds to, so peers (and firewall rules) see
   * this node's traffic come from it. Unset: the OS picks the source address per route.
   * See {@link outboundAddressFor}.
   */
  localAddress?: string;
  tls: TransportTls;
  logger?: Logger;
  /** Jitter source for reconnect delays; defaults to `Math.random`. */
  random?: Random;
  limits?: Partial<TransportLimits>;
}

/** {@link WsTransportOptions} with every default filled in. */
export interface ResolvedOptions {
  nodeId: NodeId;
  listen: string;
  localAddress: string | undefined;
  tls: TransportTls;
  logger: Logger;
  random: Random;
  limits: TransportLimits;
}

export const DEFAULT_LIMITS: Readonly<TransportLimits> = {
  maxQueuedFrames: 4096,
  maxQueuedBytes: 64 * 1024 * 1024,
  maxUnflushedBytes: 4 * 1024 * 1024,
  maxFrameBytes: 16 * 1024 * 1024,
  snapshotChunkBytes: 512 * 1024,
  maxSnapshotBytes: 1024 * 1024 * 1024,
  snapshotAckTimeoutMs: 60_000,
  maxInflightRequests: 256,
  dialTimeoutMs: 5_000,
  reconnectBaseMs: 100,
  reconnectMaxMs: 5_000,
  pingIntervalMs: 5_000,
};

/** Room for a chunk frame's fields around its data. */
const CHUNK_FRAME_OVERHEAD = 1024;

/** Splits `host:port` (IPv6 hosts in brackets). Returns null when it is not of that form. */
export function parseHostPort(address: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (match === null) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  return { host: match[1] ?? match[2] ?? '', port };
}

/**
 * The address outbound connections should bind to for a node listening on `listen`: its host
 * when that is a specific IP address, so that a node seen by its peers and by packet filters has
 * one address per direction. Undefined for host names and the wildcard addresses (`0.0.0.0`,
 * `::`), where the OS keeps choosing the source address.
 *
 * A node whose cluster listener is on a specific address reaches its peers from that address, so
 * that address must be routable to them (true whenever the peers can dial it back).
 */
export function outboundAddressFor(listen: string): string | undefined {
  const host = parseHostPort(listen)?.host;
  if (host === undefined || isIP(host) === 0) return undefined;
  if (host === '0.0.0.0' || /^[0:]+$/.test(host)) return undefined;
  return host;
}

/**
 * Fills in defaults and checks the options.
 *
 * @throws TransportConfigError naming the first invalid field.
 */
export function resolveOptions(options: WsTransportOptions): ResolvedOptions {
  if (!isValidNodeId(options.nodeId)) {
    throw new TransportConfigError('invalid node id', { nodeId: options.nodeId });
  }
  if (parseHostPort(options.listen) === null) {
    throw new TransportConfigError('listen address must be host:port', { listen: options.listen });
  }
  const { localAddress } = options;
  if (localAddress !== undefined && isIP(localAddress) === 0) {
    throw new TransportConfigError('local address must be an IP address', { localAddress });
  }
  for (const field of ['caPem', 'certPem', 'keyPem'] as const) {
    if (typeof options.tls[field] !== 'string' || options.tls[field].length === 0) {
      throw new TransportConfigError('missing TLS material', { field });
    }
  }

  const limits: TransportLimits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [field, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TransportConfigError('limit must be a positive integer', { field, value });
    }
  }
  if (limits.snapshotChunkBytes + CHUNK_FRAME_OVERHEAD > limits.maxFrameBytes) {
    throw new TransportConfigError('snapshot chunks must fit in a frame', {
      snapshotChunkBytes: limits.snapshotChunkBytes,
      maxFrameBytes: limits.maxFrameBytes,
    });
  }
  if (limits.reconnectBaseMs > limits.reconnectMaxMs) {
    throw new TransportConfigError('reconnect base delay exceeds its cap', {
      reconnectBaseMs: limits.reconnectBaseMs,
      reconnectMaxMs: limits.reconnectMaxMs,
    });
  }

  return {
    nodeId: options.nodeId,
    listen: options.listen,
    localAddress,
    tls: options.tls,
    logger: options.logger ?? silentLogger,
    random: options.random ?? Math.random,
    limits,
  };
}

/** Reconnect delay before attempt `attempt` (0-based): capped exponential, jittered to 50-100%. */
export function backoffDelay(limits: TransportLimits, attempt: number, random: Random): number {
  const exponential = limits.reconnectBaseMs * 2 ** Math.min(attempt, 30);
  const ceiling = Math.min(limits.reconnectMaxMs, exponential);
  return Math.round(ceiling * (0.5 + random() / 2));
}
