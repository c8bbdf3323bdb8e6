/**
 * The contract between an auth method (userpass, AppRole, cert) and the core (vault-api.md
 * §2.3). A login handler never makes a token itself: it checks the credentials and resolves to
 * a response carrying {@link LoginAuth}, and the core creates the orphan token the method asked
 * for, caps its TTLs by the mount's, fills the envelope's `auth` block and records the method's
 * mount as the token's owner. A failed check throws {@link LoginFailedError}, which the core
 * counts towards the lockout of {@link LoginAuth.alias}.
 *
 * Every method shares the `token_*` role fields; {@link TOKEN_FIELD_SCHEMAS} declares them,
 * {@link readTokenFields} parses them (with the legacy `policies`, `period` and
 * `bound_cidr_list` spellings) and {@link tokenFieldsData} prints them back.
 */
import { parseCidr } from '../util/cidr.js';
import { LogicalError } from './errors.js';
import type { Backend } from './backend.js';
import type { FieldData, FieldSchemas } from './fields.js';
import type { ConnectionInfo, Request } from './request.js';

/** The token a login asks the core for; durations are whole seconds, 0 meaning the default. */
export interface TokenFields {
  readonly ttl: number;
  readonly maxTtl: number;
  readonly explicitMaxTtl: number;
  readonly period: number;
  readonly policies: readonly string[];
  readonly noDefaultPolicy: boolean;
  readonly numUses: number;
  /** CIDR blocks the token may be used from; empty for anywhere. */
  readonly boundCidrs: readonly string[];
  /** `service`, `batch`, or `default` (the mount's default, `service`). */
  readonly type: 'service' | 'batch' | 'default' | 'default-service' | 'default-batch';
}

/** The defaults of {@link TokenFields}: a service token with the mount's TTLs. */
export const DEFAULT_TOKEN_FIELDS: TokenFields = {
  ttl: 0,
  maxTtl: 0,
  explicitMaxTtl: 0,
  period: 0,
  policies: [],
  noDefaultPolicy: false,
  numUses: 0,
  boundCidrs: [],
  type: 'default',
};

/** What a successful login resolves to, in `Response.login`. */
export interface LoginAuth {
  /**
   * The canonical name of who logged in within the mount (a lower-cased user name, a role
   * name, a certificate role name): the token's display name is `<mount>-<alias>` and the
   * lockout counters are kept under it.
   */
  readonly alias: string;
  /** What the token's display name shows after `<mount>-`; the alias when absent. */
  readonly displayName?: string;
  readonly token: TokenFields;
  /** Shown in the `auth.metadata` block and stored on the token. */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * What the method needs back when the token is renewed ({@link AuthMethod.renewLogin}); kept
   * in the token store behind the barrier, never shown.
   */
  readonly internal?: Readonly<Record<string, unknown>>;
}

/** A token renewal the core asks its method about. */
export interface LoginRenewal {
  readonly alias: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly internal: Readonly<Record<string, unknown>>;
  readonly policies: readonly string[];
}

/**
 * The optional parts of a backend that serves as an auth method. Every path of an auth method
 * is served without a token when {@link AuthMethod.isLoginPath} says so.
 */
export interface AuthMethod {
  /** True for the paths (relative to the mount) a client calls without a token. */
  isLoginPath(path: string): boolean;
  /**
   * The alias a login request is for, before any check runs, so the core can refuse a locked
   * alias without calling the method; null when the request names none (then it is not
   * counted).
   */
  loginAlias?(request: Pick<Request, 'path' | 'data'>): string | null;
  /**
   * Re-checks a token the method issued as it is renewed (a certificate still valid, a user
   * still there). Resolves to the token fields now in force (their TTLs cap the renewal), or
   * rejects with a `LogicalError` to refuse it.
   */
  renewLogin?(renewal: LoginRenewal, connection: ConnectionInfo): Promise<TokenFields>;
}

/** A backend mounted under `auth/`: a backend and an {@link AuthMethod}. */
export type AuthBackend = Backend & AuthMethod;

/**
 * Thrown by a login whose credentials do not check out (400, as Vault answers a bad password
 * or secret id). `alias` names the alias the attempt counts against, when known.
 */
export class LoginFailedError extends LogicalError {
  readonly code = 'login_failed';
  readonly httpStatus = 400;

  constructor(
    message: string,
    readonly alias: string | null,
    fields: Record<string, unknown> = {},
  ) {
    super(message, fields);
    this.name = 'LoginFailedError';
  }
}

