/**
 * The inbound half of a link: a WebSocket a peer dialed and this node accepted after checking
 * the peer's certificate. It decodes the peer's frames, delivers Raft messages, reassembles
 * snapshots and serves requests, answering on the same socket.
 */
import type WebSocket from 'ws';
import type { Message, NodeId } from '../core/types.js';
import type { Logger } from '../../util/logger.js';
import { decodeFrame, encodeFrame } from './frames.js';
import type {
  Frame,
  RequestFrame,
  SnapshotBeginFrame,
  SnapshotChunkFrame,
  SnapshotEndFrame,
} from './frames.js';
import type { TransportLimits } from './options.js';
import { SnapshotAssembler, SnapshotStreamError } from './snapshot-stream.js';
import type { RequestHandler } from './types.js';

/** What an inbound connection needs from its transport. */
export interface InboundContext {
  self: NodeId;
  limits: TransportLimits;
  logger: Logger;
  deliver(message: Message): void;
  /** The current request handler, or null when none is set. */
  requestHandler(): RequestHandler | null;
}

export class InboundConnection {
  private assembler: SnapshotAssembler | null = null;
  private inflightRequests = 0;
  /** Set by close: frames still arriving during the closing handshake are ignored. */
  private closed = false;
  /** When a frame or ping last arrived (ms, monotonic enough for idle checks). */
  lastSeen = Date.now();

  constructor(
    readonly peer: NodeId,
    private readonly ws: WebSocket,
    private readonly ctx: InboundContext,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onData(data, isBinary));
    ws.on('ping', () => {
      this.lastSeen = Date.now();
    });
    ws.on('error', (err) => {
      ctx.logger.debug({ peer, reason: err.message }, 'inbound connection error');
    });
  }

  /** Closes the connection; any partial snapshot is discarded. */
  close(code: number, reason: string): void {
    this.closed = true;
    this.assembler = null;
    this.ws.close(code, reason);
    // A peer that does not finish the closing handshake is cut off.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  /** Drops the connection at once, without a closing handshake. */
  terminate(): void {
    this.closed = true;
    this.assembler = null;
    this.ws.terminate();
  }

  /** Registers a listener for the socket closing. */
  onClose(listener: () => void): void {
    this.ws.on('close', listener);
  }

  private onData(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.lastSeen = Date.now();
    let frame: Frame;
    try {
      if (!isBinary) throw new Error('text frame');
      frame = decodeFrame(data);
    } catch (err) {
      this.ctx.logger.debug({ peer: this.peer, err }, 'dropped undecodable frame');
      return;
    }

    switch (frame.kind) {
      case 'msg':
        if (this.fromPeer(frame.message)) this.ctx.deliver(frame.message);
        return;
      case 'msgs':
        for (const message of frame.messages) {
          if (this.fromPeer(message)) this.ctx.deliver(message);
        }
        return;
      case 'snap-begin':
        this.beginSnapshot(frame);
        return;
      case 'snap-chunk':
        this.addChunk(frame);
        return;
      case 'snap-end':
        this.endSnapshot(frame);
        return;
      case 'req':
        this.serve(frame);
        return;
      default:
        this.ctx.logger.debug({ peer: this.peer, kind: frame.kind }, 'dropped unexpected frame');
    }
  }

  /** A message must come from the authenticated peer and be addressed to this node. */
  private fromPeer(message: Message): boolean {
    if (message.from === this.peer && message.to === this.ctx.self) return true;
    this.ctx.logger.debug(
      { peer: this.peer, from: message.from, to: message.to, type: message.type },
      'dropped message with mismatched sender or recipient',
    );
    return false;
  }

  // Snapshots.

  private beginSnapshot(frame: SnapshotBeginFrame): void {
    if (this.assembler !== null) this.refuse(this.assembler.id, 'superseded by a newer snapshot');
    this.assembler = null;
    if (!this.fromPeer(frame.message)) {
      this.ack(frame.id, false, 'sender does not match the connection');
      return;
    }
    try {
      this.assembler = new SnapshotAssembler(frame, this.ctx.limits.maxSnapshotBytes);
    } catch (err) {
      this.refuse(frame.id, reasonOf(err));
    }
  }

  private addChunk(frame: SnapshotChunkFrame): void {
    const assembler = this.assembler;
    if (assembler === null || assembler.id !== frame.id) {
      this.ctx.logger.debug({ peer: this.peer, id: frame.id }, 'dropped chunk of unknown snapshot');
      return;
    }
    try {
      assembler.addChunk(frame);
    } catch (err) {
      this.assembler = null;
      this.refuse(frame.id, reasonOf(err));
    }
  }

  private endSnapshot(frame: SnapshotEndFrame): void {
    const assembler = this.assembler;
    if (assembler === null || assembler.id !== frame.id) return;
    this.assembler = null;
    let message: Message;
    try {
      message = assembler.finish(frame);
    } catch (err) {
      this.refuse(frame.id, reasonOf(err));
      return;
    }
    this.ctx.deliver(message);
    this.ack(frame.id, true, '');
  }

  private refuse(id: number, reason: string): void {
    this.ctx.logger.warn({ peer: this.peer, reason }, 'refused snapshot from peer');
    this.ack(id, false, reason);
  }

  private ack(id: number, ok: boolean, reason: string): void {
    this.reply({ kind: 'snap-ack', id, ok, reason });
  }

  // Requests.

  private serve(frame: RequestFrame): void {
    const handler = this.ctx.requestHandler();
    if (handler === null) {
      this.answerError(frame.id, 'no_handler', 'peer has no request handler');
      return;
    }
    if (this.inflightRequests >= this.ctx.limits.maxInflightRequests) {
      this.answerError(frame.id, 'busy', 'too many requests in flight');
      return;
    }

    this.inflightRequests += 1;
    let answer: Promise<Uint8Array>;
    try {
      answer = handler(this.peer, frame.payload);
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer
      .then((payload) => {
        if (!(payload instanceof Uint8Array)) throw new TypeError('handler did not return bytes');
        this.reply({ kind: 'resp', id: frame.id, ok: true, payload, code: '', error: '' });
      })
      .catch((err: unknown) => {
        const code = (err as { code?: unknown } | null)?.code;
        this.answerError(
          frame.id,
          typeof code === 'string' ? code : 'handler_failed',
          err instanceof Error ? err.message : String(err),
        );
      })
      .finally(() => {
        this.inflightRequests -= 1;
      });
  }

  private answerError(id: number, code: string, error: string): void {
    this.reply({ kind: 'resp', id, ok: false, payload: new Uint8Array(0), code, error });
  }

  /**
   * Answers travel back unqueued; one that does not fit the frame limit, or finds the socket
   * gone or backed up, is dropped and the caller times out.
   */
  private reply(frame: Frame): void {
    const bytes = encodeFrame(frame);
    const backedUp = this.ws.bufferedAmount > this.ctx.limits.maxUnflushedBytes;
    if (bytes.length > this.ctx.limits.maxFrameBytes || backedUp) {
      this.ctx.logger.debug({ peer: this.peer, kind: frame.kind }, 'dropped reply to peer');
      return;
    }
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(bytes, { binary: true });
  }
}

function reasonOf(err: unknown): string {
  return err instanceof SnapshotStreamError ? err.reason : String(err);
}
