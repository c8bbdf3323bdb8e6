/**
 * The socket Node's HTTP server sees for each client connection: a duplex stream over the real
 * socket (plain TCP, or TLS after the handshake) whose readable side carries what the
 * {@link RequestFramer} passes and whose writable side writes straight to the real socket.
 *
 * Node's server accepts any duplex stream as a connection (`server.emit('connection', stream)`)
 * and then feeds llhttp from its `data` events; it only reaches into the socket's native handle
 * when it has one, which this stream has not. The accessors code usually reads from
 * `request.raw.socket` (addresses, `encrypted`, and for TLS `authorized` and
 * `getPeerCertificate()`) are forwarded to the real socket, which {@link tlsSocketOf} also gives.
 *
 * @module
 */
import { Duplex } from 'node:stream';
import type net from 'node:net';
import type tls from 'node:tls';
import { FramingError } from './errors.js';
import { RequestFramer } from './framing.js';
import type { FramerOptions } from './framing.js';

/** How a {@link FramedConnection} is set up. */
export interface FramedConnectionOptions extends FramerOptions {
  /**
   * Longest time, in ms, a request head may take to arrive once it has begun (0: no limit).
   * llhttp sees a head only once the tracker has all of it, so Node's own `headersTimeout`
   * cannot see a slow one; this timer stands in for it.
   */
  readonly headTimeoutMs: number;
  /** Called once when the connection's input is refused, before the error is reported. */
  readonly onRefused?: (error: FramingError, connection: FramedConnection) => void;
}

/**
 * A client connection as the HTTP server sees it. Reading yields the tracked request stream;
 * writing goes to the client unchanged. A refused input is reported as an `error` event carrying
 * a {@link FramingError}: Node's server turns that into its `clientError` event, whose handler
 * answers with the error's status and destroys the connection.
 */
export class FramedConnection extends Duplex {
  /** Whether the connection is TLS; read by fastify for `request.protocol`. */
  readonly encrypted: boolean = false;
  readonly #framer: RequestFramer;
  readonly #options: FramedConnectionOptions;
  #headTimer: NodeJS.Timeout | null = null;
  #transportPaused = false;
  #refused = false;

