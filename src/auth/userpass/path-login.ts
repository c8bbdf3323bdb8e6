/**
 * `login/<name>`: log in with a password (Vault API docs, userpass "Login"), and the check the
 * core makes when a token from such a login is renewed.
 */
import {
  InvalidRequestError,
  LoginFailedError,
  PermissionDeniedError,
  type FieldData,
  type LoginRenewal,
  type PathDefinition,
  type Request,
  type Response,
  type TokenFields,
} from '../../logical/index.js';
import { addressInCidrs } from '../../util/cidr.js';
import type { PasswordHash, PasswordHasher } from './password.js';
import { canonicalUserName, isValidUserName, type UserStore } from './user-store.js';

/** The message of every failed password check, so a client cannot tell the cases apart. */
const LOGIN_FAILED = 'invalid username or password';

/**
 * The lockout alias of a login as `name`: its canonical form, or null for a name no user can
 * have (it can never log in, so counting it would only let a client fill the lockout table).
 */
export function loginAliasOf(name: string): string | null {
  const canonical = canonicalUserName(name);
  return isValidUserName(canonical) ? canonical : null;
}

/**
 * @param dummy the record an unknown user's password is checked against: hashed with the same
 *   parameters as a real one, so an unknown user costs one hash like a known one
 *   (reliability.md A4, CVE-2025-6011).
 */
export function loginPath(
  store: UserStore,
  hasher: PasswordHasher,
  dummy: () => Promise<PasswordHash>,
): PathDefinition {
  const login = async (request: Request, fields: FieldData): Promise<Response> => {
    const name = canonicalUserName(fields.string('username'));
    const password = fields.string('password');
    if (password.length === 0) {
      throw new InvalidRequestError('missing password', { field: 'password' });
    }

    const user = isValidUserName(name) ? await store.get(name) : undefined;
    const matches = await hasher.verify(password, user?.password ?? (await dummy()));
    if (!matches || user === undefined) {
      throw new LoginFailedError(LOGIN_FAILED, loginAliasOf(name));
    }

    // Vault refuses a login from outside the user's token_bound_cidrs outright; the core
    // checks every later use of the token against them too.
    const bound = user.token.boundCidrs;
    if (bound.length > 0 && !addressInCidrs(request.connection.remoteAddress, bound)) {
      throw new PermissionDeniedError({ user: name });
    }

    return { login: { alias: name, token: user.token, metadata: { username: name } } };
  };

  return {
    pattern: 'login/(?<username>[^/]+)',
    fields: {
      username: { type: 'string', description: 'The user name; case does not matter.' },
      password: { type: 'string', description: "The user's password." },
    },
    operations: { update: login },
    synopsis: 'Log in with a user name and password.',
  };
}

/**
 * The token fields a renewal of a login as `renewal.alias` gets: the user's current ones.
 *
 * @throws InvalidRequestError (400) when the user no longer exists, or its policies are no
 *   longer the token's (Vault refuses to renew then, so a policy change takes effect at the
 *   next login rather than being silently ignored).
 */
export async function renewUserLogin(
  store: UserStore,
  renewal: LoginRenewal,
): Promise<TokenFields> {
  const name = canonicalUserName(renewal.metadata.username ?? renewal.alias);
  const user = isValidUserName(name) ? await store.get(name) : undefined;
  if (user === undefined) {
    throw new InvalidRequestError('the user no longer exists; the token cannot be renewed', {
      user: name,
    });
  }
  if (!equivalentPolicies(user.token.policies, renewal.policies)) {
    throw new InvalidRequestError('policies have changed, not renewing', { user: name });
  }
  return user.token;
}

/** Whether two policy lists name the same policies, ignoring case, order and `default`. */
function equivalentPolicies(a: readonly string[], b: readonly string[]): boolean {
  const set = (list: readonly string[]): Set<string> =>
    new Set(list.map((p) => p.trim().toLowerCase()).filter((p) => p !== '' && p !== 'default'));
  const left = set(a);
  const right = set(b);
  return left.size === right.size && [...left].every((policy) => right.has(policy));
}
