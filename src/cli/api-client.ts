/**
 * A small client for Coffer's Vault-compatible `/v1` HTTP API, the only way the CLI reaches a
 * server. It sends what Vault's Go client sends (`X-Vault-Request`, `X-Vault-Token`,
 * `X-Vault-Namespace`), LIST as the `LIST` method, follows a standby's 307 to the active node
 * (snapshots are always redirected, vault-api.md §1.2), and reads answers with the Go client's
 * rules: a 404 on a read or a list is "nothing there" unless the body carries data or warnings.
 */
import http from 'node:http';
import https from 'node:https';

import { ApiError, ConnectionError } from './errors.js';
import type { ClientSettings } from './settings.js';

/** The `auth` block of an envelope (vault-api.md §1.1). */
export interface SecretAuth {
  client_token: string;
  accessor: string;
  policies: string[] | null;
  token_policies: string[] | null;
  identity_policies?: string[] | null;
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  [key: string]: unknown;
}

/** Vault's response envelope, as the API sends it and `-format=json` prints it. */
export interface Secret {
  request_id?: string;
  lease_id?: string;
  lease_duration?: number;
  renewable?: boolean;
  data?: Record<string, unknown> | null;
  warnings?: string[] | null;
  auth?: SecretAuth | null;
  wrap_info?: Record<string, unknown> | null;
  mount_type?: string;
  [key: string]: unknown;
}

export interface ApiRequest {
  readonly method: string;
  /** The path under `/v1/`, without a leading slash (`secret/data/app`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** A JSON body, or bytes sent as `application/octet-stream`. */
  readonly body?: unknown;
  readonly contentType?: string;
  /** Send no token, for the unauthenticated `sys/` endpoints and logins. */
  readonly unauthenticated?: boolean;
  /** A token to send instead of the configured one (`login`, `unwrap`). */
  readonly token?: string;
  /** Statuses to return instead of throwing {@link ApiError}. */
  readonly accept?: readonly number[];
  readonly onUploadProgress?: (sent: number, total: number) => void;
  readonly onDownloadProgress?: (received: number, total: number | undefined) => void;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Redirects followed before giving up, as Go's client stops at 10. */
const MAX_REDIRECTS = 10;
const UPLOAD_CHUNK = 64 * 1024;

export class ApiClient {
  constructor(readonly settings: ClientSettings) {}

  /** The full URL of an API path, as error messages show it. */
  url(path: string, query?: Readonly<Record<string, string>>): string {
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    const search = query === undefined ? '' : new URLSearchParams(query).toString();
    return `${this.settings.address}/v1/${encoded}${search === '' ? '' : `?${search}`}`;
  }

  /**
   * Sends one request and returns the answer, following redirects.
   * @throws ApiError for a status of 400 or more not listed in `accept`.
   * @throws ConnectionError when the server cannot be reached.
   */
  async send(request: ApiRequest): Promise<ApiResponse> {
    let url = this.url(request.path, request.query);
    for (let hop = 0; ; hop++) {
      const response = await this.once(url, request);
      const location = response.headers.location;
      if ([301, 302, 307, 308].includes(response.status) && location && hop < MAX_REDIRECTS) {
        url = new URL(location, url).toString();
        continue;
      }
      if (response.status >= 400 && !(request.accept ?? []).includes(response.status)) {
        throw new ApiError(request.method, url, response.status, errorsOf(response.body));
      }
      return response;
    }
  }

  /** Sends a request and parses its JSON answer; null for an empty one (204). */
  async json<T = Secret>(request: ApiRequest): Promise<T | null> {
    const response = await this.send(request);
    return parseJson<T>(response.body);
  }

  /** `GET path`: the secret, or null when nothing is there (a 404 without data). */
  read(path: string, query?: Record<string, string>): Promise<Secret | null> {
    return this.readLike({ method: 'GET', path, query });
  }

  /** `LIST path`: the secret with `data.keys`, or null when nothing is there. */
  list(path: string): Promise<Secret | null> {
    const folder = path.endsWith('/') ? path : `${path}/`;
    return this.readLike({ method: 'LIST', path: folder });
  }

  /** `PUT path` with a JSON body; null for a 204. */
  write(path: string, data: unknown): Promise<Secret | null> {
    return this.json({ method: 'PUT', path, body: data });
  }

