/**
 * `roles` (LIST) and `roles/<name>` (read, create/update, delete): token roles in Vault's shape
 * (Vault's token auth API, "Create/Update token role"). A write changes only the fields it
 * carries; the legacy names `period`, `explicit_max_ttl` and `bound_cidrs` are accepted too.
 */
import { isIP } from 'node:net';

import { InvalidRequestError } from '../logical/errors.js';
import type { PathDefinition } from '../logical/backend.js';
import type { FieldData, FieldSchemas } from '../logical/fields.js';
import type { Request } from '../logical/request.js';
import type { Response } from '../logical/response.js';
import type { TokenPathContext } from './path-context.js';
import { defaultRole, roleName } from './role-store.js';
import { sanitizePolicies } from './token-policies.js';
import type { RoleTokenType, TokenRole } from './types.js';

const ROLE_FIELDS: FieldSchemas = {
  role_name: { type: 'string', description: 'The role name.' },
  allowed_policies: { type: 'string-list', description: 'Policies tokens may hold.' },
  allowed_policies_glob: { type: 'string-list', description: 'Globs of policies tokens may hold.' },
  disallowed_policies: { type: 'string-list', description: 'Policies tokens may not hold.' },
  disallowed_policies_glob: { type: 'string-list', description: 'Globs tokens may not hold.' },
  orphan: { type: 'bool', description: 'Create orphan tokens.' },
  renewable: { type: 'bool', description: 'Whether tokens can be renewed.', default: true },
  path_suffix: { type: 'string', description: 'Appended to the tokens\' creation path.' },
  token_explicit_max_ttl: { type: 'duration', description: 'A hard maximum life.' },
  explicit_max_ttl: { type: 'duration', description: 'Legacy name of token_explicit_max_ttl.' },
  token_period: { type: 'duration', description: 'Periodic tokens with this period.' },
  period: { type: 'duration', description: 'Legacy name of token_period.' },
  token_type: { type: 'string', description: 'service, batch, default-service, default-batch.' },
  token_ttl: { type: 'duration', description: 'The default TTL.' },
  token_max_ttl: { type: 'duration', description: 'The maximum TTL.' },
  token_no_default_policy: { type: 'bool', description: 'Do not attach the default policy.' },
  token_num_uses: { type: 'int', description: 'Uses allowed; 0 is unlimited.' },
  token_bound_cidrs: { type: 'string-list', description: 'CIDRs tokens may be used from.' },
  bound_cidrs: { type: 'string-list', description: 'Legacy name of token_bound_cidrs.' },
};

const TOKEN_TYPES: readonly RoleTokenType[] = [
  'service',
  'batch',
  'default-service',
  'default-batch',
];

export function rolePaths(context: TokenPathContext): PathDefinition[] {
  const { roles } = context.store;

  const list = async (): Promise<Response> => ({ data: { keys: await roles.list() } });
  const read = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const role = await roles.get(roleName(fields.string('role_name')));
    return role === undefined ? null : { data: roleData(role) };
  };
  const write = async (_request: Request, fields: FieldData): Promise<null> => {
    const name = roleName(fields.string('role_name'));
    const existing = (await roles.get(name)) ?? defaultRole(name);
    await roles.put(applyFields(existing, fields));
    return null;
  };
  const remove = async (_request: Request, fields: FieldData): Promise<null> => {
    await roles.delete(roleName(fields.string('role_name')));
    return null;
  };

  return [
    {
      pattern: 'roles/?',
      operations: { list },
      synopsis: 'List the token roles.',
    },
    {
      pattern: 'roles/(?<role_name>[^/]+)',
      fields: ROLE_FIELDS,
      operations: { read, update: write, delete: remove },
      existenceCheck: async (_request, fields) =>
        (await roles.get(roleName(fields.string('role_name')))) !== undefined,
      synopsis: 'Read, write or delete a token role.',
    },
  ];
}

