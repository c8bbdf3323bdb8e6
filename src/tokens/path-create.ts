/**
 * `create`, `create-orphan` and `create/<role>` (Vault's token auth API, "Create token"): a new
 * token, answered with the `auth` block. The calling token is the parent unless the token is an
 * orphan.
 */
import { InvalidRequestError } from '../logical/errors.js';
import type { FieldData, FieldSchemas } from '../logical/fields.js';
import type { OperationHandler, PathDefinition } from '../logical/backend.js';
import type { Request } from '../logical/request.js';
import type { Response } from '../logical/response.js';
import { callerEntry, fullPath, type TokenPathContext } from './path-context.js';
import { roleName } from './role-store.js';
import { authInfo } from './token-response.js';
import type { CreateTokenParams, TokenRole, TokenType } from './types.js';

const CREATE_FIELDS: FieldSchemas = {
  id: { type: 'string', description: 'A custom token id; not supported.' },
  role_name: { type: 'string', description: 'The role the token is created against.' },
  policies: { type: 'string-list', description: 'Policies; a subset of the caller\'s.' },
  meta: { type: 'map', description: 'String metadata attached to the token.' },
  no_parent: { type: 'bool', description: 'Create an orphan (needs sudo).' },
  no_default_policy: { type: 'bool', description: 'Do not attach the default policy.' },
  renewable: { type: 'bool', description: 'Whether the token can be renewed.', default: true },
  lease: { type: 'duration', description: 'Deprecated alias of ttl.' },
  ttl: { type: 'duration', description: 'The initial TTL.' },
  type: { type: 'string', description: '"service" or "batch".' },
  explicit_max_ttl: { type: 'duration', description: 'A hard maximum life.' },
  display_name: { type: 'string', description: 'A name, prefixed with "token-".' },
  num_uses: { type: 'int', description: 'Uses allowed; 0 is unlimited.' },
  period: { type: 'duration', description: 'Renew to this period (needs sudo).' },
  entity_alias: { type: 'string', description: 'Not supported until identity exists.' },
};

/** The three creation paths. */
export function createPaths(context: TokenPathContext): PathDefinition[] {
  return [
    {
      pattern: 'create',
      fields: CREATE_FIELDS,
      operations: { update: creator(context, 'child') },
      synopsis: 'Create a token, a child of the calling token unless no_parent is set.',
    },
    {
      pattern: 'create-orphan',
      fields: CREATE_FIELDS,
      operations: { update: creator(context, 'orphan') },
      synopsis: 'Create an orphan token; no sudo needed.',
    },
    {
      pattern: 'create/(?<role_name>[^/]+)',
      fields: CREATE_FIELDS,
      operations: { update: creator(context, 'role') },
      synopsis: 'Create a token against a token role.',
    },
  ];
}

function creator(context: TokenPathContext, kind: 'child' | 'orphan' | 'role'): OperationHandler {
  return async (request: Request, fields: FieldData): Promise<Response> => {
    const parent = await callerEntry(context, request);
    if (fields.string('id') !== '') {
      throw new InvalidRequestError('custom token ids are not supported');
    }
    if (fields.string('entity_alias') !== '') {
      throw new InvalidRequestError('entity_alias is not supported');
    }
    let role: TokenRole | undefined;
    if (kind === 'role') {
      const name = roleName(fields.string('role_name'));
      role = await context.store.roles.get(name);
      if (role === undefined) throw new InvalidRequestError(`unknown role ${name}`);
    }
    const params = createParams(fields, fullPath(context, request), kind, role, request.sudo);
    const { clientToken, entry, warnings } = await context.store.create(parent, params);
    const response: Response = { auth: authInfo(clientToken, entry) };
    return warnings.length === 0 ? response : { ...response, warnings };
  };
}

function createParams(
  fields: FieldData,
  path: string,
  kind: 'child' | 'orphan' | 'role',
  role: TokenRole | undefined,
  sudo: boolean | undefined,
): CreateTokenParams {
  const ttl = fields.has('ttl') ? fields.duration('ttl') : fields.duration('lease');
  return {
    path,
    ...(fields.has('policies') ? { policies: fields.stringList('policies') } : {}),
    ...(fields.has('meta') ? { meta: stringMap(fields.map('meta')) } : {}),
    noParent: fields.bool('no_parent'),
    orphan: kind === 'orphan',
    noDefaultPolicy: fields.bool('no_default_policy'),
    renewable: fields.bool('renewable'),
    ttl,
    explicitMaxTtl: fields.duration('explicit_max_ttl'),
    period: fields.duration('period'),
    numUses: fields.int('num_uses'),
    displayName: fields.string('display_name'),
    ...(fields.has('type') ? { type: parseType(fields.string('type')) } : {}),
    ...(role === undefined ? {} : { role }),
    sudo: sudo === true,
  };
}

function stringMap(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new InvalidRequestError('meta values must be strings', { field: 'meta' });
    }
    // defineProperty keeps a `__proto__` key as plain data.
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function parseType(value: string): TokenType | undefined {
  if (value === '' || value === 'default') return undefined;
  if (value === 'service' || value === 'batch') return value;
  throw new InvalidRequestError(`invalid token type "${value}"`, { field: 'type' });
}