/** The `token_*` fields every auth method's roles and users take, and their legacy names. */
export const TOKEN_FIELD_SCHEMAS: FieldSchemas = {
  token_ttl: { type: 'duration', description: 'The default TTL of tokens issued.' },
  token_max_ttl: { type: 'duration', description: 'The maximum TTL of tokens issued.' },
  token_explicit_max_ttl: {
    type: 'duration',
    description: 'A hard cap on the lifetime of tokens issued, renewals included.',
  },
  token_period: { type: 'duration', description: 'Issue periodic tokens with this period.' },
  token_policies: { type: 'string-list', description: 'Policies of the tokens issued.' },
  token_no_default_policy: {
    type: 'bool',
    description: 'Leave the default policy off the tokens issued.',
  },
  token_num_uses: { type: 'int', description: 'Uses of each token issued; 0 is unlimited.' },
  token_bound_cidrs: {
    type: 'string-list',
    description: 'CIDR blocks the tokens issued may be used from.',
  },
  token_type: { type: 'string', description: 'service, batch or default.' },
  policies: { type: 'string-list', description: 'Deprecated: use token_policies.' },
  period: { type: 'duration', description: 'Deprecated: use token_period.' },
  bound_cidr_list: { type: 'string-list', description: 'Deprecated: use token_bound_cidrs.' },
};

const TOKEN_TYPES = new Set(['service', 'batch', 'default', 'default-service', 'default-batch']);

/**
 * The token fields of a write, over `current` (the stored values, or the defaults for a new
 * item): a field the request does not carry keeps its current value. The legacy names apply
 * when the new ones are absent.
 *
 * @throws LogicalError (400) for a negative count, an unknown token type or a bad CIDR block.
 */
export function readTokenFields(
  fields: FieldData,
  current: TokenFields = DEFAULT_TOKEN_FIELDS,
): TokenFields {
  const pick = <T>(name: string, legacy: string | null, read: (n: string) => T, now: T): T => {
    if (fields.has(name)) return read(name);
    if (legacy !== null && fields.has(legacy)) return read(legacy);
    return now;
  };
  const duration = (name: string): number => fields.duration(name);
  const list = (name: string): string[] =>
    fields
      .stringList(name)
      .map((item) => item.trim())
      .filter(Boolean);

  const numUses = pick('token_num_uses', null, (n) => fields.int(n), current.numUses);
  if (numUses < 0) throw new TokenFieldError('token_num_uses cannot be negative');
  // An empty token_type is the default, as Vault reads it (hvac sends "" when unset).
  const type = pick('token_type', null, (n) => fields.string(n) || 'default', current.type);
  if (!TOKEN_TYPES.has(type)) throw new TokenFieldError(`invalid token_type "${type}"`);
  const boundCidrs = pick('token_bound_cidrs', 'bound_cidr_list', list, [...current.boundCidrs]);
  for (const cidr of boundCidrs) {
    if (!isCidr(cidr)) throw new TokenFieldError(`invalid CIDR block "${cidr}"`);
  }
  const policies = pick('token_policies', 'policies', list, [...current.policies]);

  const result: TokenFields = {
    ttl: pick('token_ttl', null, duration, current.ttl),
    maxTtl: pick('token_max_ttl', null, duration, current.maxTtl),
    explicitMaxTtl: pick('token_explicit_max_ttl', null, duration, current.explicitMaxTtl),
    period: pick('token_period', 'period', duration, current.period),
    policies: [...new Set(policies.map((p) => p.toLowerCase()))].sort(),
    noDefaultPolicy: pick(
      'token_no_default_policy',
      null,
      (n) => fields.bool(n),
      current.noDefaultPolicy,
    ),
    numUses,
    boundCidrs,
    type: type as TokenFields['type'],
  };
  if (result.maxTtl > 0 && result.ttl > result.maxTtl) {
    throw new TokenFieldError('token_ttl cannot be greater than token_max_ttl');
  }
  return result;
}

/** The token fields as a read of a role or user shows them, with the legacy names too. */
export function tokenFieldsData(token: TokenFields): Record<string, unknown> {
  return {
    token_ttl: token.ttl,
    token_max_ttl: token.maxTtl,
    token_explicit_max_ttl: token.explicitMaxTtl,
    token_period: token.period,
    token_policies: [...token.policies],
    token_no_default_policy: token.noDefaultPolicy,
    token_num_uses: token.numUses,
    token_bound_cidrs: [...token.boundCidrs],
    token_type: token.type,
    policies: [...token.policies],
    period: token.period,
    bound_cidr_list: [...token.boundCidrs],
  };
}

/** Thrown for a token field value no token can have (400). */
export class TokenFieldError extends LogicalError {
  readonly code = 'invalid_request';
  readonly httpStatus = 400;

  constructor(message: string) {
    super(message);
    this.name = 'TokenFieldError';
  }
}

/**
 * True for an IPv4 or IPv6 CIDR block (`10.0.0.0/8`, `2001:db8::/32`), or a bare address (one
 * host). The address must be a real one: `::zz/64` and `300.1.1.1` are refused.
 */
export function isCidr(value: string): boolean {
  return parseCidr(value) !== null;
}
