/**
 * The request pipeline of an unsealed node (DESIGN.md "The write path"):
 *
 *   token → ACL (create or update by the backend's existence check; sudo for root-protected
 *   paths; the token's bound CIDRs) → spend a use → lockout check (logins) → audit the request
 *   → handler → login token or secret lease → response wrapping → audit the response
 *
 * The login paths of auth methods need no token (their backend says which, auth-method.ts).
 * A login's {@link LoginAuth} becomes an orphan token here, and a response's secret a lease in
 * the expiration manager, before the response is audited, so the audit log sees (hashed) what
 * the client gets. For the same reason a request with a wrap TTL has its response wrapped
 * (wrapping.ts) before the audit: the log shows the `wrap_info` the client got, hashed.
 *
 * `sys/wrapping/unwrap` with no `token` in its body takes the client token as the wrapping
 * token: the unwrap checks and spends it itself, so the pipeline's token check is skipped, and a
 * used or expired wrapping token gets the unwrap's 400 rather than a 403 (as in Vault).
 *
 * Every way a token can fail is one 403, and so is every ACL refusal; both are audited with
 * their error. The audit log fails closed: when devices are enabled and none can write the
 * request, the handler never runs (500); when none can write the response, the response is
 * dropped (500), so no secret leaves unaudited.
 */
import type { Acl } from '../policy/acl.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { isAuditedPath } from '../audit/audited-paths.js';
import { auditRequestInput, auditResponseInput } from '../audit/from-logical.js';
import type { AuditManager } from '../audit/manager.js';
import type { AuditAuthInput, AuditRequestEntry } from '../audit/types.js';
import type { ExpirationManager } from '../leases/expiration-manager.js';
import { LoginFailedError, type AuthBackend, type LoginAuth } from '../logical/auth-method.js';
import type { Backend } from '../logical/backend.js';
import {
  InternalError,
  InvalidRequestError,
  PermissionDeniedError,
  UnsupportedPathError,
} from '../logical/errors.js';
import type { Operation, Request } from '../logical/request.js';
import type { Response } from '../logical/response.js';
import { authInfo } from '../tokens/token-response.js';
import type { TokenStore } from '../tokens/token-store.js';
import type { TokenEntry } from '../tokens/types.js';
import { addressInCidrs } from '../util/cidr.js';
import type { Logger } from '../util/logger.js';
import { ForwardRequiredError } from './errors.js';
import type { LoginLockout } from './lockout.js';
import type { MountEntry } from './mount-table.js';
import type { Router } from './router.js';
import { requiresSudo, type PathTraits } from './special-paths.js';
import type { ResponseWrapper } from './wrapping.js';

/** Vault's system default and maximum lease TTL: 768 hours, in seconds. */
export const SYSTEM_MAX_TTL_SECONDS = 768 * 3600;

/** What the pipeline runs on: the parts of the unsealed state it needs. */
export interface PipelineState {
  readonly tokens: TokenStore;
  readonly policies: PolicyStore;
  readonly router: Router;
  readonly audit: AuditManager;
  readonly leases: ExpirationManager;
  readonly lockout: LoginLockout;
  readonly wrapping: ResponseWrapper;
}

export interface PipelineDeps {
  /** The built-in `sys/` backend. */
  readonly system: Backend;
  readonly log: Logger;
  /** The cluster clock, milliseconds. */
  readonly now: () => number;
}

/** Where a request goes: a backend, and the request as that backend sees it. */
interface Target {
  readonly backend: Backend;
  readonly request: Request;
  /** The mount, or null for `sys/`. */
  readonly mount: MountEntry | null;
}

/** A login request: the auth method serving it and the alias it is for (null: none named). */
interface Login {
  readonly backend: AuthBackend;
  readonly mount: MountEntry;
  readonly alias: string | null;
}

/** The caller after the token and ACL checks. */
interface Caller {
  readonly entry: TokenEntry;
  readonly acl: Acl;
  readonly allowed: boolean;
  /** Why the wrapping TTL bounds refused a request the capabilities allow (a 400). */
  readonly wrappingRefused: string | undefined;
  readonly grantingPolicies: readonly string[];
}

