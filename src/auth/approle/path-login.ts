/**
 * `login`: log in with a role ID and, unless the role says otherwise, a secret ID (Vault API
 * docs, "Login with AppRole"), and the check the core makes when such a token is renewed.
 *
 * The checks run in this order, so that a refused login never spends a use of a secret ID:
 * the role_id names a role; the client is inside the role's `secret_id_bound_cidrs` and
 * `token_bound_cidrs`; the secret ID is the role's and unexpired, and the client is inside its
 * `cidr_list` and `token_bound_cidrs`; then one use is spent.
 *
 * Bad credentials are a `LoginFailedError`, which the core counts towards the role's lockout. A
 * client outside the CIDR blocks is refused with a plain 400 that is not counted: it could never
 * log in from there whatever it guessed, and counting it would let anyone who knows a role_id
 * lock the role out from outside its network.
 */
import {
  InvalidRequestError,
  LoginFailedError,
  type FieldData,
  type LoginAuth,
  type LoginRenewal,
  type PathDefinition,
  type Request,
  type Response,
  type TokenFields,
} from '../../logical/index.js';
import { addressInCidrs } from '../../util/cidr.js';
import type { RoleIdAliases } from './alias-cache.js';
import type { RoleStore } from './role-store.js';
import type { SecretIdStore } from './secret-id-store.js';
import type { StoredSecretId } from './types.js';

/** One message for an unknown role ID and a bad secret ID, so neither can be probed alone. */
const INVALID_CREDENTIALS = 'invalid role or secret ID';

export function loginPath(
  roles: RoleStore,
  secrets: SecretIdStore,
  aliases: RoleIdAliases,
): PathDefinition {
  const login = async (request: Request, fields: FieldData): Promise<Response> => {
    const roleId = fields.string('role_id');
    if (roleId.length === 0) throw new InvalidRequestError('missing role_id', { field: 'role_id' });

    const role = await roles.findByRoleId(roleId);
    if (role === undefined) {
      aliases.forget(roleId);
      throw new LoginFailedError(INVALID_CREDENTIALS, null);
    }
    aliases.remember(roleId, role.name);

    const remote = request.connection.remoteAddress;
    for (const bound of [role.secretIdBoundCidrs, role.token.boundCidrs]) {
      if (bound.length > 0 && !addressInCidrs(remote, bound)) throw outsideCidrs(remote, 'role');
    }

    let secret: StoredSecretId | undefined;
    if (role.bindSecretId) {
      const secretId = fields.string('secret_id');
      if (secretId.length === 0) {
        throw new InvalidRequestError('missing secret_id', { field: 'secret_id' });
      }
      const use = await secrets.use(role, secretId, remote);
      if (use.outcome === 'invalid') throw new LoginFailedError(INVALID_CREDENTIALS, role.name);
      if (use.outcome === 'outside-cidrs') throw outsideCidrs(remote, 'secret ID');
      secret = use.entry;
    }

    const token: TokenFields =
      secret !== undefined && secret.tokenBoundCidrs.length > 0
        ? { ...role.token, boundCidrs: secret.tokenBoundCidrs }
        : role.token;
    const auth: LoginAuth = {
      alias: role.name,
      token,
      metadata: { ...secret?.metadata, role_name: role.name },
      internal: { role_name: role.name, role_uuid: role.uuid },
    };
    return { login: auth };
  };

  return {
    pattern: 'login',
    fields: {
      role_id: { type: 'string', description: 'The role ID of the role to log in as.' },
      secret_id: { type: 'string', description: 'A secret ID the role issued.' },
    },
    operations: { update: login },
    synopsis: 'Log in with a role ID and a secret ID.',
  };
}

function outsideCidrs(remote: string, holder: 'role' | 'secret ID'): InvalidRequestError {
  return new InvalidRequestError(
    `source address "${remote}" unauthorized through CIDR restrictions on the ${holder}`,
  );
}

/**
 * The token fields a renewal of an AppRole login gets: its role's current ones.
 *
 * @throws InvalidRequestError (400) when the role no longer exists, including when it was
 *   deleted and created again under the same name (its `internal.role_uuid` differs).
 */
export async function renewRoleLogin(
  roles: RoleStore,
  renewal: LoginRenewal,
): Promise<TokenFields> {
  const name = String(renewal.internal.role_name ?? renewal.alias);
  const role = await roles.get(name);
  if (role === undefined || role.uuid !== renewal.internal.role_uuid) {
    throw new InvalidRequestError(
      `role "${name}" no longer exists; the token cannot be renewed`,
      { role: name },
    );
  }
  return role.token;
}
