/**
 * What {@link RaftCluster} puts on the wire and how node errors become API errors.
 *
 * A forwarded client request travels on the node's `http-forward` request channel as one
 * msgpack map, and the leader's answer comes back the same way (vault-api.md §5: a standby
 * forwards the whole HTTP request and relays the answer unchanged).
 */
import { Packr } from 'msgpackr';

import {
  ConflictError,
  InvalidRequestError,
  LogicalError,
  NoActiveNodeError,
} from '../logical/errors.js';
import { MembershipChangeError, NodeError, NodeTimeoutError } from '../raft/node/errors.js';
import type { ForwardedRequest, ForwardedResponse } from '../vault/cluster.js';

/** The node request channel that carries client requests from standbys to the leader. */
export const HTTP_FORWARD_CHANNEL = 'http-forward';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

type Headers = Record<string, string | readonly string[]>;

export function encodeForwardedRequest(request: ForwardedRequest): Uint8Array {
  return packr.pack({
    method: request.method,
    url: request.url,
    headers: request.headers,
    body: request.body,
    remoteAddress: request.remoteAddress,
    tls: request.tls,
    peerCertificates: request.peerCertificates,
    peerCertificateVerified: request.peerCertificateVerified,
  }) as Uint8Array;
}

/** @throws InvalidRequestError when `bytes` is not a forwarded request. */
export function decodeForwardedRequest(bytes: Uint8Array): ForwardedRequest {
  const value = unpack(bytes);
  const { method, url, headers, body, remoteAddress, tls, peerCertificates } = value;
  const verified: unknown = value.peerCertificateVerified ?? false;
  if (
    typeof method !== 'string' ||
    typeof url !== 'string' ||
    !isHeaders(headers) ||
    !(body instanceof Uint8Array) ||
    typeof remoteAddress !== 'string' ||
    typeof tls !== 'boolean' ||
    !Array.isArray(peerCertificates) ||
    !peerCertificates.every((pem) => typeof pem === 'string') ||
    typeof verified !== 'boolean'
  ) {
    throw new InvalidRequestError('malformed forwarded request');
  }
  return {
    method,
    url,
    headers,
    body,
    remoteAddress,
    tls,
    peerCertificates,
    peerCertificateVerified: verified,
  };
}

export function encodeForwardedResponse(response: ForwardedResponse): Uint8Array {
  return packr.pack({
    status: response.status,
    headers: response.headers,
    body: response.body,
  }) as Uint8Array;
}

/** @throws InvalidRequestError when `bytes` is not a forwarded response. */
export function decodeForwardedResponse(bytes: Uint8Array): ForwardedResponse {
  const { status, headers, body } = unpack(bytes);
  if (!Number.isInteger(status) || !isHeaders(headers) || !(body instanceof Uint8Array)) {
    throw new InvalidRequestError('malformed forwarded response');
  }
  return { status: status as number, headers, body };
}

/**
 * The API error for a failed membership change or leadership transfer: a change already in
 * flight (or one that did not commit in time) is a 409, a change that makes no sense a 400, and
 * a node that cannot act (no leader, stopped) a 503 the client may retry. Logical errors pass
 * through; anything else is returned unchanged and becomes a 500.
 */
export function toLogicalError(err: unknown, fields: Record<string, unknown> = {}): unknown {
  if (err instanceof LogicalError) return err;
  if (err instanceof MembershipChangeError) {
    if (err.httpStatus === 400) return new InvalidRequestError(err.message, fields, { cause: err });
    return new ConflictError('another membership change is in flight', fields, { cause: err });
  }
  if (err instanceof NodeTimeoutError && err.operation === 'membership') {
    return new ConflictError('the membership change did not commit in time', fields, {
      cause: err,
    });
  }
  if (err instanceof NodeError) {
    return new NoActiveNodeError(undefined, 1, { ...fields, reason: err.code }, { cause: err });
  }
  return err;
}

function unpack(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (cause) {
    throw new InvalidRequestError('malformed forwarding frame', {}, { cause });
  }
  if (typeof value !== 'object' || value === null) {
    throw new InvalidRequestError('malformed forwarding frame');
  }
  return value as Record<string, unknown>;
}

function isHeaders(value: unknown): value is Headers {
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).every(
    (v) => typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string')),
  );
}