/** Runs `request` (whose traits were looked up by the core) through the pipeline. */
export async function runPipeline(
  state: PipelineState,
  deps: PipelineDeps,
  request: Request,
  traits: PathTraits,
): Promise<Response | null> {
  const audited = isAuditedPath(request.path);
  const target = route(state, deps, request);
  const login = loginOf(target);
  let caller: Caller | null = null;
  // Only the core says whose cubbyhole a request may use.
  let entry: Request = { ...request, tokenHashedId: undefined };

  if (!traits.unauthenticated && login === null && !isSelfUnwrap(request)) {
    try {
      caller = await authorize(state, request, target);
    } catch (err) {
      if (audited) await auditRefusal(state, request, null, err);
      throw err;
    }
    if (!caller.allowed) {
      const denied =
        caller.wrappingRefused === undefined
          ? new PermissionDeniedError()
          : new InvalidRequestError(caller.wrappingRefused);
      if (audited) await auditRefusal(state, request, caller, denied);
      throw denied;
    }
    const sudo = caller.acl.check({ path: request.path, operation: 'read' }).sudo;
    entry = { ...entry, sudo: sudo || caller.acl.isRoot, tokenHashedId: ownerOf(caller.entry) };
  }
  if (target === null) {
    throw new UnsupportedPathError(`no handler for route "${request.path}". route entry not found.`);
  }

  const spent = caller === null ? null : await spendUse(state, caller.entry);
  try {
    if (login?.alias != null) await state.lockout.check(login.mount.accessor, login.alias);
    // Built only when a device will write it: with none enabled the broker logs nothing.
    let built: AuditRequestEntry | undefined;
    const auditEntry = (): AuditRequestEntry =>
      (built ??= {
        auth: caller === null ? undefined : auditAuth(caller),
        request: auditRequestInput(entry, {
          mountAccessor: target.mount?.accessor,
          clientTokenAccessor: caller?.entry.accessor,
          mountPoint: target.mount?.path ?? 'sys/',
          mountType: target.mount?.type ?? 'system',
        }),
      });
    const logs = (): boolean => audited && state.audit.logging;
    if (logs()) await state.audit.logRequest(auditEntry());

    let response: Response | null;
    try {
      response = await target.backend.handleRequest({
        ...target.request,
        sudo: entry.sudo,
        tokenHashedId: entry.tokenHashedId,
      });
      // The alias the login resolved, which the request may not have named (AppRole's role_id).
      const loggedIn = login === null ? null : (response?.login?.alias ?? login.alias);
      response = await finish(state, { request, target, caller, response });
      response = await wrapIfAsked(state, request, response);
      if (login !== null && loggedIn !== null) {
        await state.lockout.succeeded(login.mount.accessor, loggedIn);
      }
    } catch (err) {
      let thrown = err;
      if (login !== null && err instanceof LoginFailedError) {
        const alias = err.alias ?? login.alias;
        // A failure that could not be counted is answered with why, never passed over silently.
        if (alias !== null) {
          thrown = await state.lockout.failed(login.mount.accessor, alias).then(
            () => err,
            (countErr: unknown) => countErr,
          );
        }
      }
      if (logs() && !(thrown instanceof ForwardRequiredError)) {
        await state.audit
          .logResponse({ ...auditEntry(), error: errorText(thrown) })
          .catch((auditErr: unknown) => deps.log.error({ err: auditErr }, 'audit of an error failed'));
      }
      throw thrown;
    }
    if (logs()) {
      await state.audit.logResponse({ ...auditEntry(), response: auditResponseInput(response) });
    }
    return response;
  } finally {
    if (spent !== null) {
      await state.tokens
        .revoke(spent)
        .catch((err: unknown) => deps.log.error({ err }, 'revoking a used-up token failed'));
    }
  }
}

/** The backend serving `request`, or null when no mount does. */
function route(state: PipelineState, deps: PipelineDeps, request: Request): Target | null {
  if (request.path === 'sys' || request.path.startsWith('sys/')) {
    const relative = request.path === 'sys' ? '' : request.path.slice('sys/'.length);
    return {
      backend: deps.system,
      mount: null,
      request: { ...request, path: relative, mountPoint: 'sys/', mountType: 'system' },
    };
  }
  const match = state.router.match(request.path);
  if (match === null) return null;
  return {
    backend: match.backend,
    mount: match.entry,
    request: {
      ...request,
      path: match.relativePath,
      mountPoint: match.entry.path,
      mountType: match.entry.type,
    },
  };
}

/**
 * The token's entry and its ACL's verdict on the request. Throws `PermissionDeniedError` for a
 * missing, unknown, expired or revoked token: one answer for all of them.
 */
