/** Cores behind HTTP servers, a request client for real sockets, and a recording logger. */
import https from 'node:https';
import http from 'node:http';

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

import { createHttpServer, type HttpServer, type HttpServerOptions } from '../../src/http/index.js';
import { MemoryStore } from '../../src/physical/index.js';
import type { Logger } from '../../src/util/logger.js';
import { Core, SingleNodeCluster, type CoreOptions } from '../../src/vault/index.js';

export interface Node {
  core: Core;
  server: HttpServer;
  app: FastifyInstance;
  physical: MemoryStore;
}

/** A core on `physical` (a fresh store by default) behind an HTTP server, not listening. */
export function startNode(
  options: Partial<CoreOptions> & { physical?: MemoryStore } = {},
  http: Partial<HttpServerOptions> = {},
): Node {
  const physical = options.physical ?? new MemoryStore();
  const core = new Core({
    cluster: new SingleNodeCluster(),
    storageType: 'inmem',
    ...options,
    physical,
  });
  const server = createHttpServer({ core, ...http });
  return { core, server, app: server.app, physical };
}

/** `PUT sys/init` with 5 shares and threshold 3, then `PUT sys/unseal` with 3 of them. */
export async function initAndUnsealOverHttp(
  app: FastifyInstance,
): Promise<{ keys: string[]; rootToken: string }> {
  const init = await app.inject({
    method: 'PUT',
    url: '/v1/sys/init',
    payload: { secret_shares: 5, secret_threshold: 3 },
  });
  const { keys, root_token: rootToken } = init.json() as { keys: string[]; root_token: string };
  for (const key of [keys[4], keys[0], keys[2]]) {
    await app.inject({ method: 'PUT', url: '/v1/sys/unseal', payload: { key } });
  }
  return { keys, rootToken };
}

/** An `inject` with the LIST method, which light-my-request only sends unvalidated. */
export function injectList(
  app: FastifyInstance,
  url: string,
  headers: Record<string, string>,
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'LIST' as 'GET', url, headers, validate: false });
}

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over a real socket (TLS when `ca` is given), on a connection of its own. */
export function wireRequest(options: {
  port: number;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  ca?: string;
  cert?: string;
  key?: string;
}): Promise<WireResponse> {
  const secure = options.ca !== undefined;
  const requestOptions: https.RequestOptions = {
    host: '127.0.0.1',
    port: options.port,
    method: options.method,
    path: options.path,
    headers: options.headers,
    agent: false,
    ...(secure ? { ca: options.ca, cert: options.cert, key: options.key } : {}),
  };
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(requestOptions, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

/** A logger that keeps every record, to check what reaches the logs. */
export class RecordingLogger implements Logger {
  readonly records: Array<{ level: string; fields: object; message: string }> = [];

  debug(fields: object, message: string): void {
    this.records.push({ level: 'debug', fields, message });
  }

  info(fields: object, message: string): void {
    this.records.push({ level: 'info', fields, message });
  }

  warn(fields: object, message: string): void {
    this.records.push({ level: 'warn', fields, message });
  }

  error(fields: object, message: string): void {
    this.records.push({ level: 'error', fields, message });
  }

  /** Every record as text, errors with their message, cause and stack. */
  text(): string {
    return JSON.stringify(this.records, (_key, value: unknown) =>
      value instanceof Error
        ? { message: value.message, stack: value.stack, cause: value.cause }
        : value,
    );
  }
}
