/**
 * A role's secret IDs (Vault API docs, "AppRole auth method"):
 *
 * | path                                    | operations                                      |
 * |-----------------------------------------|-------------------------------------------------|
 * | `role/<name>/secret-id`                 | update: issue a new one; list: their accessors  |
 * | `role/<name>/custom-secret-id`          | update: register one the caller chose           |
 * | `role/<name>/secret-id/lookup`          | update `{secret_id}`: its properties            |
 * | `role/<name>/secret-id/destroy`         | update or delete `{secret_id}`                  |
 * | `role/<name>/secret-id-accessor/lookup` | update `{secret_id_accessor}`                   |
 * | `role/<name>/secret-id-accessor/destroy`| update or delete `{secret_id_accessor}`         |
 *
 * A secret ID is shown once, when it is issued; afterwards only its accessor and properties.
 */
import { randomUUID } from 'node:crypto';
import {
  InternalError,
  InvalidRequestError,
  NotFoundError,
  type FieldData,
  type PathDefinition,
  type Request,
  type Response,
} from '../../logical/index.js';
import { nameOf, ROLE_NAME_FIELD, roleMissing } from './path-role.js';
import type { RoleStore } from './role-store.js';
import { readSecretIdSettings, SECRET_ID_SETTING_FIELDS } from './secret-id-settings.js';
import type { SecretIdStore } from './secret-id-store.js';
import type { StoredRole, StoredSecretId } from './types.js';

/** Go's zero time, which Vault shows as the expiration of a secret ID that never expires. */
const NEVER = '0001-01-01T00:00:00Z';

const SECRET_ID_FIELD = {
  secret_id: { type: 'string', description: 'The secret ID.' },
} as const;
const ACCESSOR_FIELD = {
  secret_id_accessor: { type: 'string', description: 'The accessor of the secret ID.' },
} as const;

