/**
 * Audit inputs from the logical contract's `Request` and `Response`, so the core fills them the
 * same way at every call site. What the logical types do not carry (the caller's token entry,
 * the ACL verdict, the mount accessor) the core adds itself.
 */
import type { Request } from '../logical/request.js';
import type { AuthInfo, Response } from '../logical/response.js';
import type { AuditRequestInput, AuditResponseAuthInput, AuditResponseInput } from './types.js';

/**
 * The `request` block of an entry. `path` must be the full path below `/v1/` (the core passes
 * the request before it makes the path relative to the mount); `headers` are the headers the
 * core chose to audit, none by default.
 */
export function auditRequestInput(
  request: Request,
  extra: Partial<AuditRequestInput> = {},
): AuditRequestInput {
  return {
    id: request.id,
    operation: request.operation,
    path: request.path,
    mountPoint: request.mountPoint,
    mountType: request.mountType,
    clientToken: request.clientToken,
    data: request.data,
    remoteAddress: request.connection.remoteAddress,
    remotePort: request.connection.remotePort,
    wrapTtl: request.wrapTtl,
    ...extra,
  };
}

/** The `response` block of an entry; a raw reply logs its JSON body as data when it is one. */
export function auditResponseInput(response: Response | null): AuditResponseInput | undefined {
  if (response === null) return undefined;
  const rawBody = response.raw?.body;
  const rawData =
    typeof rawBody === 'object' && rawBody !== null && !(rawBody instanceof Uint8Array)
      ? (rawBody as Record<string, unknown>)
      : undefined;
  return {
    data: response.data ?? rawData,
    secret: response.lease === undefined ? undefined : { leaseId: response.lease.leaseId },
    auth: response.auth === undefined ? undefined : auditResponseAuth(response.auth),
    warnings: response.warnings,
    wrapInfo: response.wrapInfo,
  };
}

function auditResponseAuth(auth: AuthInfo): AuditResponseAuthInput {
  return {
    clientToken: auth.clientToken,
    accessor: auth.accessor,
    policies: auth.policies,
    tokenPolicies: auth.tokenPolicies,
    identityPolicies: auth.identityPolicies,
    metadata: auth.metadata,
    entityId: auth.entityId,
    tokenType: auth.tokenType,
    tokenTtl: auth.leaseDuration,
    renewable: auth.renewable,
    orphan: auth.orphan,
    numUses: auth.numUses,
  };
}
