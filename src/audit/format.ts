/**
 * Audit entries as log lines: Vault's JSON shape (vault-api.md §7, "Line format"), with what must
 * not be readable hashed. Hashed are every string in request and response data and in the audited
 * request headers, every client token and wrap token, and the accessors unless `hmac_accessor` is
 * off. Names, policies, metadata, paths, lease ids, warnings and error messages stay in clear, as
 * in Vault, so an operator can read who did what where. With `log_raw` nothing is hashed.
 *
 * Fields without a value are left out of the line.
 */
import { hashStrings, type StringHasher } from './hash-strings.js';
import type {
  AuditAuthInput,
  AuditRequestEntry,
  AuditRequestInput,
  AuditResponseAuthInput,
  AuditResponseEntry,
  AuditResponseInput,
  AuditWrapInfoInput,
} from './types.js';

export interface FormatOptions {
  /** Hash accessors too (Vault's default). */
  readonly hmacAccessor: boolean;
  /** Log every value in clear; for debugging only. */
  readonly logRaw: boolean;
  /** Replace the `keys` and `key_info` of a list response by their counts. */
  readonly elideListResponses: boolean;
}

export const DEFAULT_FORMAT_OPTIONS: FormatOptions = {
  hmacAccessor: true,
  logRaw: false,
  elideListResponses: false,
};

/** A request line's JSON object, without the chain field a file device adds. */
export function formatRequest(
  entry: AuditRequestEntry,
  hasher: StringHasher,
  options: FormatOptions,
  time: string,
): Record<string, unknown> {
  const f = new Formatter(hasher, options);
  return {
    time,
    type: 'request',
    auth: f.auth(entry.auth),
    request: f.request(entry.request),
    error: nonEmpty(entry.error),
  };
}

/** A response line's JSON object, without the chain field a file device adds. */
export function formatResponse(
  entry: AuditResponseEntry,
  hasher: StringHasher,
  options: FormatOptions,
  time: string,
): Record<string, unknown> {
  const f = new Formatter(hasher, options);
  return {
    time,
    type: 'response',
    auth: f.auth(entry.auth),
    request: f.request(entry.request),
    response: f.response(entry.response, entry.request.operation),
    error: nonEmpty(entry.error),
    forwarded: entry.forwarded === true ? true : undefined,
  };
}

class Formatter {
  private readonly secret: StringHasher;
  private readonly accessor: StringHasher;
  private readonly elide: boolean;

  constructor(hasher: StringHasher, options: FormatOptions) {
    const clear: StringHasher = (value) => value;
    this.secret = options.logRaw ? clear : hasher;
    this.accessor = options.logRaw || !options.hmacAccessor ? clear : hasher;
    this.elide = options.elideListResponses;
  }

  auth(auth: AuditAuthInput | undefined): Record<string, unknown> | undefined {
    if (auth === undefined) return undefined;
    return {
      client_token: this.token(auth.clientToken),
      accessor: this.accessorOf(auth.accessor),
      display_name: nonEmpty(auth.displayName),
      policies: auth.policies,
      token_policies: auth.tokenPolicies,
      identity_policies: auth.identityPolicies,
      policy_results:
        auth.policyResults === undefined
          ? undefined
          : {
              allowed: auth.policyResults.allowed,
              granting_policies: auth.policyResults.grantingPolicies,
            },
      metadata: auth.metadata ?? undefined,
      entity_id: nonEmpty(auth.entityId),
      token_type: nonEmpty(auth.tokenType),
      token_ttl: auth.tokenTtl,
      token_issue_time: nonEmpty(auth.tokenIssueTime),
    };
  }

  request(request: AuditRequestInput): Record<string, unknown> {
    return {
      id: request.id,
      operation: request.operation,
      mount_point: nonEmpty(request.mountPoint),
      mount_type: nonEmpty(request.mountType),
      mount_accessor: this.accessorOf(request.mountAccessor),
      client_token: this.token(request.clientToken),
      client_token_accessor: this.accessorOf(request.clientTokenAccessor),
      path: request.path,
      data: this.data(request.data),
      remote_address: nonEmpty(request.remoteAddress),
      remote_port: request.remotePort,
      wrap_ttl: request.wrapTtl,
      headers: this.data(request.headers),
    };
  }

  response(
    response: AuditResponseInput | undefined,
    operation: string,
  ): Record<string, unknown> | undefined {
    if (response === undefined) return undefined;
    const data = this.elide && operation === 'list' ? elideList(response.data) : response.data;
    return {
      data: this.data(data),
      secret: response.secret === undefined ? undefined : { lease_id: response.secret.leaseId },
      auth: this.responseAuth(response.auth),
      warnings:
        response.warnings === undefined || response.warnings.length === 0
          ? undefined
          : response.warnings,
      wrap_info: this.wrapInfo(response.wrapInfo),
      redirect: nonEmpty(response.redirect),
    };
  }

  private responseAuth(auth: AuditResponseAuthInput | undefined): unknown {
    if (auth === undefined) return undefined;
    return {
      client_token: this.token(auth.clientToken),
      accessor: this.accessorOf(auth.accessor),
      display_name: nonEmpty(auth.displayName),
      policies: auth.policies,
      token_policies: auth.tokenPolicies,
      identity_policies: auth.identityPolicies,
      metadata: auth.metadata ?? undefined,
      entity_id: nonEmpty(auth.entityId),
      token_type: nonEmpty(auth.tokenType),
      token_ttl: auth.tokenTtl,
      renewable: auth.renewable,
      orphan: auth.orphan,
      num_uses: auth.numUses,
    };
  }

  private wrapInfo(info: AuditWrapInfoInput | undefined): unknown {
    if (info === undefined) return undefined;
    return {
      token: this.token(info.token),
      accessor: this.accessorOf(info.accessor),
      ttl: info.ttl,
      creation_time: info.creationTime,
      creation_path: info.creationPath,
      wrapped_accessor: this.accessorOf(info.wrappedAccessor),
    };
  }

  private data(value: unknown): unknown {
    if (value === undefined || value === null) return undefined;
    return hashStrings(value, this.secret);
  }

  private token(value: string | undefined): string | undefined {
    return value === undefined || value === '' ? undefined : this.secret(value);
  }

  private accessorOf(value: string | undefined): string | undefined {
    return value === undefined || value === '' ? undefined : this.accessor(value);
  }
}

/** A list response's data with `keys` and `key_info` replaced by how many entries they had. */
function elideList(
  data: Readonly<Record<string, unknown>> | null | undefined,
): Readonly<Record<string, unknown>> | null | undefined {
  if (data === null || data === undefined) return data;
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(data)) out[key] = data[key];
  if (Array.isArray(data.keys)) out.keys = data.keys.length;
  const info = data.key_info;
  if (typeof info === 'object' && info !== null && !Array.isArray(info)) {
    out.key_info = Object.keys(info).length;
  }
  return out;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