export function secretIdPaths(roles: RoleStore, secrets: SecretIdStore): PathDefinition[] {
  /** The role a request names, or a 400 when there is none. */
  const roleOf = async (fields: FieldData): Promise<StoredRole> => {
    const name = nameOf(fields);
    const role = await roles.get(name);
    if (role === undefined) throw roleMissing(name);
    return role;
  };

  /** Issues `secretId` for the role; undefined when the role already has it. */
  const issue = async (
    request: Request,
    fields: FieldData,
    secretId: string,
  ): Promise<StoredSecretId | undefined> => {
    const role = await roleOf(fields);
    // Vault: a secret ID means nothing to a role whose logins do not ask for one.
    if (!role.bindSecretId) {
      throw new InvalidRequestError('bind_secret_id is not set on the role', {
        role: role.name,
      });
    }
    return secrets.issue(role, secretId, readSecretIdSettings(request, fields, role));
  };

  const generate = async (request: Request, fields: FieldData): Promise<Response> => {
    const secretId = randomUUID();
    const entry = await issue(request, fields, secretId);
    // A random UUID colliding means the random source is broken, not a client mistake.
    if (entry === undefined) throw new InternalError('a generated secret ID collided');
    return issuedResponse(secretId, entry);
  };

  const custom = async (request: Request, fields: FieldData): Promise<Response> => {
    const secretId = requiredString(fields, 'secret_id');
    const entry = await issue(request, fields, secretId);
    if (entry === undefined) {
      throw new InvalidRequestError('the secret ID is already registered on the role', {
        field: 'secret_id',
      });
    }
    return issuedResponse(secretId, entry);
  };

  const listAccessors = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const role = await roles.get(nameOf(fields));
    return role === undefined ? null : { data: { keys: await secrets.accessors(role) } };
  };

  const lookup = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const role = await roleOf(fields);
    const entry = await secrets.lookup(role, requiredString(fields, 'secret_id'));
    return entry === undefined ? null : { data: secretIdReport(entry) };
  };

  const destroy = async (_request: Request, fields: FieldData): Promise<null> => {
    const role = await roleOf(fields);
    const entry = await secrets.lookup(role, requiredString(fields, 'secret_id'));
    if (entry !== undefined) await secrets.destroy(entry);
    return null;
  };

  const byAccessor = async (fields: FieldData): Promise<StoredSecretId> => {
    const role = await roleOf(fields);
    const accessor = requiredString(fields, 'secret_id_accessor');
    const entry = await secrets.lookupByAccessor(role, accessor);
    if (entry === undefined) {
      throw new NotFoundError('no secret ID of the role has this secret_id_accessor', {
        role: role.name,
      });
    }
    return entry;
  };

  const lookupAccessor = async (_request: Request, fields: FieldData): Promise<Response> => ({
    data: secretIdReport(await byAccessor(fields)),
  });

  const destroyAccessor = async (_request: Request, fields: FieldData): Promise<null> => {
    await secrets.destroy(await byAccessor(fields));
    return null;
  };

  const role = '(?<role_name>[^/]+)';
  return [
    {
      pattern: `role/${role}/secret-id/?`,
      fields: { ...ROLE_NAME_FIELD, ...SECRET_ID_SETTING_FIELDS },
      operations: { update: generate, list: listAccessors },
      synopsis: 'Issue a new secret ID for the role, or list the accessors of its secret IDs.',
    },
    {
      pattern: `role/${role}/custom-secret-id`,
      fields: { ...ROLE_NAME_FIELD, ...SECRET_ID_FIELD, ...SECRET_ID_SETTING_FIELDS },
      operations: { update: custom },
      synopsis: 'Register a secret ID chosen by the caller.',
    },
    {
      pattern: `role/${role}/secret-id/lookup`,
      fields: { ...ROLE_NAME_FIELD, ...SECRET_ID_FIELD },
      operations: { update: lookup },
      synopsis: 'Read the properties of a secret ID.',
    },
    {
      pattern: `role/${role}/secret-id/destroy`,
      fields: { ...ROLE_NAME_FIELD, ...SECRET_ID_FIELD },
      operations: { update: destroy, delete: destroy },
      synopsis: 'Destroy a secret ID.',
    },
    {
      pattern: `role/${role}/secret-id-accessor/lookup`,
      fields: { ...ROLE_NAME_FIELD, ...ACCESSOR_FIELD },
      operations: { update: lookupAccessor },
      synopsis: 'Read the properties of a secret ID by its accessor.',
    },
    {
      pattern: `role/${role}/secret-id-accessor/destroy`,
      fields: { ...ROLE_NAME_FIELD, ...ACCESSOR_FIELD },
      operations: { update: destroyAccessor, delete: destroyAccessor },
      synopsis: 'Destroy a secret ID by its accessor.',
    },
  ];
}

/** The answer to issuing a secret ID: the one time the secret ID itself is shown. */
function issuedResponse(secretId: string, entry: StoredSecretId): Response {
  return {
    data: {
      secret_id: secretId,
      secret_id_accessor: entry.accessor,
      secret_id_ttl: entry.ttl,
      secret_id_num_uses: entry.numUses,
    },
  };
}

function requiredString(fields: FieldData, name: string): string {
  const value = fields.string(name);
  if (value.length === 0) throw new InvalidRequestError(`missing ${name}`, { field: name });
  return value;
}

/** A secret ID as a lookup shows it (Vault's "Read AppRole secret ID"). */
function secretIdReport(entry: StoredSecretId): Record<string, unknown> {
  const time = (ms: number): string => new Date(ms).toISOString();
  return {
    cidr_list: [...entry.cidrList],
    creation_time: time(entry.creationTime),
    expiration_time: entry.expirationTime === 0 ? NEVER : time(entry.expirationTime),
    last_updated_time: time(entry.lastUpdatedTime),
    metadata: { ...entry.metadata },
    secret_id_accessor: entry.accessor,
    secret_id_num_uses: entry.numUses,
    secret_id_ttl: entry.ttl,
    token_bound_cidrs: [...entry.tokenBoundCidrs],
  };
}
