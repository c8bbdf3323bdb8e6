/**
 * Named request channels over the transport's single request/response channel. The node owns
 * `transport.onRequest`; the node itself (removal notices), the physical store (writes
 * forwarded from followers) and the server (client requests forwarded to the leader) each use
 * their own channel through `RaftNode.request` and `RaftNode.handle`.
 *
 * A frame is the msgpack array `[channel, payload]`.
 */
import { Packr } from 'msgpackr';
import type { NodeId } from '../core/types.js';
import type { Transport } from '../transport/types.js';
import type { ChannelHandler } from './types.js';

const packr = new Packr({ useRecords: false });

/** Thrown (and sent back to the caller) for a frame on a channel nobody handles. */
export class UnknownChannelError extends Error {
  readonly code = 'unknown_channel';

  constructor(channel: string) {
    super(`no handler for request channel ${JSON.stringify(channel)}`);
    this.name = 'UnknownChannelError';
  }
}

export class RequestMux {
  private readonly handlers = new Map<string, ChannelHandler>();

  constructor(private readonly transport: Transport) {
    transport.onRequest((from, frame) => this.serve(from, frame));
  }

  /** Sets (or, with null, removes) the handler of `channel`. */
  handle(channel: string, handler: ChannelHandler | null): void {
    if (handler === null) this.handlers.delete(channel);
    else this.handlers.set(channel, handler);
  }

  /** Sends `payload` to `peer`'s handler of `channel`; rejects as `Transport.request` does. */
  request(
    peer: NodeId,
    channel: string,
    payload: Uint8Array,
    timeoutMs: number,
  ): Promise<Uint8Array> {
    const frame = packr.pack([channel, payload]) as Uint8Array;
    return this.transport.request(peer, frame, timeoutMs);
  }

  private async serve(from: NodeId, frame: Uint8Array): Promise<Uint8Array> {
    const decoded = unpackFrame(frame);
    if (decoded === null) throw new UnknownChannelError('(malformed frame)');
    const handler = this.handlers.get(decoded.channel);
    if (handler === undefined) throw new UnknownChannelError(decoded.channel);
    return handler(from, decoded.payload);
  }
}

function unpackFrame(frame: Uint8Array): { channel: string; payload: Uint8Array } | null {
  let value: unknown;
  try {
    value = packr.unpack(frame);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [channel, payload] = value as unknown[];
  if (typeof channel !== 'string' || !(payload instanceof Uint8Array)) return null;
  return { channel, payload };
}
