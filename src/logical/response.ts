/**
 * What a handler returns. A handler resolves to `null` when it has nothing to say (the HTTP layer
 * answers 204, or 404 for a read or list), or to a {@link Response}, which the HTTP layer wraps
 * in Vault's envelope (`request_id`, `lease_id`, `renewable`, `lease_duration`, `data`,
 * `wrap_info`, `warnings`, `auth`), unless it is `raw`.
 */
import type { LoginAuth } from './auth-method.js';

/** A lease attached to a response (a dynamic secret); its fields fill the envelope's. */
export interface LeaseInfo {
  readonly leaseId: string;
  /** Seconds. */
  readonly leaseDuration: number;
  readonly renewable: boolean;
}

/** The `auth` block of a login or token-creation response. */
export interface AuthInfo {
  readonly clientToken: string;
  readonly accessor: string;
  readonly policies: readonly string[];
  readonly tokenPolicies: readonly string[];
  readonly identityPolicies?: readonly string[];
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Seconds; 0 for a token that never expires. */
  readonly leaseDuration: number;
  readonly renewable: boolean;
  readonly entityId: string;
  readonly tokenType: 'service' | 'batch';
  readonly orphan: boolean;
  readonly numUses: number;
}

/** The `wrap_info` block of a wrapped response; when present it is the only populated field. */
export interface WrapInfo {
  readonly token: string;
  readonly accessor: string;
  /** Seconds. */
  readonly ttl: number;
  /** RFC 3339 time. */
  readonly creationTime: string;
  readonly creationPath: string;
  readonly wrappedAccessor?: string;
}

/**
 * A reply written as is, without the envelope: what Vault's HTTP-level endpoints return
 * (`sys/health`, `sys/seal-status`, `sys/init`), binary downloads, and custom status codes.
 */
export interface RawResponse {
  readonly status: number;
  /** `application/json` unless given. */
  readonly contentType?: string;
  /** A string or bytes are sent as they are; anything else is sent as JSON. */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A secret a handler hands out under a lease (a dynamic credential). The core registers it with
 * the expiration manager, which fills the envelope's `lease_id`, and later calls the backend's
 * {@link Backend.revokeSecret} (and `renewSecret`) with `internal`.
 */
export interface SecretLease {
  /** Seconds; 0 means the mount's default lease TTL. */
  readonly ttl: number;
  /** Seconds; 0 means the mount's maximum. */
  readonly maxTtl?: number;
  readonly renewable: boolean;
  /** What the backend needs to revoke or renew the secret; stored behind the barrier. */
  readonly internal: Readonly<Record<string, unknown>>;
}

export interface Response {
  /**
   * A login's outcome: the core turns it into a token and the envelope's `auth` block
   * (auth-method.ts). Only auth methods set it.
   */
  readonly login?: LoginAuth;
  readonly secret?: SecretLease;
  readonly data?: Readonly<Record<string, unknown>> | null;
  readonly warnings?: readonly string[];
  readonly lease?: LeaseInfo;
  readonly auth?: AuthInfo;
  readonly wrapInfo?: WrapInfo;
  readonly raw?: RawResponse;
  /**
   * The HTTP status of the enveloped reply; 200 when absent. KV v2 answers a deleted version with
   * 404 and the whole envelope (vault-api.md §2.4).
   */
  readonly status?: number;
  /**
   * Copy the keys of `data` to the top level of the envelope as well, as Vault does for a few
   * `sys/` paths that old clients read that way (vault-api.md §1.1, "top-level injection").
   */
  readonly dataAtTopLevel?: boolean;
}

/** A response carrying `data`. */
export function dataResponse(data: Record<string, unknown>, warnings?: string[]): Response {
  return warnings === undefined || warnings.length === 0 ? { data } : { data, warnings };
}

/** A raw JSON reply with `status`, outside the envelope. */
export function rawJson(status: number, body: unknown): Response {
  return { raw: { status, contentType: 'application/json', body } };
}

/** A copy of `response` with `warning` appended to its warnings. */
export function withWarning(response: Response, warning: string): Response {
  return { ...response, warnings: [...(response.warnings ?? []), warning] };
}
