/**
 * The access-control list of a token: its policies compiled into one table that answers "may
 * this request proceed?" (vault-api.md §3; Vault's acl.go).
 *
 * Building: every stanza of every policy lands under its pattern. Stanzas of the same pattern
 * from several policies are unioned: capabilities are OR-ed unless one of them denies, in which
 * case the pattern denies everything; parameter maps merge; the lowest non-zero min and max
 * wrapping TTLs win.
 *
 * Checking a path:
 * 1. an exact rule for the path (for a list, also for the path without its trailing `/`);
 * 2. otherwise the single highest-priority glob that matches (path-match.ts); for a list whose
 *    path ends in `/`, when nothing matches, the same search for the path without it;
 * 3. that one rule decides: its capabilities must include the operation's; its wrapping TTL
 *    bounds and parameter constraints must hold. A path no rule matches is denied.
 *
 * The `root` policy short-circuits all of this: everything is allowed, with sudo.
 */
import type { Operation } from '../logical/request.js';
import {
  checkParameters,
  mergeParameterMaps,
  type MutableParameterMap,
} from './parameters.js';
import { bestMatch, compileGlob, patternKind, type GlobPattern } from './path-match.js';
import {
  type AclCheck,
  type AclDecision,
  type Capability,
  type PathRule,
  type Policy,
} from './types.js';

/** The name of the built-in policy that allows everything. */
export const ROOT_POLICY = 'root';

/** The capability each operation needs. */
const NEEDED: Readonly<Record<Operation, Capability>> = {
  read: 'read',
  create: 'create',
  update: 'update',
  delete: 'delete',
  list: 'list',
  patch: 'patch',
};

/** Operations whose request data is checked against parameter constraints. */
const PARAMETER_OPERATIONS: ReadonlySet<Operation> = new Set(['read', 'create', 'update', 'patch']);

/** The merged stanzas of one pattern. */
interface Permissions {
  capabilities: Set<Capability>;
  /** For each granted capability, the policies whose stanza grants it. */
  granting: Map<Capability, string[]>;
  required: string[];
  allowed: MutableParameterMap | undefined;
  denied: MutableParameterMap | undefined;
  minWrappingTtl: number;
  maxWrappingTtl: number;
}

interface GlobEntry {
  readonly glob: GlobPattern;
  readonly value: Permissions;
}

export class Acl {
  private readonly exact = new Map<string, Permissions>();
  private readonly globs = new Map<string, GlobEntry>();

  private constructor(
    /** True for the ACL of the `root` policy. */
    readonly isRoot: boolean,
    /** The names of the policies it was built from, in the order given. */
    readonly policyNames: readonly string[],
  ) {}

  /** The ACL of the `root` policy: everything, including sudo, on every path. */
  static root(): Acl {
    return new Acl(true, [ROOT_POLICY]);
  }

  /**
   * Compiles `policies` into one ACL. A policy named `root` among them makes it the root ACL
   * (only the root token carries that policy).
   */
  static fromPolicies(policies: readonly Policy[]): Acl {
    if (policies.some((policy) => policy.name === ROOT_POLICY)) return Acl.root();
    const acl = new Acl(false, policies.map((policy) => policy.name));
    for (const policy of policies) {
      for (const rule of policy.rules) acl.insert(policy.name, rule);
    }
    return acl;
  }

  /** Decides whether `request` may proceed; see the module comment for the order of checks. */
  check(request: AclCheck): AclDecision {
    if (this.isRoot) {
      const grantingPolicies = [{ name: ROOT_POLICY }];
      return { allowed: true, sudo: true, rootPrivileges: true, grantingPolicies };
    }

    const { operation } = request;
    const permissions = this.lookup(trimLeadingSlashes(request.path), operation);
    if (permissions === undefined) return denied(false, 'no policy grants access to this path');
    const sudo = permissions.capabilities.has('sudo');
    if (permissions.capabilities.has('deny')) return denied(false, 'a policy denies this path');

    const needed = NEEDED[operation];
    if (!permissions.capabilities.has(needed)) {
      return denied(sudo, `no policy grants "${needed}" on this path`);
    }

    const wrapping = checkWrapping(permissions, request.wrapTtl ?? 0);
    if (wrapping !== undefined) return { ...denied(sudo, wrapping), wrappingRefused: wrapping };

    if (request.data !== undefined && PARAMETER_OPERATIONS.has(operation)) {
      const parameters = checkParameters(permissions, request.data);
      if (parameters !== undefined) return denied(sudo, parameters);
    }

    const names = permissions.granting.get(needed) ?? [];
    return {
      allowed: true,
      sudo,
      rootPrivileges: false,
      grantingPolicies: names.map((name) => ({ name })),
    };
  }

