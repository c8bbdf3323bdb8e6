/**
 * `users`, `users/<name>`, `users/<name>/password`, `users/<name>/policies`: manage the users
 * of a userpass mount (Vault API docs, "Userpass auth method"). Reads never show the password or
 * its hash.
 */
import {
  FieldData,
  InvalidRequestError,
  readTokenFields,
  TOKEN_FIELD_SCHEMAS,
  tokenFieldsData,
  type FieldSchemas,
  type PathDefinition,
  type Request,
  type Response,
  type TokenFields,
} from '../../logical/index.js';
import type { PasswordHasher } from './password.js';
import {
  assertValidUserName,
  canonicalUserName,
  isValidUserName,
  type UserStore,
} from './user-store.js';

const USERNAME = { type: 'string', description: 'The user name; case does not matter.' } as const;

const PASSWORD_HASH = {
  type: 'string',
  description: 'Not supported: send password instead.',
} as const;

const USER_FIELDS: FieldSchemas = {
  username: USERNAME,
  password: { type: 'string', description: 'The password; required when creating a user.' },
  password_hash: PASSWORD_HASH,
  ...TOKEN_FIELD_SCHEMAS,
  ttl: { type: 'duration', description: 'Deprecated: use token_ttl.' },
  max_ttl: { type: 'duration', description: 'Deprecated: use token_max_ttl.' },
  bound_cidrs: { type: 'string-list', description: 'Deprecated: use token_bound_cidrs.' },
};

/** Userpass's own legacy spellings of the token fields, besides the shared ones. */
const LEGACY_NAMES: Readonly<Record<string, string>> = {
  ttl: 'token_ttl',
  max_ttl: 'token_max_ttl',
  bound_cidrs: 'token_bound_cidrs',
};

export function userPaths(store: UserStore, hasher: PasswordHasher): PathDefinition[] {
  const list = async (): Promise<Response> => ({ data: { keys: await store.list() } });

  const read = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const name = nameOf(fields);
    const user = isValidUserName(name) ? await store.get(name) : undefined;
    return user === undefined ? null : { data: userReport(user.token) };
  };

  /** Creates the user (a password is required) or changes what the request names. */
  const write = async (request: Request, fields: FieldData): Promise<null> => {
    const name = nameOf(fields);
    assertValidUserName(name);
    const password = readPassword(fields);
    const hash = password === undefined ? undefined : await hasher.hash(password);
    await store.edit(name, (current) => {
      const stored = hash ?? current?.password;
      if (stored === undefined) {
        throw new InvalidRequestError('missing password', { field: 'password' });
      }
      return { name, password: stored, token: userTokenFields(request, current?.token) };
    });
    return null;
  };

  const remove = async (_request: Request, fields: FieldData): Promise<null> => {
    const name = nameOf(fields);
    if (isValidUserName(name)) await store.delete(name);
    return null;
  };

  const writePassword = async (_request: Request, fields: FieldData): Promise<null> => {
    const name = nameOf(fields);
    const password = readPassword(fields);
    if (password === undefined) {
      throw new InvalidRequestError('missing password', { field: 'password' });
    }
    const hash = await hasher.hash(password);
    await store.edit(name, (current) => ({ ...existing(current), password: hash }));
    return null;
  };

  /** Replaces the user's token policies; sending none clears them, as in Vault. */
  const writePolicies = async (_request: Request, fields: FieldData): Promise<null> => {
    const name = nameOf(fields);
    const policies = fields.has('token_policies')
      ? fields.stringList('token_policies')
      : fields.stringList('policies');
    await store.edit(name, (current) => {
      const user = existing(current);
      const only = new FieldData({ token_policies: policies }, USER_FIELDS);
      return { ...user, token: readTokenFields(only, user.token) };
    });
    return null;
  };

  return [
    {
      pattern: 'users/?',
      operations: { list },
      synopsis: 'List the users of this mount.',
    },
    {
      pattern: 'users/(?<username>[^/]+)/password',
      fields: {
        username: USERNAME,
        password: { type: 'string', description: 'The new password.' },
        password_hash: PASSWORD_HASH,
      },
      operations: { update: writePassword },
      synopsis: "Change a user's password.",
    },
    {
      pattern: 'users/(?<username>[^/]+)/policies',
      fields: {
        username: USERNAME,
        token_policies: { type: 'string-list', description: 'Policies of the tokens issued.' },
        policies: { type: 'string-list', description: 'Deprecated: use token_policies.' },
      },
      operations: { update: writePolicies },
      synopsis: "Replace a user's token policies.",
    },
    {
      pattern: 'users/(?<username>[^/]+)',
      fields: USER_FIELDS,
      operations: { read, create: write, update: write, delete: remove },
      existenceCheck: async (_request, fields) => {
        const name = nameOf(fields);
        return isValidUserName(name) && (await store.get(name)) !== undefined;
      },
      synopsis: 'Create, read, update or delete a user.',
      description:
        'A user has a password (stored only as a salted scrypt hash) and the token_* fields ' +
        'of the tokens its logins receive. The name is case-insensitive.',
    },
  ];
}

function nameOf(fields: FieldData): string {
  return canonicalUserName(fields.string('username'));
}

function existing<T>(current: T | undefined): T {
  if (current === undefined) throw new InvalidRequestError('username does not exist');
  return current;
}

/** The password a write carries, if any; `password_hash` (bcrypt) is refused. */
function readPassword(fields: FieldData): string | undefined {
  if (fields.has('password_hash')) {
    throw new InvalidRequestError('password_hash is not supported: send password instead', {
      field: 'password_hash',
    });
  }
  if (!fields.has('password')) return undefined;
  const password = fields.string('password');
  if (password.length === 0) {
    throw new InvalidRequestError('password cannot be empty', { field: 'password' });
  }
  return password;
}

/**
 * The token fields of a user write over `current`, with userpass's legacy `ttl`, `max_ttl` and
 * `bound_cidrs` standing in for the `token_*` names the request leaves out.
 */
function userTokenFields(request: Request, current: TokenFields | undefined): TokenFields {
  const data: Record<string, unknown> = { ...request.data };
  for (const [legacy, name] of Object.entries(LEGACY_NAMES)) {
    const given = (key: string): boolean => data[key] !== undefined && data[key] !== null;
    if (given(legacy) && !given(name)) data[name] = data[legacy];
  }
  return readTokenFields(new FieldData(data, USER_FIELDS), current);
}

/**
 * A user as a read shows it: the `token_*` fields (durations in seconds) and the legacy
 * `policies`, as in the sample response of Vault's "Read user".
 */
function userReport(token: TokenFields): Record<string, unknown> {
  const { period: _period, bound_cidr_list: _boundCidrList, ...report } = tokenFieldsData(token);
  return report;
}