  /** `PATCH path` as a JSON merge patch; null for a 204. */
  patch(path: string, data: unknown): Promise<Secret | null> {
    return this.json({
      method: 'PATCH',
      path,
      body: data,
      contentType: 'application/merge-patch+json',
    });
  }

  /** `DELETE path`; null for a 204. */
  delete(path: string): Promise<Secret | null> {
    return this.json({ method: 'DELETE', path });
  }

  private async readLike(request: ApiRequest): Promise<Secret | null> {
    const response = await this.send({ ...request, accept: [404] });
    const secret = parseJson<Secret>(response.body);
    if (response.status !== 404) return secret;
    // The Go client keeps a 404's body only when it says something (a deleted KV version).
    const hasData = secret?.data !== undefined && secret.data !== null;
    const hasWarnings = (secret?.warnings?.length ?? 0) > 0;
    return hasData || hasWarnings ? secret : null;
  }

  private once(url: string, request: ApiRequest): Promise<ApiResponse> {
    const { settings } = this;
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const payload = encodeBody(request.body);
    const headers: Record<string, string> = { 'X-Vault-Request': 'true' };
    const token = request.token ?? (request.unauthenticated ? undefined : settings.token);
    if (token !== undefined) headers['X-Vault-Token'] = token;
    if (settings.namespace !== undefined) headers['X-Vault-Namespace'] = settings.namespace;
    if (settings.wrapTtl !== undefined && wraps(request.path)) {
      headers['X-Vault-Wrap-TTL'] = settings.wrapTtl;
    }
    if (payload !== undefined) {
      headers['Content-Type'] = request.contentType ?? payload.contentType;
      headers['Content-Length'] = String(payload.bytes.length);
    }

    const options: https.RequestOptions = {
      method: request.method,
      headers,
      agent: false,
      ...(secure
        ? {
            ca: settings.ca,
            cert: settings.clientCert,
            key: settings.clientKey,
            rejectUnauthorized: !settings.skipVerify,
          }
        : {}),
    };

    return new Promise((resolve, reject) => {
      const fail = (err: unknown): void => reject(new ConnectionError(request.method, url, err));
      const req = (secure ? https : http).request(target, options, (res) => {
        const chunks: Buffer[] = [];
        const length = Number(res.headers['content-length']);
        const total = Number.isFinite(length) ? length : undefined;
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          request.onDownloadProgress?.(received, total);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', fail);
      });
      req.on('error', fail);
      if (payload === undefined) {
        req.end();
        return;
      }
      void writeInChunks(req, payload.bytes, request.onUploadProgress).catch(fail);
    });
  }
}

/** Writes `bytes` in pieces, waiting for the socket to drain, reporting what was sent. */
async function writeInChunks(
  req: http.ClientRequest,
  bytes: Buffer,
  onProgress?: (sent: number, total: number) => void,
): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += UPLOAD_CHUNK) {
    const piece = bytes.subarray(offset, offset + UPLOAD_CHUNK);
    if (!req.write(piece)) await new Promise((resolve) => req.once('drain', resolve));
    onProgress?.(offset + piece.length, bytes.length);
  }
  req.end();
}

function encodeBody(body: unknown): { bytes: Buffer; contentType: string } | undefined {
  if (body === undefined) return undefined;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    return { bytes: Buffer.from(body), contentType: 'application/octet-stream' };
  }
  return { bytes: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json' };
}

function parseJson<T>(body: Buffer): T | null {
  const text = body.toString('utf8').trim();
  if (text === '') return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** The `errors` of an error body; the raw text when it is not Vault's JSON. */
function errorsOf(body: Buffer): string[] {
  const parsed = parseJson<{ errors?: unknown }>(body);
  if (parsed !== null && Array.isArray(parsed.errors)) return parsed.errors.map(String);
  const text = body.toString('utf8').trim();
  return text === '' ? [] : [text];
}

/**
 * Whether `-wrap-ttl` applies to a request for `path`. Like Vault's CLI, never to the wrapping
 * endpoints themselves, nor to the KV version preflight a `kv` command sends first.
 */
function wraps(path: string): boolean {
  return !path.startsWith('sys/wrapping/') && !path.startsWith('sys/internal/ui/mounts');
}
