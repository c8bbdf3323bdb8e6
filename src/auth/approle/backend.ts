/**
 * The AppRole auth method (vault-api.md §2.3): machines log in with a role ID and a secret ID
 * and receive the token their role's `token_*` fields describe. Paths relative to the mount:
 *
 * | path                               | operations                                      |
 * |------------------------------------|-------------------------------------------------|
 * | `role`                             | list                                            |
 * | `role/<name>`                      | create, read, update, delete                    |
 * | `role/<name>/role-id`              | read; update `{role_id}` to set a custom one    |
 * | `role/<name>/secret-id`            | update: issue one; list: accessors              |
 * | `role/<name>/custom-secret-id`     | update `{secret_id}`                            |
 * | `role/<name>/secret-id/lookup`, `/destroy`          | update `{secret_id}`       |
 * | `role/<name>/secret-id-accessor/lookup`, `/destroy` | update `{secret_id_accessor}` |
 * | `tidy/secret-id`                   | update                                          |
 * | `login`                            | update `{role_id, secret_id}`; without a token  |
 *
 * Role names are case-insensitive (stored lower-case). Role IDs, secret IDs and accessors are
 * stored only under HMACs with a per-mount key (types.ts has the layout).
 */
import {
  PathBackend,
  type AuthBackend,
  type BackendContext,
} from '../../logical/index.js';
import { RoleIdAliases } from './alias-cache.js';
import { MountHmac } from './hmac.js';
import { loginPath, renewRoleLogin } from './path-login.js';
import { rolePaths } from './path-role.js';
import { secretIdPaths } from './path-secret-id.js';
import { tidyPath } from './path-tidy.js';
import { RoleStore } from './role-store.js';
import { SecretIdStore } from './secret-id-store.js';

/** The mount type AppRole registers under. */
export const APPROLE_MOUNT_TYPE = 'approle';

const LOGIN_PATH = 'login';

/** Builds the AppRole backend of one mount. */
export function createAppRoleBackend(context: BackendContext): AuthBackend {
  const hmac = new MountHmac(context.storage);
  const roles = new RoleStore(context.storage, hmac);
  const secrets = new SecretIdStore(context.storage, hmac, context.now);
  const aliases = new RoleIdAliases();
  const paths = new PathBackend([
    ...rolePaths(roles, secrets, aliases),
    ...secretIdPaths(roles, secrets),
    tidyPath(roles, secrets, context.now, context.logger),
    loginPath(roles, secrets, aliases),
  ]);

  return {
    handleRequest: (request) => paths.handleRequest(request),
    existenceCheck: (request) => paths.existenceCheck(request),
    isLoginPath: (path) => path === LOGIN_PATH,
    // The role a role_id names is known only from storage; this is the in-memory hint the
    // logins on this node keep (alias-cache.ts).
    loginAlias: ({ path, data }) => (path === LOGIN_PATH ? aliases.lookup(data.role_id) : null),
    renewLogin: (renewal) => renewRoleLogin(roles, renewal),
  };
}
