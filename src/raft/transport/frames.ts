/**
 * The frames two transports exchange, one msgpack value per WebSocket message. A connection is
 * opened by the sending node; everything it sends travels on it, and the receiving node answers
 * requests and snapshot streams on the same connection.
 *
 * Dialer → acceptor: `msg`, `msgs`, `snap-begin`, `snap-chunk`, `snap-end`, `req`.
 * Acceptor → dialer: `snap-ack`, `resp`.
 */
import { Packr } from 'msgpackr';
import type { Message, SnapshotRequest } from '../core/types.js';
import { isMessage } from './message-shape.js';

/** One Raft message other than a snapshot. */
export interface MessageFrame {
  kind: 'msg';
  message: Message;
}

/**
 * Several Raft messages other than snapshots, in order: what one `Transport.send` call has for
 * one peer travels as one frame, so one TLS record and one socket write rather than one each.
 */
export interface MessagesFrame {
  kind: 'msgs';
  messages: Message[];
}

/**
 * Opens snapshot stream `id`: the snapshot message with empty data, the data's size and how many
 * chunks follow (at least one, so an empty snapshot travels as one empty chunk).
 */
export interface SnapshotBeginFrame {
  kind: 'snap-begin';
  id: number;
  message: SnapshotRequest;
  size: number;
  chunks: number;
}

/** Chunk `seq` (from 0, in order) of stream `id`, with the CRC-32 of its bytes. */
export interface SnapshotChunkFrame {
  kind: 'snap-chunk';
  id: number;
  seq: number;
  data: Uint8Array;
  crc: number;
}

/** Closes stream `id` with the SHA-256 of the whole data, checked before delivery. */
export interface SnapshotEndFrame {
  kind: 'snap-end';
  id: number;
  sha256: Uint8Array;
}

/** The receiver's verdict on stream `id`: delivered, or refused with a reason. */
export interface SnapshotAckFrame {
  kind: 'snap-ack';
  id: number;
  ok: boolean;
  reason: string;
}

export interface RequestFrame {
  kind: 'req';
  id: number;
  payload: Uint8Array;
}

export interface ResponseFrame {
  kind: 'resp';
  id: number;
  ok: boolean;
  /** The answer when `ok`; empty otherwise. */
  payload: Uint8Array;
  /** The error code and message when not `ok`; empty otherwise. */
  code: string;
  error: string;
}

export type Frame =
  | MessageFrame
  | MessagesFrame
  | SnapshotBeginFrame
  | SnapshotChunkFrame
  | SnapshotEndFrame
  | SnapshotAckFrame
  | RequestFrame
  | ResponseFrame;

/** Thrown by {@link decodeFrame} for bytes that are not a well-formed frame. */
export class FrameDecodeError extends Error {
  readonly code = 'transport_bad_frame';

  constructor(reason: string) {
    super(`bad frame: ${reason}`);
    this.name = 'FrameDecodeError';
  }
}

// Records off keeps frames plain msgpack maps; 64-bit integers come back as numbers (Raft
// indexes stay far below 2^53) rather than BigInts that would fail the shape checks.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Encodes a frame to bytes ready for `ws.send`. */
export function encodeFrame(frame: Frame): Buffer {
  return packr.pack(frame);
}

/**
 * Decodes and checks one frame. Byte fields of the result may share memory with `bytes`.
 *
 * @throws FrameDecodeError when `bytes` is not msgpack or not a frame of a known kind and shape.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    throw new FrameDecodeError('not msgpack');
  }
  if (typeof value !== 'object' || value === null) throw new FrameDecodeError('not a map');
  const frame = value as Record<string, unknown>;

  switch (frame.kind) {
    case 'msg':
      if (!isMessage(frame.message) || frame.message.type === 'snapshot') {
        throw new FrameDecodeError('malformed message');
      }
      break;
    case 'msgs':
      if (
        !Array.isArray(frame.messages) ||
        frame.messages.length === 0 ||
        !frame.messages.every((m) => isMessage(m) && m.type !== 'snapshot')
      ) {
        throw new FrameDecodeError('malformed messages');
      }
      break;
    case 'snap-begin':
      if (
        !isId(frame.id) ||
        !isMessage(frame.message) ||
        frame.message.type !== 'snapshot' ||
        !isId(frame.size) ||
        !isId(frame.chunks)
      ) {
        throw new FrameDecodeError('malformed snapshot begin');
      }
      break;
    case 'snap-chunk':
      if (
        !isId(frame.id) ||
        !isId(frame.seq) ||
        !(frame.data instanceof Uint8Array) ||
        !isId(frame.crc)
      ) {
        throw new FrameDecodeError('malformed snapshot chunk');
      }
      break;
    case 'snap-end':
      if (!isId(frame.id) || !(frame.sha256 instanceof Uint8Array)) {
        throw new FrameDecodeError('malformed snapshot end');
      }
      break;
    case 'snap-ack':
      if (!isId(frame.id) || typeof frame.ok !== 'boolean' || typeof frame.reason !== 'string') {
        throw new FrameDecodeError('malformed snapshot ack');
      }
      break;
    case 'req':
      if (!isId(frame.id) || !(frame.payload instanceof Uint8Array)) {
        throw new FrameDecodeError('malformed request');
      }
      break;
    case 'resp':
      if (
        !isId(frame.id) ||
        typeof frame.ok !== 'boolean' ||
        !(frame.payload instanceof Uint8Array) ||
        typeof frame.code !== 'string' ||
        typeof frame.error !== 'string'
      ) {
        throw new FrameDecodeError('malformed response');
      }
      break;
    default:
      throw new FrameDecodeError('unknown kind');
  }
  return frame as unknown as Frame;
}

/**
 * Round-trips a message through the wire codec: a deep copy holding exactly what a peer would
 * decode, or null when the decoded copy is not a well-formed message. The in-memory transport
 * uses it so tests see the same data types as over the network.
 */
export function wireCopy(message: Message): Message | null {
  const copy: unknown = packr.unpack(packr.pack(message));
  return isMessage(copy) ? copy : null;
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
