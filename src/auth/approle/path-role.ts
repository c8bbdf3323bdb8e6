/**
 * `role`, `role/<name>`, `role/<name>/role-id`: manage AppRoles and their role IDs (Vault API
 * docs, "AppRole auth method"). Reads show durations in seconds.
 */
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_TOKEN_FIELDS,
  FieldData,
  InvalidRequestError,
  readTokenFields,
  TOKEN_FIELD_SCHEMAS,
  tokenFieldsData,
  type FieldSchemas,
  type PathDefinition,
  type Request,
  type Response,
} from '../../logical/index.js';
import type { RoleIdAliases } from './alias-cache.js';
import { assertValidRoleName, canonicalRoleName, type RoleStore } from './role-store.js';
import { readCidrs } from './secret-id-settings.js';
import type { SecretIdStore } from './secret-id-store.js';
import type { StoredRole } from './types.js';

export const ROLE_NAME_FIELD = {
  role_name: { type: 'string', description: 'The name of the role; case does not matter.' },
} as const;

const ROLE_ID_FIELD = {
  type: 'string',
  description: 'A custom role ID; a UUID is made otherwise.',
} as const;

const ROLE_FIELDS: FieldSchemas = {
  ...ROLE_NAME_FIELD,
  bind_secret_id: {
    type: 'bool',
    description: 'Require a secret ID at login.',
    default: true,
  },
  secret_id_bound_cidrs: { type: 'string-list', description: 'CIDR blocks logins must come from.' },
  secret_id_num_uses: { type: 'int', description: 'Uses of each new secret ID; 0 is unlimited.' },
  secret_id_ttl: { type: 'duration', description: 'Lifetime of each new secret ID; 0 is forever.' },
  local_secret_ids: { type: 'bool', description: 'Accepted for compatibility; no effect.' },
  role_id: ROLE_ID_FIELD,
  ...TOKEN_FIELD_SCHEMAS,
  // AppRole's own legacy name: in Vault it was the old spelling of secret_id_bound_cidrs.
  bound_cidr_list: { type: 'string-list', description: 'Deprecated: use secret_id_bound_cidrs.' },
};

export function rolePaths(
  roles: RoleStore,
  secrets: SecretIdStore,
  aliases: RoleIdAliases,
): PathDefinition[] {
  const list = async (): Promise<Response> => ({ data: { keys: await roles.list() } });

  const read = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const role = await roles.get(nameOf(fields));
    return role === undefined ? null : { data: roleReport(role) };
  };

  /** Creates the role or changes what the request names. */
  const write = async (request: Request, fields: FieldData): Promise<null> => {
    const name = nameOf(fields);
    assertValidRoleName(name);
    const edited = await roles.edit(name, (current) =>
      applyRoleWrite(request, fields, current ?? newRole(name), current === undefined),
    );
    noteRoleId(aliases, edited);
    return null;
  };

  /** Deletes the role, its role ID and every secret ID it issued. */
  const remove = async (_request: Request, fields: FieldData): Promise<null> => {
    const removed = await roles.remove(nameOf(fields), (role) => secrets.removalOfAll(role.uuid));
    if (removed !== undefined) aliases.forget(removed.roleId);
    return null;
  };

  const readRoleId = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const role = await roles.get(nameOf(fields));
    return role === undefined ? null : { data: { role_id: role.roleId } };
  };

  const writeRoleId = async (_request: Request, fields: FieldData): Promise<null> => {
    const name = nameOf(fields);
    const roleId = roleIdOf(fields);
    if (roleId === undefined) {
      throw new InvalidRequestError('missing role_id', { field: 'role_id' });
    }
    const edited = await roles.edit(name, (current) => {
      if (current === undefined) throw roleMissing(name);
      return { ...current, roleId };
    });
    noteRoleId(aliases, edited);
    return null;
  };

  return [
    {
      pattern: 'role/?',
      operations: { list },
      synopsis: 'List the roles of this mount.',
    },
    {
      pattern: 'role/(?<role_name>[^/]+)/role-id',
      fields: { ...ROLE_NAME_FIELD, role_id: ROLE_ID_FIELD },
      operations: { read: readRoleId, update: writeRoleId },
      synopsis: "Read a role's role ID, or set a custom one.",
    },
    {
      pattern: 'role/(?<role_name>[^/]+)',
      fields: ROLE_FIELDS,
      operations: { read, create: write, update: write, delete: remove },
      existenceCheck: async (_request, fields) => (await roles.get(nameOf(fields))) !== undefined,
      synopsis: 'Create, read, update or delete a role.',
      description:
        'A role has a role ID, the rules its secret IDs follow (bind_secret_id, ' +
        'secret_id_bound_cidrs, secret_id_num_uses, secret_id_ttl) and the token_* fields of ' +
        'the tokens its logins receive. The name is case-insensitive.',
    },
  ];
}

