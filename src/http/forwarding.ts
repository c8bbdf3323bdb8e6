/**
 * Request forwarding at the HTTP level (DESIGN.md "The write path"; vault-api.md §5). A
 * standby hands the whole HTTP request (method, URL, headers, body, client address and
 * certificate chain) to {@link ClusterControl.forward} and relays the leader's answer unchanged.
 * On the leader, the cluster channel delivers it to {@link Forwarding.serve}, which replays it
 * through the same fastify app, so a forwarded request meets exactly the pipeline a direct one
 * does.
 *
 * A replayed request carries a marker header whose value holds a secret chosen per process, so
 * a client cannot pass its request off as forwarded (and so choose its own client address or
 * certificate chain). A request that arrives forwarded is never forwarded again: if this node
 * lost leadership meanwhile, the answer is a 503 the client can retry, not a loop.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { ConnectionInfo } from '../logical/request.js';
import type { Logger } from '../util/logger.js';
import type { ClusterControl, ForwardedRequest, ForwardedResponse } from '../vault/cluster.js';
import { JSON_CONTENT_TYPE, type Reply } from './envelope.js';
import { ForwardingFailedError } from './errors.js';

/** The header that marks a replayed forwarded request; never accepted from a client. */
export const FORWARDED_MARKER = 'x-coffer-forwarded';

/** Headers that describe one hop, not the request: dropped when forwarding and relaying. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  FORWARDED_MARKER,
]);

export class Forwarding {
  private readonly secret = randomBytes(16).toString('hex');
  /** Client connections of forwarded requests being replayed, by replay id. */
  private readonly replays = new Map<string, ConnectionInfo>();

  constructor(
    private readonly app: FastifyInstance,
    private readonly cluster: ClusterControl,
    private readonly log: Logger,
  ) {}

  /**
   * The original client connection when `request` is a replay made by {@link Forwarding.serve},
   * else undefined. The marker header is removed either way, so handlers never see it.
   */
  claim(request: FastifyRequest): ConnectionInfo | undefined {
    const marker = request.headers[FORWARDED_MARKER];
    if (marker === undefined) return undefined;
    delete request.headers[FORWARDED_MARKER];
    if (typeof marker !== 'string') return undefined;

    const [secret = '', id = ''] = marker.split(':');
    const expected = Buffer.from(this.secret);
    const given = Buffer.from(secret);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return this.replays.get(id);
  }

  /**
   * Sends `request` to the leader and returns its answer as a reply. Rejects with
   * `ForwardingFailedError` (503) when the leader could not be reached.
   */
  async relay(
    request: FastifyRequest,
    body: Buffer | undefined,
    connection: ConnectionInfo,
  ): Promise<Reply> {
    const forwarded: ForwardedRequest = {
      method: request.method,
      url: request.url,
      headers: endToEnd(request.headers),
      body: body ?? new Uint8Array(0),
      remoteAddress: connection.remoteAddress,
      tls: connection.tls,
      peerCertificates: connection.peerCertificates,
      peerCertificateVerified: connection.peerCertificateVerified,
    };
    let answer: ForwardedResponse;
    try {
      answer = await this.cluster.forward(forwarded);
    } catch (cause) {
      this.log.warn({ reqId: request.id, err: cause }, 'failed to forward request to the leader');
      throw new ForwardingFailedError({ cause });
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(endToEnd(answer.headers))) {
      headers[name] = String(value);
    }
    const noBody = answer.status === 204 || answer.body.byteLength === 0;
    return { status: answer.status, headers, body: noBody ? undefined : Buffer.from(answer.body) };
  }

  /** A 307 to the same URL on the leader: for clients that ask not to be forwarded. */
  redirect(url: string): Reply | null {
    const leader = this.cluster.leader();
    if (leader === null) return null;
    const location = leader.apiAddr.replace(/\/+$/, '') + url;
    return {
      status: 307,
      headers: { location, 'content-type': JSON_CONTENT_TYPE, 'cache-control': 'no-store' },
      body: undefined,
    };
  }

  /**
   * Leader side: replays a request a standby forwarded through this node's API pipeline and
   * returns the answer to send back. The client address and certificate chain are the ones
   * the standby saw.
   */
  async serve(request: ForwardedRequest): Promise<ForwardedResponse> {
    const id = randomUUID();
    this.replays.set(id, {
      remoteAddress: request.remoteAddress,
      tls: request.tls,
      peerCertificates: [...request.peerCertificates],
      peerCertificateVerified: request.peerCertificateVerified,
    });
    try {
      const headers = endToEnd(request.headers) as Record<string, string | string[]>;
      headers[FORWARDED_MARKER] = `${this.secret}:${id}`;
      const response = await this.app.inject({
        method: request.method as 'GET',
        url: request.url,
        headers,
        payload: Buffer.from(request.body),
        remoteAddress: request.remoteAddress,
        // light-my-request checks methods against a fixed list that has no LIST.
        validate: request.method !== 'LIST',
      });
      const answerHeaders = endToEnd(response.headers as IncomingHttpHeaders);
      return { status: response.statusCode, headers: answerHeaders, body: response.rawPayload };
    } finally {
      this.replays.delete(id);
    }
  }
}

/** The end-to-end headers of a request or answer, names in lower case. */
function endToEnd(
  headers: IncomingHttpHeaders | Readonly<Record<string, string | readonly string[]>>,
): Record<string, string | readonly string[]> {
  const result: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value !== undefined && !HOP_BY_HOP.has(lower)) {
      Object.defineProperty(result, lower, { value, enumerable: true, writable: true });
    }
  }
  return result;
}
