/**
 * The API server: fastify on the LIST-capable server of ./list-method, with every `/v1/*`
 * request turned into a logical request for the core, or forwarded to the leader.
 *
 * For each request:
 *   1. decode the request line: operation from the method (`LIST` or `GET ?list=true` is list),
 *      decoded and checked path, query data, client token (`X-Vault-Token` or
 *      `Authorization: Bearer`);
 *   2. ask the core where it is served: here, on the leader (forward the whole HTTP request and
 *      relay the answer unchanged, or 307 with `X-Vault-No-Request-Forwarding`), or nowhere yet
 *      (503 with `Retry-After`);
 *   3. decode the body (JSON or form; bytes for snapshot restore), run the core's pipeline, and
 *      write Vault's envelope (envelope.ts).
 *
 * Errors become `{"errors":[...]}` with the status of their code (error-map.ts). Requests are
 * logged at debug with the token headers redacted; 5xx failures at error with their cause,
 * which the client never sees.
 */
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

import { InvalidRequestError, NoActiveNodeError, NotFoundError } from '../logical/errors.js';
import type { Request } from '../logical/request.js';
import { debugEnabled, silentLogger, type Logger } from '../util/logger.js';
import type { ForwardedRequest, ForwardedResponse } from '../vault/cluster.js';
import type { Core } from '../vault/core.js';
import { ForwardRequiredError } from '../vault/errors.js';
import { decodeBody, mediaType } from './body.js';
import { connectionOf } from './connection.js';
import { describeError, ERROR_TABLE, errorCode } from './error-map.js';
import { errorReply, JSON_CONTENT_TYPE, replyFor, type Reply } from './envelope.js';
import { MethodNotAllowedError, UnsupportedMediaTypeError } from './errors.js';
import { Forwarding } from './forwarding.js';
import {
  createVaultServer,
  registerListMethod,
  type VaultTlsOptions,
} from './list-method/index.js';
import {
  API_METHODS,
  API_PREFIX,
  clientTokenOf,
  publicHeaders,
  readRequestLine,
  redactedHeaders,
  wrapTtlOf,
} from './request-line.js';

/** Vault's default `max_request_size`: 32 MiB. */
export const DEFAULT_MAX_REQUEST_SIZE = 32 * 1024 * 1024;

const MERGE_PATCH_TYPE = 'application/merge-patch+json';

/**
 * 5xx answers that are a known state, logged at debug rather than once per request at warn or
 * error: a sealed node, and an audit refusal (the core logs once that a configured device is not
 * enabled, the broker each device that failed to write).
 */
const EXPECTED_UNAVAILABLE = new Set(['vault_sealed', 'sealed', 'audit_failed']);

export interface HttpServerOptions {
  readonly core: Core;
  readonly logger?: Logger;
  /** Serve HTTPS with these settings (certificate, key, optional client CAs); HTTP without. */
  readonly tls?: VaultTlsOptions;
  /** Largest request body in bytes, enforced while it streams (413); null for no limit. */
  readonly maxRequestSize?: number | null;
  /** Time allowed for a request head, in ms (slow clients are cut off). Node's default. */
  readonly headersTimeout?: number;
  /** Time allowed for a whole request, in ms. Node's default. */
  readonly requestTimeout?: number;
}

export interface HttpServer {
  /** The fastify app; tests drive it with `app.inject`. */
  readonly app: FastifyInstance;
  /** Starts listening; resolves to the bound address (port 0 lets the OS pick). */
  listen(options: { host: string; port: number }): Promise<AddressInfo>;
  /** Stops listening and closes connections. */
  close(): Promise<void>;
  /**
   * Leader side of forwarding: serves a request a standby forwarded, through this server's
   * pipeline, and returns the answer for the standby to relay. The cluster channel calls it.
   */
  serveForwarded(request: ForwardedRequest): Promise<ForwardedResponse>;
}

