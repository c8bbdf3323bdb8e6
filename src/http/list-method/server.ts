/**
 * The HTTP(S) server of Coffer's API, with the LIST method working end to end.
 *
 * Node's HTTP parser refuses the method `LIST` that Vault clients send. This server puts a
 * framing tracker ({@link RequestFramer}) on every connection, between the socket (TCP, or TLS
 * after the handshake) and the parser: it rewrites `LIST` request lines to `GET` plus a marker
 * field, and the server turns each marked request back into `LIST` (removing the marker) before
 * any `request` listener, fastify included, sees it. The marker carries a random value chosen per
 * server, and the tracker refuses any client that sends the marker field itself, so a client
 * cannot make a request look like LIST by sending it.
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { invariant } from '../../util/assert.js';
import { silentLogger } from '../../util/logger.js';
import type { Logger } from '../../util/logger.js';
import { FramedConnection, FramedTlsConnection } from './connection.js';
import type { FramedConnectionOptions } from './connection.js';
import type { FramingError } from './errors.js';

/** The lowercase name of the field that marks a rewritten LIST request on its way to the parser. */
export const LIST_MARKER_FIELD = 'coffer-list-method';

/** TLS settings of the API listener. */
export interface VaultTlsOptions extends tls.SecureContextOptions {
  /** Ask clients for a certificate (for the cert auth method). Default false. */
  requestCert?: boolean;
  /**
   * Refuse the handshake when a client's certificate does not verify against `ca`. Default
   * false: a client certificate stays optional, and whoever relies on it checks
   * `authorized` on the connection (see {@link tlsSocketOf}).
   */
  rejectUnauthorized?: boolean;
}

/** Settings of {@link createVaultServer}. */
export interface VaultServerOptions {
  /** Serve HTTPS with these settings; plain HTTP without. */
  tls?: VaultTlsOptions;
  /** Largest request head in bytes, for tracker and parser. Default `http.maxHeaderSize`. */
  maxHeaderSize?: number;
  /** Time allowed for a request head to arrive, in ms. Default Node's (60 s). */
  headersTimeout?: number;
  /** Time allowed for a whole request to arrive, in ms. Default Node's (300 s). */
  requestTimeout?: number;
  /** How long an idle keep-alive connection stays open, in ms. Default Node's (5 s). */
  keepAliveTimeout?: number;
  log?: Logger;
}

/** What Node's server calls for each request: fastify's `serverFactory` hands one in. */
export type VaultRequestHandler = (
  request: http.IncomingMessage,
  response: http.ServerResponse,
) => void;

/** Server events whose first argument is a request, which must see the restored method. */
const REQUEST_EVENTS = new Set<string | symbol>(['request', 'checkContinue', 'checkExpectation']);

/**
 * Creates the API server: an `https.Server` when `options.tls` is given, else an `http.Server`,
 * whose connections go through the LIST framing tracker. Usable as fastify's `serverFactory`:
 *
 * @example
 * const app = Fastify({ serverFactory: (handler) => createVaultServer(handler, { tls }) });
 * registerListMethod(app);
 *
 * `request.raw.socket` is then a {@link FramedConnection}; for TLS it forwards `authorized`,
 * `authorizationError` and `getPeerCertificate()`, and {@link tlsSocketOf} returns the TLS
 * socket itself. Framing refusals reach the server's `clientError` event as a
 * {@link FramingError} (with `httpStatus`). Protocol upgrades are not served: an `upgrade`
 * event is answered by closing the connection.
 */
