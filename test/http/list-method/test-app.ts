/**
 * A fastify app on {@link createVaultServer}, listening on 127.0.0.1 with a port the OS picks,
 * whose one route answers every method (LIST included) under /v1/ with what it received.
 */
import type net from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { createVaultServer, registerListMethod } from '../../../src/http/list-method/index.js';
import type { VaultServerOptions } from '../../../src/http/list-method/index.js';

/** What the route saw of one request. */
export interface Hit {
  method: string;
  url: string;
  body: unknown;
  trailers: Record<string, string | undefined>;
  headers: Record<string, unknown>;
}

export interface TestApp {
  app: FastifyInstance;
  port: number;
  hits: Hit[];
  /** Errors the server reported through its `clientError` event. */
  clientErrors: Error[];
  close(): Promise<void>;
}

/** Starts the app; `configure` may add routes before it listens. */
export async function startApp(
  options: VaultServerOptions = {},
  configure: (app: FastifyInstance) => void = () => undefined,
): Promise<TestApp> {
  const app = Fastify({ serverFactory: (handler) => createVaultServer(handler, options) });
  registerListMethod(app);
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const hits: Hit[] = [];
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'LIST'],
    url: '/v1/*',
    handler: async (request) => {
      const hit: Hit = {
        method: request.method,
        url: request.url,
        body: request.body ?? null,
        trailers: { ...request.raw.trailers },
        headers: { ...request.headers },
      };
      hits.push(hit);
      return hit;
    },
  });

  configure(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const clientErrors: Error[] = [];
  app.server.on('clientError', (error: Error) => clientErrors.push(error));
  const port = (app.server.address() as net.AddressInfo).port;
  return { app, port, hits, clientErrors, close: () => app.close() };
}