/** Builds the API server around `core`. Nothing listens until {@link HttpServer.listen}. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { core } = options;
  const log = options.logger ?? silentLogger;
  const maxRequestSize =
    options.maxRequestSize === null
      ? Number.MAX_SAFE_INTEGER
      : (options.maxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE);

  const app = Fastify({
    serverFactory: (handler) =>
      createVaultServer(handler, {
        tls: options.tls,
        log,
        headersTimeout: options.headersTimeout,
        requestTimeout: options.requestTimeout,
      }),
    bodyLimit: maxRequestSize,
    genReqId: () => randomUUID(),
    logger: false,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    clientErrorHandler: (err, socket) => answerClientError(err, socket, log),
    // The router refuses a URL it cannot percent-decode before any hook or handler runs; answer
    // in Vault's envelope, as readRequestLine does, without echoing the path.
    frameworkErrors: (err, _request, reply) => {
      const refused =
        err.code === 'FST_ERR_BAD_URL'
          ? new InvalidRequestError('invalid request path: bad percent-encoding')
          : err;
      void send(reply, errorReply(describeError(refused)));
    },
  });
  registerListMethod(app);
  const forwarding = new Forwarding(app, core.cluster, log);

  // Bodies are read as bytes and decoded by the handler, which knows the path and the method.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // The two request lines are debug lines; the log level is fixed for the process's life, and
  // without them fastify skips its hook runs for every request.
  if (debugEnabled(log)) addDebugRequestLines(app, log);

  app.route({
    method: [...API_METHODS],
    url: `${API_PREFIX}*`,
    handler: async (request, reply) => send(reply, await serveApi(core, forwarding, request)),
  });

  app.setNotFoundHandler(async (request, reply) => {
    const err = request.url.startsWith(API_PREFIX)
      ? new MethodNotAllowedError(request.method)
      : new NotFoundError();
    return send(reply, errorReply(describeError(err)));
  });

  app.setErrorHandler(async (err, request, reply) => {
    const described = describeError(err);
    const expected = EXPECTED_UNAVAILABLE.has(described.code ?? '');
    if (described.internal && !expected) {
      log.error({ reqId: request.id, code: described.code, err }, 'request failed');
    } else if (described.status >= 500 && !expected) {
      log.warn({ reqId: request.id, code: described.code, err }, 'request not served');
    } else {
      log.debug({ reqId: request.id, code: described.code, status: described.status }, 'refused');
    }
    return send(reply, errorReply(described));
  });

  return {
    app,
    async listen({ host, port }) {
      await app.listen({ host, port });
      return app.server.address() as AddressInfo;
    },
    close: () => app.close(),
    serveForwarded: (request) => forwarding.serve(request),
  };
}

/** Steps 1 to 3 of the module comment, for one `/v1/*` request. */
async function serveApi(
  core: Core,
  forwarding: Forwarding,
  request: FastifyRequest,
): Promise<Reply> {
  const line = readRequestLine(request.method, request.url);
  const replayedFrom = forwarding.claim(request);
  const connection = replayedFrom ?? connectionOf(request);
  const body = Buffer.isBuffer(request.body) ? request.body : undefined;

  const decision = core.forwardingDecision(line.path, line.operation);
  if (decision === 'no-leader' || (decision === 'forward' && replayedFrom !== undefined)) {
    throw new NoActiveNodeError();
  }
  // To the leader: relayed, or a 307 when the client asked not to be forwarded.
  const toLeader = (): Promise<Reply> | Reply => {
    if (request.headers['x-vault-no-request-forwarding'] !== undefined) {
      const redirect = forwarding.redirect(request.url);
      if (redirect === null) throw new NoActiveNodeError();
      return redirect;
    }
    return forwarding.relay(request, body, connection);
  };
  if (decision === 'forward') return toLeader();

  const takesBody = line.operation === 'update' || line.operation === 'patch';
  const rawBody = takesBody && core.takesRawBody(line.path);
  const contentType = request.headers['content-type'];
  if (line.operation === 'patch' && mediaType(contentType) !== MERGE_PATCH_TYPE) {
    throw new UnsupportedMediaTypeError(MERGE_PATCH_TYPE);
  }
  let data: Record<string, unknown> = line.query;
  if (takesBody) data = rawBody ? {} : decodeBody(body, contentType);

  const logical: Request = {
    id: request.id,
    operation: line.operation,
    path: line.path,
    data,
    body: rawBody ? body : undefined,
    headers: publicHeaders(request.headers),
    clientToken: clientTokenOf(request.headers),
    connection,
    wrapTtl: wrapTtlOf(request.headers),
  };
  if (decision !== 'local-read') {
    return replyFor(request.id, line.operation, await core.handleRequest(logical));
  }
  // A follower serves a read itself; if the handler turns out to write, nothing was written
  // and the leader serves the whole request instead.
  try {
    const response = await core.handleRequest(logical, { readOnly: true });
    return replyFor(request.id, line.operation, response);
  } catch (err) {
    if (!(err instanceof ForwardRequiredError) || replayedFrom !== undefined) throw err;
    return toLeader();
  }
}

/** Logs each request at debug as it arrives (token headers redacted) and once it is answered. */
function addDebugRequestLines(app: FastifyInstance, log: Logger): void {
  app.addHook('onRequest', async (request) => {
    log.debug(
      {
        reqId: request.id,
        method: request.method,
        path: pathOnly(request.url),
        remoteAddress: request.socket.remoteAddress,
        headers: redactedHeaders(request.headers),
      },
      'request received',
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    log.debug(
      {
        reqId: request.id,
        method: request.method,
        path: pathOnly(request.url),
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });
}

function send(reply: FastifyReply, answer: Reply): FastifyReply {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  // A Buffer is sent as is: fastify would add `; charset=utf-8` to a JSON string.
  return reply.send(answer.body);
}

/**
 * Answers a request Node's parser or the LIST framing tracker refused, in Vault's error shape,
 * and closes the connection (as Node's own handler does).
 */
function answerClientError(err: Error, socket: Socket, log: Logger): void {
  const code = errorCode(err);
  if (code === 'ECONNRESET' || socket.destroyed) return;
  const status = (code === undefined ? undefined : ERROR_TABLE[code]?.status) ?? 400;
  const reason = STATUS_CODES[status] ?? 'Bad Request';
  log.debug({ code, status }, 'refused malformed request');
  if (socket.writable) {
    const body = JSON.stringify({ errors: [reason.toLowerCase()] });
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${JSON_CONTENT_TYPE}\r\n` +
        `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The path of a URL, without the query (which may carry secret values). */
function pathOnly(url: string): string {
  const queryStart = url.indexOf('?');
  return queryStart < 0 ? url : url.slice(0, queryStart);
}