  /**
   * The capabilities the ACL grants on `path`, sorted, for `sys/capabilities`: `['root']` for
   * the root ACL, `['deny']` when the matching rule denies or no rule matches. The lookup is the
   * one a list request makes, so `secret/dir/` also finds a rule written for `secret/dir`.
   */
  capabilities(path: string): string[] {
    if (this.isRoot) return [ROOT_POLICY];
    const permissions = this.lookup(trimLeadingSlashes(path), 'list');
    if (permissions === undefined || permissions.capabilities.has('deny')) return ['deny'];
    const granted = [...permissions.capabilities].sort();
    return granted.length === 0 ? ['deny'] : granted;
  }

  private lookup(path: string, operation: Operation): Permissions | undefined {
    const isList = operation === 'list';
    const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
    return (
      this.exact.get(path) ??
      (isList ? this.exact.get(trimmed) : undefined) ??
      bestMatch(this.globs.values(), path) ??
      // Wildcard rules written without the trailing slash also serve a list (Vault 1.15).
      (isList && trimmed !== path ? bestMatch(this.globs.values(), trimmed) : undefined)
    );
  }

  private insert(policyName: string, rule: PathRule): void {
    const exact = patternKind(rule.pattern) === 'exact';
    const existing = exact ? this.exact.get(rule.pattern) : this.globs.get(rule.pattern)?.value;
    if (existing !== undefined) {
      mergeRule(existing, policyName, rule);
    } else if (exact) {
      this.exact.set(rule.pattern, fromRule(policyName, rule));
    } else {
      const glob = compileGlob(rule.pattern);
      this.globs.set(rule.pattern, { glob, value: fromRule(policyName, rule) });
    }
  }
}

function fromRule(policyName: string, rule: PathRule): Permissions {
  const permissions: Permissions = {
    capabilities: new Set(rule.capabilities),
    granting: new Map(),
    required: [...rule.requiredParameters],
    allowed: mergeParameterMaps(undefined, rule.allowedParameters),
    denied: mergeParameterMaps(undefined, rule.deniedParameters),
    minWrappingTtl: rule.minWrappingTtl,
    maxWrappingTtl: rule.maxWrappingTtl,
  };
  addGranting(permissions, policyName, rule.capabilities);
  return permissions;
}

/** Unions one more stanza of the same pattern into `target`. */
function mergeRule(target: Permissions, policyName: string, rule: PathRule): void {
  // Deny wins, whichever policy came first, and makes the rest of the stanza moot.
  if (target.capabilities.has('deny')) return;
  if (rule.capabilities.includes('deny')) {
    target.capabilities = new Set(['deny']);
    target.granting = new Map();
    target.allowed = undefined;
    target.denied = undefined;
    return;
  }

  for (const capability of rule.capabilities) target.capabilities.add(capability);
  addGranting(target, policyName, rule.capabilities);

  target.minWrappingTtl = lowestSet(target.minWrappingTtl, rule.minWrappingTtl);
  target.maxWrappingTtl = lowestSet(target.maxWrappingTtl, rule.maxWrappingTtl);
  target.allowed = mergeParameterMaps(target.allowed, rule.allowedParameters);
  target.denied = mergeParameterMaps(target.denied, rule.deniedParameters);
  for (const name of rule.requiredParameters) {
    if (!target.required.includes(name)) target.required.push(name);
  }
}

function addGranting(
  target: Permissions,
  policyName: string,
  capabilities: readonly Capability[],
): void {
  for (const capability of capabilities) {
    const names = target.granting.get(capability) ?? [];
    if (!names.includes(policyName)) names.push(policyName);
    target.granting.set(capability, names);
  }
}

/** The smaller of two TTLs where 0 means unset. */
function lowestSet(current: number, incoming: number): number {
  if (incoming === 0) return current;
  return current === 0 ? incoming : Math.min(current, incoming);
}

/**
 * The wrapping bounds. As in Vault's acl.go, either bound requires the response to be wrapped,
 * and merged bounds that contradict each other (max below min) deny.
 */
function checkWrapping(permissions: Permissions, wrapTtl: number): string | undefined {
  const { minWrappingTtl: min, maxWrappingTtl: max } = permissions;
  if (min === 0 && max === 0) return undefined;
  if (wrapTtl <= 0) return 'the response must be wrapped on this path';
  if (max > 0 && wrapTtl > max) return `the wrapping TTL is above the maximum of ${max}s`;
  if (min > 0 && wrapTtl < min) return `the wrapping TTL is below the minimum of ${min}s`;
  if (min > 0 && max > 0 && max < min) return 'the merged wrapping TTL bounds contradict';
  return undefined;
}

function denied(sudo: boolean, deniedReason: string): AclDecision {
  return { allowed: false, sudo, rootPrivileges: false, grantingPolicies: [], deniedReason };
}

function trimLeadingSlashes(path: string): string {
  let start = 0;
  while (path[start] === '/') start++;
  return path.slice(start);
}