async function authorize(
  state: PipelineState,
  request: Request,
  target: Target | null,
): Promise<Caller> {
  const entry = await state.tokens.lookup(request.clientToken);
  // Null as well for a login token whose auth method is no longer enabled (the token store
  // keeps that rule, for every path that looks a token up).
  if (entry === null) throw new PermissionDeniedError();
  // A token bound to CIDR blocks works only from them, by the address the receiving node saw.
  if (
    entry.boundCidrs.length > 0 &&
    !addressInCidrs(request.connection.remoteAddress, entry.boundCidrs)
  ) {
    throw new PermissionDeniedError();
  }
  const acl = await state.policies.acl(entry.policies);

  const preflight = mountPreflightPath(request.path);
  if (preflight !== null) {
    // No rule names this path: the token needs some capability under the mount it asks about,
    // and an unknown mount is refused the same way, so the path cannot map out the mounts.
    const mount = state.router.match(preflight)?.entry ?? null;
    const allowed = acl.isRoot || (mount !== null && acl.grantsUnder(mount.path));
    return { entry, acl, allowed, grantingPolicies: [], wrappingRefused: undefined };
  }

  const operation = await aclOperation(request.operation, target, ownerOf(entry));
  // Vault ignores parameter constraints on KV version 2 (vault-api.md §2.4).
  const kv2 = target?.mount?.type === 'kv' && target.mount.options.version === '2';
  const decision = acl.check({
    path: request.path,
    operation,
    data: kv2 ? undefined : request.data,
    wrapTtl: request.wrapTtl,
  });
  const sudoMissing = requiresSudo(request.path) && !decision.sudo && !acl.isRoot;
  return {
    entry,
    acl,
    allowed: decision.allowed && !sudoMissing,
    wrappingRefused: sudoMissing ? undefined : decision.wrappingRefused,
    grantingPolicies: decision.grantingPolicies.map((granting) => granting.name),
  };
}

/**
 * The path `sys/internal/ui/mounts/<path>` asks about (the CLI's KV version preflight), or null
 * for any other request path.
 */
function mountPreflightPath(path: string): string | null {
  const prefix = 'sys/internal/ui/mounts/';
  return path.startsWith(prefix) && path.length > prefix.length ? path.slice(prefix.length) : null;
}

/** The login a request is, when its target is an auth method's login path. */
function loginOf(target: Target | null): Login | null {
  const mount = target?.mount;
  if (target == null || mount == null || !mount.path.startsWith('auth/')) return null;
  const backend = target.backend as Partial<AuthBackend> & Backend;
  if (typeof backend.isLoginPath !== 'function' || !backend.isLoginPath(target.request.path)) {
    return null;
  }
  const alias = backend.loginAlias?.(target.request) ?? null;
  return { backend: backend as AuthBackend, mount, alias };
}

interface Finished {
  readonly request: Request;
  readonly target: Target;
  readonly caller: Caller | null;
  readonly response: Response | null;
}

/**
 * Turns what a handler returned into what the client gets: a login into a token and the `auth`
 * block, a secret into a lease and the envelope's lease fields.
 */
async function finish(
  state: PipelineState,
  done: Finished,
): Promise<Response | null> {
  let response = done.response;
  if (response?.login !== undefined) response = await issueLoginToken(state, done, response.login);
  if (response?.secret !== undefined) {
    const { secret, ...rest } = response;
    const mount = done.target.mount;
    const mountMax = mount?.config.maxLeaseTtl ?? 0;
    const maxTtl = mountMax > 0 ? mountMax : SYSTEM_MAX_TTL_SECONDS;
    const asked = secret.ttl > 0 ? secret.ttl : mount?.config.defaultLeaseTtl || maxTtl;
    const ttl = Math.min(asked, maxTtl);
    const lease = await state.leases.registerSecret({
      path: done.request.path,
      ttlSeconds: ttl,
      maxTtlSeconds: Math.min(secret.maxTtl ?? maxTtl, maxTtl),
      renewable: secret.renewable,
      ownerToken: done.caller?.entry.hashedId ?? null,
      internal: secret.internal,
    });
    response = {
      ...rest,
      lease: { leaseId: lease.id, leaseDuration: ttl, renewable: secret.renewable },
    };
  }
  return response;
}

/**
 * The response the client gets when it asked for a wrap TTL: the handler's response moved into a
 * wrapping token's cubbyhole, and only `wrap_info` in its place. Nothing is wrapped when there is
 * nothing to say (a 204), for raw replies (status endpoints, downloads), or when the handler
 * wrapped the response itself (`sys/wrapping/rewrap`).
 */
async function wrapIfAsked(
  state: PipelineState,
  request: Request,
  response: Response | null,
): Promise<Response | null> {
  const ttl = request.wrapTtl ?? 0;
  if (ttl <= 0 || response === null) return response;
  if (response.raw !== undefined || response.wrapInfo !== undefined) return response;
  return state.wrapping.wrap(response, { ttl, path: request.path });
}

