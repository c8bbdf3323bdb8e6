/**
 * The shapes of Coffer's ACL policies (vault-api.md §3): a named {@link Policy} is a list of
 * {@link PathRule}s, each granting {@link Capability capabilities} on a path pattern, optionally
 * constrained by request parameters and response-wrapping TTLs. An `Acl` (acl.ts) is built from
 * several policies and answers {@link AclCheck}s with {@link AclDecision}s.
 */
import type { Operation } from '../logical/request.js';

/**
 * What a rule may grant. `create` is POST/PUT of an absent item, `update` of a present one,
 * `read` GET, `list` LIST, `patch` PATCH, `delete` DELETE; `sudo` opens root-protected paths;
 * `deny` overrides every other capability, in this rule and in any other policy's rule for the
 * same pattern.
 */
export type Capability =
  | 'create'
  | 'read'
  | 'update'
  | 'patch'
  | 'delete'
  | 'list'
  | 'sudo'
  | 'deny';

/** Every capability, in the order policies usually list them. */
export const CAPABILITIES: readonly Capability[] = [
  'create',
  'read',
  'update',
  'patch',
  'delete',
  'list',
  'sudo',
  'deny',
];

/**
 * The capability sets the pre-0.5 `policy = "..."` shorthand stands for (Vault's policy.go).
 * `write` predates `patch` and does not include it.
 */
export const LEGACY_POLICIES: Readonly<Record<string, readonly Capability[]>> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

/**
 * Parameter constraints: a lower-cased parameter name to the values it may (or may not) take.
 * An empty list means any value. String values may be globbed with a leading and/or trailing
 * `*`; other values match by deep equality. The name `*` stands for every parameter.
 */
export type ParameterMap = ReadonlyMap<string, readonly unknown[]>;

/** One `path "<pattern>" { ... }` stanza of a policy, as parsed. */
export interface PathRule {
  /**
   * The pattern as written, without a leading `/`: an exact path, a prefix ending in `*`, or a
   * pattern with `+` segments (each matching exactly one path segment), which may also end in
   * `*`.
   */
  readonly pattern: string;
  /** Sorted in {@link CAPABILITIES} order; just `['deny']` when the stanza denies. */
  readonly capabilities: readonly Capability[];
  /** Parameters a request must carry (names compared lower-cased). */
  readonly requiredParameters: readonly string[];
  /** Undefined when the stanza sets no `allowed_parameters`. */
  readonly allowedParameters?: ParameterMap;
  /** Undefined when the stanza sets no `denied_parameters`. */
  readonly deniedParameters?: ParameterMap;
  /** Seconds; 0 when unset. A request on this path must ask for at least this wrapping TTL. */
  readonly minWrappingTtl: number;
  /** Seconds; 0 when unset. A request on this path must ask for at most this wrapping TTL. */
  readonly maxWrappingTtl: number;
  /** The line of the stanza in the policy text, for messages. */
  readonly line?: number;
}

/** A named policy: its text as written and its parsed rules. */
export interface Policy {
  /** Lower-cased, without surrounding spaces. */
  readonly name: string;
  /** The HCL or JSON text exactly as the client sent it. */
  readonly raw: string;
  readonly rules: readonly PathRule[];
}

/** One question to an `Acl`. */
export interface AclCheck {
  /** The full request path below `/v1/`; a leading `/` is ignored. A list path ends with `/`. */
  readonly path: string;
  readonly operation: Operation;
  /**
   * The request parameters. Parameter constraints are checked only when this is given, and only
   * for read, create, update and patch (the core leaves it out for KV v2, as Vault does).
   */
  readonly data?: Readonly<Record<string, unknown>>;
  /** The wrapping TTL the client asked for, in seconds; undefined or 0 when not wrapping. */
  readonly wrapTtl?: number;
}

/** A policy that contributed to an allowed decision. */
export interface GrantingPolicy {
  readonly name: string;
}

/** The answer to an {@link AclCheck}. */
export interface AclDecision {
  readonly allowed: boolean;
  /**
   * The rule that governs the path grants `sudo` (or the ACL is root). Computed whether or not
   * the operation is allowed: a root-protected path needs both `allowed` and `sudo`.
   */
  readonly sudo: boolean;
  /** The ACL is the `root` policy, which allows everything and skips every constraint. */
  readonly rootPrivileges: boolean;
  /** The policies whose rule for the matched pattern grants the operation; empty when denied. */
  readonly grantingPolicies: readonly GrantingPolicy[];
  /** Why the request was denied, for logs and audit; never sent to clients. */
  readonly deniedReason?: string;
  /**
   * Set when the capabilities allow the request and only the wrapping TTL bounds refuse it (a
   * missing or out-of-range `X-Vault-Wrap-TTL`): Vault answers that with a 400 saying why, not
   * a 403, since the client can fix it.
   */
  readonly wrappingRefused?: string;
}
