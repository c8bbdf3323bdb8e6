/**
 * Reading the HTTP request line the way Vault does: which logical operation a method means, the
 * decoded path below `/v1/`, the query parameters, the client token and the wrap TTL.
 */
import type { IncomingHttpHeaders } from 'node:http';

import { parseDurationSeconds } from '../logical/durations.js';
import { InvalidRequestError } from '../logical/errors.js';
import { asFolder, assertRequestPath } from '../logical/paths.js';
import type { Operation } from '../logical/request.js';
import { MethodNotAllowedError } from './errors.js';
import { FORWARDED_MARKER } from './forwarding.js';
import { isListRequest } from './list-method/index.js';

/** The methods routed under `/v1/`; anything else is a 405. */
export const API_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'LIST'] as const;

/** The URL prefix of the API. */
export const API_PREFIX = '/v1/';

/** The request line, decoded. */
export interface RequestLine {
  readonly operation: Operation;
  /** Below `/v1/`, percent-decoded and checked; a list path ends with `/`. */
  readonly path: string;
  /** The query parameters, first value of each, without `list`. */
  readonly query: Record<string, unknown>;
}

/**
 * Decodes `method` and `url` (as received: `/v1/...?...`). Throws `InvalidRequestError` for a
 * path that does not decode or is refused by `assertRequestPath`, `ListParameterError` for a bad
 * `list=` value, and `MethodNotAllowedError` for a method the API does not have (HEAD is only
 * served on `sys/health`, the one path Vault documents it for).
 */
export function readRequestLine(method: string, url: string): RequestLine {
  const queryStart = url.indexOf('?');
  const rawPath = (queryStart < 0 ? url : url.slice(0, queryStart)).slice(API_PREFIX.length);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch (cause) {
    throw new InvalidRequestError('invalid request path: bad percent-encoding', {}, { cause });
  }
  assertRequestPath(path);

  const params = new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1));
  const query: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === 'list' || Object.hasOwn(query, key)) continue;
    setData(query, key, value);
  }

  const operation = operationOf(method, url, path);
  return { operation, path: operation === 'list' ? asFolder(path) : path, query };
}

function operationOf(method: string, url: string, path: string): Operation {
  switch (method) {
    case 'GET':
      return isListRequest({ method, url }) ? 'list' : 'read';
    case 'LIST':
      return 'list';
    case 'POST':
    case 'PUT':
      return 'update';
    case 'DELETE':
      return 'delete';
    case 'PATCH':
      return 'patch';
    case 'HEAD':
      if (path === 'sys/health') return 'read';
      throw new MethodNotAllowedError(method);
    default:
      throw new MethodNotAllowedError(method);
  }
}

/**
 * The client token: `X-Vault-Token`, else the credentials of `Authorization: Bearer`. Undefined
 * when neither carries one.
 */
export function clientTokenOf(headers: IncomingHttpHeaders): string | undefined {
  const vaultToken = headers['x-vault-token'];
  if (typeof vaultToken === 'string' && vaultToken.length > 0) return vaultToken;
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S.*)$/i.exec(authorization.trim());
    if (match !== null) return match[1];
  }
  return undefined;
}

/**
 * Seconds from `X-Vault-Wrap-TTL` ("5m" or "300"), or undefined when the header is absent, empty
 * or zero (no wrapping). Throws `InvalidRequestError` (400) for a value that is no duration.
 */
export function wrapTtlOf(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers['x-vault-wrap-ttl'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = parseDurationSeconds(value.trim(), 'X-Vault-Wrap-TTL');
  return seconds > 0 ? seconds : undefined;
}

/** Headers never passed on to handlers or logs in clear (the marker holds a process secret). */
export const SECRET_HEADERS = new Set([
  'x-vault-token',
  'authorization',
  'cookie',
  'set-cookie',
  FORWARDED_MARKER,
]);

/** `headers` without the secret ones, for a logical request. */
export function publicHeaders(
  headers: IncomingHttpHeaders,
): Record<string, string | string[] | undefined> {
  const result: Record<string, string | string[] | undefined> = {};
  for (const name of Object.keys(headers)) {
    if (!SECRET_HEADERS.has(name)) setData(result, name, headers[name]);
  }
  return result;
}

/**
 * `headers` with the secret ones replaced by a marker, for debug logs. Build it only when the
 * logger writes debug lines (see `debugEnabled` in util/logger.ts): it copies every header.
 */
export function redactedHeaders(headers: IncomingHttpHeaders): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const name of Object.keys(headers)) {
    setData(result, name, SECRET_HEADERS.has(name) ? '[REDACTED]' : headers[name]);
  }
  return result;
}

/**
 * Sets an own data property on a plain object. Assignment is that, for every name but
 * `__proto__`, whose assignment would call the prototype setter instead; that one name is defined.
 */
function setData(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true });
  } else {
    target[name] = value;
  }
}