/**
 * An unwrap that names no token in its body: the client token is the wrapping token
 * (vault-api.md §2.1; Vault's sys/wrapping/unwrap API docs).
 */
function isSelfUnwrap(request: Request): boolean {
  if (request.path !== 'sys/wrapping/unwrap' || request.operation !== 'update') return false;
  const token = request.data.token;
  return token === undefined || token === null || token === '';
}

/** Creates the orphan token a login asked for, with its mount's TTLs as defaults and caps. */
async function issueLoginToken(
  state: PipelineState,
  done: Finished,
  login: LoginAuth,
): Promise<Response> {
  const mount = done.target.mount;
  if (mount === null || !mount.path.startsWith('auth/')) {
    throw new InternalError('a backend that is not an auth method returned a login');
  }
  // The alias the method resolved may be one the pre-login check could not name (AppRole).
  await state.lockout.check(mount.accessor, login.alias);
  const { token } = login;
  const mountMax = mount.config.maxLeaseTtl;
  const created = await state.tokens.createLogin({
    path: done.request.path,
    mountName: mount.path.slice('auth/'.length, -1).replaceAll('/', '-'),
    ...(login.displayName === undefined ? {} : { displayName: login.displayName }),
    login: {
      mountAccessor: mount.accessor,
      alias: login.alias,
      internal: login.internal ?? {},
      maxTtl: smallestPositive(token.maxTtl, mountMax),
    },
    policies: token.policies,
    noDefaultPolicy: token.noDefaultPolicy,
    meta: login.metadata,
    type: token.type === 'batch' || token.type === 'default-batch' ? 'batch' : 'service',
    ttl: token.ttl > 0 ? token.ttl : mount.config.defaultLeaseTtl,
    maxTtl: smallestPositive(token.maxTtl, mountMax),
    explicitMaxTtl: token.explicitMaxTtl,
    period: token.period,
    numUses: token.numUses,
    boundCidrs: token.boundCidrs,
  });
  const { login: _login, ...rest } = done.response ?? {};
  void _login;
  const warnings = [...(rest.warnings ?? []), ...created.warnings];
  return {
    ...rest,
    ...(warnings.length > 0 ? { warnings } : {}),
    auth: authInfo(created.clientToken, created.entry),
  };
}

function smallestPositive(a: number, b: number): number {
  if (a > 0 && b > 0) return Math.min(a, b);
  return a > 0 ? a : b;
}

/**
 * An update of an item that does not exist yet is a `create` for the ACL. The check sees the
 * caller's token hash, since whether a cubbyhole item exists depends on whose cubbyhole it is.
 */
async function aclOperation(
  operation: Operation,
  target: Target | null,
  tokenHashedId: string | undefined,
): Promise<Operation> {
  if (operation !== 'update' || target === null) return operation;
  const exists = await target.backend.existenceCheck?.({ ...target.request, tokenHashedId });
  return exists === false ? 'create' : operation;
}

/** The hashed id that owns a cubbyhole: a service token's; batch tokens have none. */
function ownerOf(entry: TokenEntry): string | undefined {
  return entry.type === 'service' ? entry.hashedId : undefined;
}

/**
 * Spends one use of a limited-use token. Resolves to the entry to revoke once the request is
 * done (its last use), or null. Throws `PermissionDeniedError` when no use was left to spend.
 */
async function spendUse(state: PipelineState, entry: TokenEntry): Promise<TokenEntry | null> {
  const use = await state.tokens.use(entry);
  if (use === null) throw new PermissionDeniedError();
  return use.exhausted ? use.entry : null;
}

async function auditRefusal(
  state: PipelineState,
  request: Request,
  caller: Caller | null,
  err: unknown,
): Promise<void> {
  const entry: AuditRequestEntry = {
    auth: caller === null ? undefined : auditAuth(caller),
    request: auditRequestInput(request, { clientTokenAccessor: caller?.entry.accessor }),
    error: errorText(err),
  };
  await state.audit.logRequest(entry);
}

function auditAuth(caller: Caller): AuditAuthInput {
  const { entry } = caller;
  return {
    accessor: entry.accessor,
    displayName: entry.displayName,
    policies: entry.policies,
    tokenPolicies: entry.policies,
    metadata: entry.meta,
    entityId: entry.entityId,
    tokenType: entry.type,
    tokenTtl: entry.ttl,
    tokenIssueTime: new Date(entry.creationTime * 1000).toISOString(),
    policyResults: {
      allowed: caller.allowed,
      grantingPolicies: caller.grantingPolicies,
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