export function nameOf(fields: FieldData): string {
  return canonicalRoleName(fields.string('role_name'));
}

/** The 400 for a sub-path of a role that does not exist. */
export function roleMissing(name: string): InvalidRequestError {
  return new InvalidRequestError(`role "${name}" does not exist`, { role: name });
}

/** Keeps the login alias hints in step with a role's role_id after an edit. */
function noteRoleId(
  aliases: RoleIdAliases,
  { before, after }: { before: StoredRole | undefined; after: StoredRole },
): void {
  if (before !== undefined && before.roleId !== after.roleId) aliases.forget(before.roleId);
  aliases.remember(after.roleId, after.name);
}

/** A role as it is before a create applies the request: Vault's defaults and fresh IDs. */
function newRole(name: string): StoredRole {
  return {
    name,
    uuid: randomUUID(),
    roleId: randomUUID(),
    bindSecretId: true,
    secretIdBoundCidrs: [],
    secretIdNumUses: 0,
    secretIdTtl: 0,
    localSecretIds: false,
    token: DEFAULT_TOKEN_FIELDS,
  };
}

/**
 * `base` with what a role write names changed.
 *
 * @throws InvalidRequestError (400) for a value out of range, a bad CIDR block, a change of
 *   local_secret_ids, or a role left with no constraint at all.
 */
function applyRoleWrite(
  request: Request,
  fields: FieldData,
  base: StoredRole,
  isNew: boolean,
): StoredRole {
  let secretIdBoundCidrs = base.secretIdBoundCidrs;
  if (fields.has('secret_id_bound_cidrs')) {
    secretIdBoundCidrs = readCidrs(fields, 'secret_id_bound_cidrs');
  } else if (fields.has('bound_cidr_list')) {
    secretIdBoundCidrs = readCidrs(fields, 'bound_cidr_list');
  }

  const secretIdNumUses = fields.has('secret_id_num_uses')
    ? fields.int('secret_id_num_uses')
    : base.secretIdNumUses;
  if (secretIdNumUses < 0) {
    throw new InvalidRequestError('secret_id_num_uses cannot be negative', {
      field: 'secret_id_num_uses',
    });
  }

  const localSecretIds = fields.has('local_secret_ids')
    ? fields.bool('local_secret_ids')
    : base.localSecretIds;
  if (!isNew && localSecretIds !== base.localSecretIds) {
    throw new InvalidRequestError('local_secret_ids can only be set when the role is created', {
      field: 'local_secret_ids',
    });
  }

  const roleId = roleIdOf(fields) ?? base.roleId;

  // bound_cidr_list means secret_id_bound_cidrs here, so the shared token fields must not
  // read it as their legacy token_bound_cidrs.
  const tokenData: Record<string, unknown> = { ...request.data };
  delete tokenData.bound_cidr_list;
  const token = readTokenFields(new FieldData(tokenData, ROLE_FIELDS), base.token);

  const role: StoredRole = {
    ...base,
    roleId,
    bindSecretId: fields.has('bind_secret_id') ? fields.bool('bind_secret_id') : base.bindSecretId,
    secretIdBoundCidrs,
    secretIdNumUses,
    secretIdTtl: fields.has('secret_id_ttl') ? fields.duration('secret_id_ttl') : base.secretIdTtl,
    localSecretIds,
    token,
  };
  // Vault refuses a role anyone could log in to with its role ID alone.
  if (!role.bindSecretId && role.secretIdBoundCidrs.length === 0 && token.boundCidrs.length === 0) {
    throw new InvalidRequestError(
      'at least one constraint must be enabled on the role: bind_secret_id, ' +
        'secret_id_bound_cidrs or token_bound_cidrs',
    );
  }
  return role;
}

/** The role_id a write names, if any; an empty one is a 400. */
function roleIdOf(fields: FieldData): string | undefined {
  if (!fields.has('role_id')) return undefined;
  const roleId = fields.string('role_id');
  if (roleId.length === 0) {
    throw new InvalidRequestError('role_id cannot be empty', { field: 'role_id' });
  }
  return roleId;
}

/**
 * A role as a read shows it (Vault's "Read AppRole"): its secret ID rules and token fields,
 * durations in seconds, with the legacy `policies` and `period`.
 */
function roleReport(role: StoredRole): Record<string, unknown> {
  const { bound_cidr_list: _legacy, ...token } = tokenFieldsData(role.token);
  return {
    bind_secret_id: role.bindSecretId,
    secret_id_bound_cidrs: [...role.secretIdBoundCidrs],
    secret_id_num_uses: role.secretIdNumUses,
    secret_id_ttl: role.secretIdTtl,
    local_secret_ids: role.localSecretIds,
    ...token,
  };
}