export function createVaultServer(
  handler: VaultRequestHandler,
  options: VaultServerOptions & { tls: VaultTlsOptions },
): https.Server;
export function createVaultServer(
  handler: VaultRequestHandler,
  options?: VaultServerOptions,
): http.Server;
export function createVaultServer(
  handler: VaultRequestHandler,
  options: VaultServerOptions = {},
): http.Server | https.Server {
  const log = options.log ?? silentLogger;
  const maxHeaderSize = options.maxHeaderSize ?? http.maxHeaderSize;
  const secret = randomBytes(16).toString('hex');
  const markerLine = Buffer.from(`${LIST_MARKER_FIELD}: ${secret}\r\n`, 'latin1');
  const base: http.ServerOptions = { maxHeaderSize };
  if (options.headersTimeout !== undefined) base.headersTimeout = options.headersTimeout;
  if (options.requestTimeout !== undefined) base.requestTimeout = options.requestTimeout;

  // On this server side, rejectUnauthorized only decides whether a client WITHOUT a valid
  // certificate may still connect: Vault's listener asks for client certificates but does not
  // require them (tls_require_and_verify_client_cert turns that on). Chains are still verified
  // against `ca`; whoever reads the certificate (the cert auth method) must check `authorized`.
  const server =
    options.tls === undefined
      ? http.createServer(base, handler)
      : https.createServer(
          { ...base, ...options.tls, rejectUnauthorized: options.tls.rejectUnauthorized ?? false },
          handler,
        );
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;

  const onRefused = (error: FramingError, connection: FramedConnection): void => {
    const fields = { fault: error.fault, httpStatus: error.httpStatus };
    log.info({ ...fields, remoteAddress: connection.remoteAddress }, 'refused request framing');
  };
  const connectionOptions = (): FramedConnectionOptions => ({
    // The marker line is added to a head the tracker accepted; the parser must accept the sum.
    maxHeadBytes: maxHeaderSize - markerLine.length,
    markerName: LIST_MARKER_FIELD,
    markerLine,
    headTimeoutMs: server.headersTimeout,
    onRefused,
  });

  if (options.tls === undefined) {
    interposeOnConnections(server, 'connection', (socket) => {
      return new FramedConnection(socket, connectionOptions());
    });
  } else {
    interposeOnConnections(server, 'secureConnection', (socket) => {
      return new FramedTlsConnection(socket as tls.TLSSocket, connectionOptions());
    });
  }
  restoreMethodOnRequestEvents(server, Buffer.from(secret, 'latin1'), log);
  return server;
}

/**
 * Replaces the server's own listener for new connections (Node's HTTP connection setup, the
 * only listener a fresh server has) with one that hands it the framed connection instead.
 */
function interposeOnConnections(
  server: http.Server | https.Server,
  event: 'connection' | 'secureConnection',
  frame: (socket: net.Socket) => FramedConnection,
): void {
  const listeners = server.listeners(event);
  invariant(listeners.length === 1, 'a new HTTP server has one connection listener', {
    event,
    count: listeners.length,
  });
  const setUpHttp = listeners[0] as (this: unknown, socket: unknown) => void;
  server.removeListener(event, setUpHttp);
  server.on(event, (socket: net.Socket) => setUpHttp.call(server, frame(socket)));
}

/**
 * Wraps `server.emit` so that a marked request is restored (method `LIST`, marker removed)
 * before any listener of a request event runs, whichever event Node picks for it.
 */
function restoreMethodOnRequestEvents(
  server: http.Server | https.Server,
  secret: Buffer,
  log: Logger,
): void {
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    if (REQUEST_EVENTS.has(event)) restoreListMethod(args[0] as http.IncomingMessage, secret);
    if (event === 'upgrade') {
      // The tracker cannot follow a connection that leaves HTTP/1.1.
      log.info({ url: (args[0] as http.IncomingMessage).url }, 'refused protocol upgrade');
      (args[1] as net.Socket).destroy();
      return true;
    }
    return emit(event, ...args);
  };
}

/**
 * Turns a request the tracker marked back into a LIST request: removes the marker field from
 * `rawHeaders`, `headers` and `headersDistinct`, and sets the method when the marker's value is
 * this server's secret.
 */
function restoreListMethod(request: http.IncomingMessage, secret: Buffer): void {
  const raw = request.rawHeaders;
  if (raw[0]?.toLowerCase() !== LIST_MARKER_FIELD) return;

  // Node builds `headers` and `headersDistinct` lazily from `rawHeaders` and a count of its
  // own; building both before editing `rawHeaders` keeps the three consistent.
  delete request.headers[LIST_MARKER_FIELD];
  delete request.headersDistinct[LIST_MARKER_FIELD];
  const value = Buffer.from(raw[1] ?? '', 'latin1');
  raw.splice(0, 2);
  const genuine = value.length === secret.length && timingSafeEqual(value, secret);
  if (genuine && request.method === 'GET') request.method = 'LIST';
}
