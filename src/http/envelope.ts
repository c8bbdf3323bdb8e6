/**
 * Logical responses and errors to HTTP replies, in Vault's wire shapes (vault-api.md §1.1, §1.2):
 *
 * - nothing to say: 204 with no body, except a read or list, which is a 404 `{"errors":[]}`;
 * - a list whose `keys` are missing or empty: 404 `{"errors":[]}` (unless it was wrapped);
 * - a raw response: its status and body as they are;
 * - anything else: the envelope `{request_id, lease_id, renewable, lease_duration, data,
 *   wrap_info, warnings, auth}` with the response's status (200 by default);
 * - an error: `{"errors":[...]}` with the status from error-map.ts.
 *
 * Every reply carries exactly `Content-Type: application/json` (hvac parses `errors` only then)
 * and `Cache-Control: no-store`.
 */
import type { Operation } from '../logical/request.js';
import type { AuthInfo, Response, WrapInfo } from '../logical/response.js';
import type { ErrorReply } from './error-map.js';

export const JSON_CONTENT_TYPE = 'application/json';

/** An HTTP reply ready to write. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Undefined for a reply without a body (204). */
  readonly body: Buffer | undefined;
}

const BASE_HEADERS = { 'content-type': JSON_CONTENT_TYPE, 'cache-control': 'no-store' };

/** The reply to `response` (null: the handler had nothing to say) of a request `operation`. */
export function replyFor(
  requestId: string,
  operation: Operation,
  response: Response | null,
): Reply {
  if (response === null) {
    if (operation === 'read' || operation === 'list') return errorsReply(404, []);
    return { status: 204, headers: { ...BASE_HEADERS }, body: undefined };
  }
  if (response.raw !== undefined) {
    const { raw } = response;
    const body =
      typeof raw.body === 'string' || raw.body instanceof Uint8Array
        ? Buffer.from(raw.body)
        : json(raw.body);
    const headers = { ...BASE_HEADERS, ...raw.headers };
    headers['content-type'] = raw.contentType ?? JSON_CONTENT_TYPE;
    return { status: raw.status, headers, body };
  }
  const wrapped = response.wrapInfo !== undefined;
  if (operation === 'list' && !wrapped && !hasKeys(response.data)) return errorsReply(404, []);

  return {
    status: response.status ?? 200,
    headers: { ...BASE_HEADERS },
    body: json(envelope(requestId, response)),
  };
}

/** The `{"errors":[...]}` reply for an error already described by the error map. */
export function errorReply(described: ErrorReply): Reply {
  const reply = errorsReply(described.status, described.errors);
  if (described.retryAfter !== undefined) reply.headers['retry-after'] = `${described.retryAfter}`;
  return reply;
}

function errorsReply(status: number, errors: string[]): Reply {
  return { status, headers: { ...BASE_HEADERS }, body: json({ errors }) };
}

function envelope(requestId: string, response: Response): Record<string, unknown> {
  if (response.wrapInfo !== undefined) {
    // A wrapped response shows only where to unwrap it (vault-api.md §1.1).
    return { ...emptyEnvelope(requestId), wrap_info: wrapInfoJson(response.wrapInfo) };
  }
  const body: Record<string, unknown> = {
    request_id: requestId,
    lease_id: response.lease?.leaseId ?? '',
    renewable: response.lease?.renewable ?? false,
    lease_duration: response.lease?.leaseDuration ?? 0,
    data: response.data ?? null,
    wrap_info: null,
    warnings: response.warnings?.length ? response.warnings : null,
    auth: response.auth === undefined ? null : authJson(response.auth),
  };
  if (response.dataAtTopLevel === true && response.data) {
    for (const [key, value] of Object.entries(response.data)) {
      if (!Object.hasOwn(body, key)) {
        Object.defineProperty(body, key, { value, enumerable: true, writable: true });
      }
    }
  }
  return body;
}

function emptyEnvelope(requestId: string): Record<string, unknown> {
  return {
    request_id: requestId,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: null,
    auth: null,
  };
}

function authJson(auth: AuthInfo): Record<string, unknown> {
  return {
    client_token: auth.clientToken,
    accessor: auth.accessor,
    policies: auth.policies,
    token_policies: auth.tokenPolicies,
    ...(auth.identityPolicies === undefined ? {} : { identity_policies: auth.identityPolicies }),
    metadata: auth.metadata,
    lease_duration: auth.leaseDuration,
    renewable: auth.renewable,
    entity_id: auth.entityId,
    token_type: auth.tokenType,
    orphan: auth.orphan,
    mfa_requirement: null,
    num_uses: auth.numUses,
  };
}

function wrapInfoJson(info: WrapInfo): Record<string, unknown> {
  return {
    token: info.token,
    accessor: info.accessor,
    ttl: info.ttl,
    creation_time: info.creationTime,
    creation_path: info.creationPath,
    ...(info.wrappedAccessor === undefined ? {} : { wrapped_accessor: info.wrappedAccessor }),
  };
}

function hasKeys(data: Response['data']): boolean {
  const keys = data?.keys;
  return Array.isArray(keys) && keys.length > 0;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