  constructor(
    /** The real socket. Use it for anything this class does not forward. */
    readonly transport: net.Socket,
    options: FramedConnectionOptions,
  ) {
    super({ allowHalfOpen: true });
    this.#options = options;
    this.#framer = new RequestFramer(options);
    transport.on('data', (data: Buffer) => this.#receive(data));
    transport.on('end', () => {
      this.#clearHeadTimer();
      if (!this.#refused) this.push(null);
    });
    transport.on('error', (error) => this.destroy(error));
    transport.on('close', () => this.destroy());
    transport.on('timeout', () => this.emit('timeout'));
  }

  get remoteAddress(): string | undefined {
    return this.transport.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.transport.remotePort;
  }

  get remoteFamily(): string | undefined {
    return this.transport.remoteFamily;
  }

  get localAddress(): string | undefined {
    return this.transport.localAddress;
  }

  get localPort(): number | undefined {
    return this.transport.localPort;
  }

  address(): ReturnType<net.Socket['address']> {
    return this.transport.address();
  }

  /** Like `net.Socket.setTimeout`: `timeout` events follow the real socket's inactivity. */
  setTimeout(timeoutMs: number, callback?: () => void): this {
    this.transport.setTimeout(timeoutMs);
    if (callback !== undefined) {
      if (timeoutMs === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.transport.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelayMs?: number): this {
    this.transport.setKeepAlive(enable, initialDelayMs);
    return this;
  }

  ref(): this {
    this.transport.ref();
    return this;
  }

  unref(): this {
    this.transport.unref();
    return this;
  }

  /**
   * Ends the connection once everything written so far is sent, as `net.Socket.destroySoon`
   * does; Node's server calls it after the last response of a connection.
   */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  override _read(): void {
    if (this.#transportPaused) {
      this.#transportPaused = false;
      this.transport.resume();
    }
  }

  override _write(
    chunk: Buffer,
    encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.transport.write(chunk, encoding, callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    // One corked batch, so a response's head and body leave in as few packets as possible.
    this.transport.cork();
    chunks.forEach(({ chunk, encoding }, index) => {
      this.transport.write(chunk, encoding, index === chunks.length - 1 ? callback : undefined);
    });
    this.transport.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.transport.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clearHeadTimer();
    this.transport.destroy();
    callback(error);
  }

  #receive(data: Buffer): void {
    if (this.#refused) return;
    const { chunks, fault } = this.#framer.push(data);
    for (const chunk of chunks) {
      if (!this.push(chunk) && !this.#transportPaused) {
        this.#transportPaused = true;
        this.transport.pause();
      }
    }
    if (fault !== undefined) {
      this.#refuse(fault);
      return;
    }
    if (this.#framer.awaitingHead) this.#armHeadTimer();
    else this.#clearHeadTimer();
  }

  #armHeadTimer(): void {
    if (this.#headTimer !== null || this.#options.headTimeoutMs <= 0) return;
    this.#headTimer = setTimeout(() => {
      this.#headTimer = null;
      this.#refuse(new FramingError('head-timeout', { timeoutMs: this.#options.headTimeoutMs }));
    }, this.#options.headTimeoutMs);
    this.#headTimer.unref();
  }

  #clearHeadTimer(): void {
    if (this.#headTimer === null) return;
    clearTimeout(this.#headTimer);
    this.#headTimer = null;
  }

  /**
   * Stops reading and reports the error the way a parse error of llhttp is reported, so the
   * server's `clientError` handler answers it. If that handler leaves the connection open, the
   * connection is still ended once what it wrote has been sent.
   */
  #refuse(error: FramingError): void {
    this.#refused = true;
    this.#clearHeadTimer();
    this.#options.onRefused?.(error, this);
    if (this.destroyed) return;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else this.destroy(error);
    if (!this.destroyed) this.destroySoon();
  }
}

/**
 * A TLS client connection: a {@link FramedConnection} that also forwards what auth methods read
 * from a TLS socket (the verified client certificate and the handshake's outcome).
 */
export class FramedTlsConnection extends FramedConnection {
  override readonly encrypted = true;

  constructor(
    override readonly transport: tls.TLSSocket,
    options: FramedConnectionOptions,
  ) {
    super(transport, options);
  }

  /** Whether the client's certificate was verified against the server's CAs. */
  get authorized(): boolean {
    return this.transport.authorized;
  }

  /**
   * Why the client's certificate failed verification: OpenSSL's code for it (such as
   * `UNABLE_TO_VERIFY_LEAF_SIGNATURE`), or null. Node's typings call it an Error, but on a
   * server socket Node sets the code string.
   */
  get authorizationError(): string | null {
    const reason: unknown = this.transport.authorizationError;
    if (typeof reason === 'string') return reason;
    return reason instanceof Error ? reason.message : null;
  }

  get alpnProtocol(): string | false | null {
    return this.transport.alpnProtocol ?? null;
  }

  getPeerCertificate(detailed: true): tls.DetailedPeerCertificate;
  getPeerCertificate(detailed?: false): tls.PeerCertificate;
  getPeerCertificate(detailed?: boolean): tls.PeerCertificate | tls.DetailedPeerCertificate;
  getPeerCertificate(detailed?: boolean): tls.PeerCertificate | tls.DetailedPeerCertificate {
    return this.transport.getPeerCertificate(detailed === true);
  }

  getPeerX509Certificate(): ReturnType<tls.TLSSocket['getPeerX509Certificate']> {
    return this.transport.getPeerX509Certificate();
  }

  getProtocol(): string | null {
    return this.transport.getProtocol();
  }

  getCipher(): tls.CipherNameAndProtocol {
    return this.transport.getCipher();
  }
}

/**
 * The TLS socket under `socket`, whether that is a {@link FramedTlsConnection}, a plain
 * `tls.TLSSocket`, or anything else (then `null`: a plain TCP connection, or fastify's `inject`).
 * This is how an auth method reaches the client certificate from `request.raw.socket`.
 */
export function tlsSocketOf(socket: unknown): tls.TLSSocket | null {
  if (socket instanceof FramedTlsConnection) return socket.transport;
  if (socket instanceof FramedConnection) return null;
  const candidate = socket as Partial<tls.TLSSocket> | null | undefined;
  if (candidate?.encrypted === true && typeof candidate.getPeerCertificate === 'function') {
    return socket as tls.TLSSocket;
  }
  return null;
}
