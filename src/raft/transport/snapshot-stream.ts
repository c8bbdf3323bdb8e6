/**
 * Chunked snapshot streaming. A snapshot's data can be far larger than a frame, so the sender
 * cuts it into chunks, each carrying a CRC-32, and ends with the SHA-256 of the whole; the
 * receiver copies chunks into a buffer of the announced size, checking order, bounds and
 * checksums, and hands the snapshot on only once the final digest matches.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { SnapshotRequest } from '../core/types.js';
import type {
  SnapshotBeginFrame,
  SnapshotChunkFrame,
  SnapshotEndFrame,
} from './frames.js';

/** Why a snapshot stream was refused; the reason travels back to the sender in `snap-ack`. */
export class SnapshotStreamError extends Error {
  readonly code = 'transport_snapshot_refused';

  constructor(readonly reason: string) {
    super(`snapshot refused: ${reason}`);
    this.name = 'SnapshotStreamError';
  }
}

/**
 * Produces the frames of one outbound snapshot lazily, so no more than one chunk is copied at a
 * time and the caller can interleave other frames and wait for the socket to drain.
 */
export class SnapshotWriter {
  /** -1 before the begin frame, then chunk numbers, then `chunks` for the end frame. */
  private nextSeq = -1;
  private readonly chunks: number;
  private readonly hash: Hash = createHash('sha256');

  constructor(
    readonly id: number,
    readonly message: SnapshotRequest,
    private readonly chunkBytes: number,
  ) {
    this.chunks = Math.max(1, Math.ceil(message.snapshot.data.length / chunkBytes));
  }

  /**
   * The next frame of the stream: first the begin frame (the message without its data), then
   * each chunk, then the end frame, then null.
   */
  next(): SnapshotBeginFrame | SnapshotChunkFrame | SnapshotEndFrame | null {
    if (this.nextSeq > this.chunks) return null;
    if (this.nextSeq === -1) {
      this.nextSeq = 0;
      const { snapshot } = this.message;
      return {
        kind: 'snap-begin',
        id: this.id,
        message: { ...this.message, snapshot: { meta: snapshot.meta, data: new Uint8Array(0) } },
        size: snapshot.data.length,
        chunks: this.chunks,
      };
    }
    if (this.nextSeq === this.chunks) {
      this.nextSeq += 1;
      return { kind: 'snap-end', id: this.id, sha256: this.hash.digest() };
    }
    const start = this.nextSeq * this.chunkBytes;
    const data = this.message.snapshot.data.subarray(start, start + this.chunkBytes);
    this.hash.update(data);
    const frame: SnapshotChunkFrame = {
      kind: 'snap-chunk',
      id: this.id,
      seq: this.nextSeq,
      data,
      crc: crc32(data),
    };
    this.nextSeq += 1;
    return frame;
  }

  /** True once the end frame has been produced. */
  get finished(): boolean {
    return this.nextSeq > this.chunks;
  }
}

/**
 * Reassembles one inbound snapshot. Memory is bounded by the size announced in `snap-begin`,
 * which must not exceed `maxBytes`; every method throws {@link SnapshotStreamError} on the first
 * inconsistency, after which the assembler must be discarded.
 */
export class SnapshotAssembler {
  readonly id: number;
  private readonly data: Uint8Array;
  private readonly hash: Hash = createHash('sha256');
  private readonly chunks: number;
  private received = 0;
  private offset = 0;

  constructor(
    private readonly begin: SnapshotBeginFrame,
    maxBytes: number,
  ) {
    this.id = begin.id;
    if (begin.size > maxBytes) throw new SnapshotStreamError('snapshot exceeds the size limit');
    if (begin.chunks < 1 || begin.chunks > Math.max(1, begin.size)) {
      throw new SnapshotStreamError('implausible chunk count');
    }
    this.chunks = begin.chunks;
    this.data = new Uint8Array(begin.size);
  }

  /** Copies one chunk in after checking its sequence, bounds and CRC-32. */
  addChunk(chunk: SnapshotChunkFrame): void {
    if (chunk.seq !== this.received) throw new SnapshotStreamError('chunk out of order');
    if (this.received >= this.chunks) throw new SnapshotStreamError('more chunks than announced');
    if (this.offset + chunk.data.length > this.data.length) {
      throw new SnapshotStreamError('chunk overruns the announced size');
    }
    if (crc32(chunk.data) !== chunk.crc) throw new SnapshotStreamError('chunk checksum mismatch');

    this.data.set(chunk.data, this.offset);
    this.hash.update(chunk.data);
    this.offset += chunk.data.length;
    this.received += 1;
  }

  /**
   * Checks completeness and the whole-data digest, and returns the snapshot message with its
   * data in place.
   */
  finish(end: SnapshotEndFrame): SnapshotRequest {
    if (this.received !== this.chunks || this.offset !== this.data.length) {
      throw new SnapshotStreamError('snapshot ended early');
    }
    const digest = this.hash.digest();
    if (!digest.equals(end.sha256)) throw new SnapshotStreamError('snapshot digest mismatch');
    const { message } = this.begin;
    return { ...message, snapshot: { meta: message.snapshot.meta, data: this.data } };
  }
}
