/**
 * The joining node's HTTP client: JSON requests to another node's `/v1` API, over HTTPS
 * verified against the `leader_ca_cert` it was given (or plain HTTP for an `http://` address).
 */
import http from 'node:http';
import https from 'node:https';

import { JoinFailedError } from './server-errors.js';

/** A node to join through, as a `retry_join` stanza or `sys/storage/raft/join` names it. */
export interface JoinTarget {
  /** The node's API URL, e.g. `https://10.0.0.1:8200`. */
  readonly leaderApiAddr: string;
  /** PEM of the CA that signed its API certificate; the system CAs when absent. */
  readonly caPem?: string;
  /** PEM client certificate and key to present, when its listener asks for one. */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  /** The TLS server name to verify instead of the address's host. */
  readonly serverName?: string;
}

export interface ApiAnswer {
  readonly status: number;
  /** The parsed JSON body; null when empty or not JSON. */
  readonly body: Record<string, unknown> | null;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Sends `body` as JSON to `path` on `target` and resolves to the status and parsed body, for
 * any status. Rejects with `JoinFailedError` when no answer came (connection, TLS, timeout).
 */
export function apiRequest(
  target: JoinTarget,
  method: string,
  path: string,
  body: unknown,
): Promise<ApiAnswer> {
  let url: URL;
  try {
    url = new URL(path, target.leaderApiAddr);
  } catch (cause) {
    return Promise.reject(new JoinFailedError('invalid leader_api_addr', null, {}, { cause }));
  }
  const payload = Buffer.from(JSON.stringify(body));
  const secure = url.protocol === 'https:';
  const options: https.RequestOptions = {
    method,
    timeout: REQUEST_TIMEOUT_MS,
    headers: { 'content-type': 'application/json', 'content-length': payload.length },
  };
  if (secure) {
    if (target.caPem !== undefined) options.ca = target.caPem;
    if (target.clientCertPem !== undefined) options.cert = target.clientCertPem;
    if (target.clientKeyPem !== undefined) options.key = target.clientKeyPem;
    if (target.serverName !== undefined) options.servername = target.serverName;
  }

  return new Promise((resolve, reject) => {
    const fail = (cause: unknown): void => {
      const leaderApiAddr = target.leaderApiAddr;
      const fields = { leaderApiAddr };
      reject(new JoinFailedError('could not reach the cluster', null, fields, { cause }));
    };
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks)) });
      });
    };
    const req = secure
      ? https.request(url, options, onResponse)
      : http.request(url, options, onResponse);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', fail);
    req.end(payload);
  });
}

function parseBody(bytes: Buffer): Record<string, unknown> | null {
  if (bytes.length === 0) return null;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
