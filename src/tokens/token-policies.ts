/**
 * Which policies a new token gets (vault-api.md §4; Vault's token docs, "policies" and token
 * roles): a child of a non-root token may hold only a subset of its parent's policies, a role
 * with allowed or disallowed lists replaces that rule with its own, `root` comes only from a
 * root token, and `default` is added unless the request, the role or the role's disallowed list
 * says otherwise.
 */
import { InvalidRequestError } from '../logical/errors.js';
import type { TokenRole } from './types.js';

export const ROOT_POLICY = 'root';
export const DEFAULT_POLICY = 'default';

/**
 * Trimmed, lower-cased, sorted names without empties or duplicates. A list holding `root` is just
 * `['root']`: root already grants everything.
 */
export function sanitizePolicies(policies: readonly string[]): string[] {
  const names = new Set<string>();
  for (const policy of policies) {
    const name = policy.trim().toLowerCase();
    if (name.length > 0) names.add(name);
  }
  if (names.has(ROOT_POLICY)) return [ROOT_POLICY];
  return [...names].sort();
}

/** Whether `name` matches `pattern`, where each `*` stands for any run of characters. */
export function globMatch(pattern: string, name: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === name;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!name.startsWith(first) || name.length < first.length + last.length) return false;
  let at = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = name.indexOf(middle, at);
    if (found === -1) return false;
    at = found + middle.length;
  }
  return name.length - last.length >= at && name.endsWith(last);
}

/** What decides a new token's policies. */
export interface PolicyRequest {
  /** The creating token's policies. */
  readonly parentPolicies: readonly string[];
  /** Undefined when the request names none. */
  readonly requested?: readonly string[];
  readonly role?: TokenRole;
  readonly noDefaultPolicy: boolean;
}

/**
 * The new token's sanitized policies. Throws `InvalidRequestError` (400) when the request asks
 * for more than the parent (or the role) allows, for `root` without a root parent, or when
 * nothing is left.
 */
export function resolvePolicies(request: PolicyRequest): string[] {
  const { parentPolicies, role } = request;
  const parentIsRoot = parentPolicies.includes(ROOT_POLICY);
  const requested =
    request.requested === undefined ? undefined : sanitizePolicies(request.requested);
  let addDefault = !request.noDefaultPolicy && role?.tokenNoDefaultPolicy !== true;
  let policies: string[];

  if (role !== undefined && roleRestrictsPolicies(role)) {
    const allowedSet = role.allowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0;
    if (isDisallowed(role, DEFAULT_POLICY)) addDefault = false;
    if (requested !== undefined) {
      policies = requested;
    } else if (allowedSet) {
      policies = sanitizePolicies(role.allowedPolicies);
    } else {
      policies = sanitizePolicies(parentPolicies).filter((name) => !isDisallowed(role, name));
    }
    const outside = policies.filter(
      (name) => allowedSet && name !== DEFAULT_POLICY && !isAllowed(role, name),
    );
    if (outside.length > 0) {
      throw new InvalidRequestError(
        `token policies (${outside.join(', ')}) must be a subset of the role's allowed policies`,
      );
    }
    const refused = policies.filter((name) => isDisallowed(role, name));
    if (refused.length > 0) {
      throw new InvalidRequestError(
        `token policies (${refused.join(', ')}) are disallowed by the role`,
      );
    }
  } else {
    policies = requested ?? sanitizePolicies(parentPolicies);
    const extra = policies.filter(
      (name) => name !== DEFAULT_POLICY && !parentPolicies.includes(name),
    );
    if (!parentIsRoot && extra.length > 0) {
      throw new InvalidRequestError('child policies must be subset of parent');
    }
  }

  if (policies.includes(ROOT_POLICY)) {
    if (!parentIsRoot) {
      throw new InvalidRequestError('root policy may only be granted by a root token');
    }
    return [ROOT_POLICY];
  }
  const withDefault = addDefault
    ? [...policies, DEFAULT_POLICY]
    : policies.filter((name) => name !== DEFAULT_POLICY);
  const result = sanitizePolicies(withDefault);
  if (result.length === 0) throw new InvalidRequestError('token must have at least one policy');
  return result;
}

function roleRestrictsPolicies(role: TokenRole): boolean {
  return (
    role.allowedPolicies.length > 0 ||
    role.allowedPoliciesGlob.length > 0 ||
    role.disallowedPolicies.length > 0 ||
    role.disallowedPoliciesGlob.length > 0
  );
}

function isAllowed(role: TokenRole, name: string): boolean {
  return (
    role.allowedPolicies.includes(name) ||
    role.allowedPoliciesGlob.some((pattern) => globMatch(pattern, name))
  );
}

function isDisallowed(role: TokenRole, name: string): boolean {
  return (
    role.disallowedPolicies.includes(name) ||
    role.disallowedPoliciesGlob.some((pattern) => globMatch(pattern, name))
  );
}