/** `role` with the fields the request carried applied. */
function applyFields(role: TokenRole, fields: FieldData): TokenRole {
  const list = (name: string, current: readonly string[]): readonly string[] =>
    fields.has(name) ? sanitizePolicies(fields.stringList(name)) : current;
  const globs = (name: string, current: readonly string[]): readonly string[] =>
    fields.has(name) ? fields.stringList(name).map((item) => item.trim().toLowerCase()) : current;
  const duration = (name: string, legacy: string, current: number): number => {
    if (fields.has(name)) return fields.duration(name);
    return fields.has(legacy) ? fields.duration(legacy) : current;
  };

  let tokenType = role.tokenType;
  if (fields.has('token_type')) {
    const value = fields.string('token_type');
    if (!(TOKEN_TYPES as readonly string[]).includes(value)) {
      throw new InvalidRequestError(`invalid token_type "${value}"`, { field: 'token_type' });
    }
    tokenType = value as RoleTokenType;
  }
  let boundCidrs = role.tokenBoundCidrs;
  for (const name of ['token_bound_cidrs', 'bound_cidrs']) {
    if (fields.has(name)) {
      boundCidrs = fields.stringList(name).map(checkCidr);
      break;
    }
  }
  const numUses = fields.has('token_num_uses') ? fields.int('token_num_uses') : role.tokenNumUses;
  if (numUses < 0) throw new InvalidRequestError('token_num_uses cannot be negative');

  return {
    ...role,
    allowedPolicies: list('allowed_policies', role.allowedPolicies),
    allowedPoliciesGlob: globs('allowed_policies_glob', role.allowedPoliciesGlob),
    disallowedPolicies: list('disallowed_policies', role.disallowedPolicies),
    disallowedPoliciesGlob: globs('disallowed_policies_glob', role.disallowedPoliciesGlob),
    orphan: fields.has('orphan') ? fields.bool('orphan') : role.orphan,
    renewable: fields.has('renewable') ? fields.bool('renewable') : role.renewable,
    pathSuffix: fields.has('path_suffix') ? fields.string('path_suffix') : role.pathSuffix,
    tokenExplicitMaxTtl: duration(
      'token_explicit_max_ttl',
      'explicit_max_ttl',
      role.tokenExplicitMaxTtl,
    ),
    tokenPeriod: duration('token_period', 'period', role.tokenPeriod),
    tokenType,
    tokenTtl: fields.has('token_ttl') ? fields.duration('token_ttl') : role.tokenTtl,
    tokenMaxTtl: fields.has('token_max_ttl') ? fields.duration('token_max_ttl') : role.tokenMaxTtl,
    tokenNoDefaultPolicy: fields.has('token_no_default_policy')
      ? fields.bool('token_no_default_policy')
      : role.tokenNoDefaultPolicy,
    tokenNumUses: numUses,
    tokenBoundCidrs: boundCidrs,
  };
}

/** Vault's read shape of a role. */
function roleData(role: TokenRole): Record<string, unknown> {
  return {
    name: role.name,
    allowed_policies: role.allowedPolicies,
    allowed_policies_glob: role.allowedPoliciesGlob,
    disallowed_policies: role.disallowedPolicies,
    disallowed_policies_glob: role.disallowedPoliciesGlob,
    orphan: role.orphan,
    renewable: role.renewable,
    path_suffix: role.pathSuffix,
    explicit_max_ttl: role.tokenExplicitMaxTtl,
    token_explicit_max_ttl: role.tokenExplicitMaxTtl,
    period: role.tokenPeriod,
    token_period: role.tokenPeriod,
    token_type: role.tokenType,
    token_ttl: role.tokenTtl,
    token_max_ttl: role.tokenMaxTtl,
    token_no_default_policy: role.tokenNoDefaultPolicy,
    token_num_uses: role.tokenNumUses,
    token_bound_cidrs: role.tokenBoundCidrs,
  };
}

/** `value` when it is an IP address or a CIDR block; `InvalidRequestError` otherwise. */
function checkCidr(value: string): string {
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  const limit = family === 4 ? 32 : 128;
  const prefixOk =
    prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= limit);
  if (family === 0 || !prefixOk || extra !== undefined) {
    throw new InvalidRequestError(`invalid CIDR "${value}"`, { field: 'token_bound_cidrs' });
  }
  return value;
}
