/**
 * `coffer login`: authenticates with an auth method and stores the token in the token helper
 * (`~/.vault-token`, mode 0600) for later commands. Methods: `token` (checks the token with
 * `auth/token/lookup-self`), `userpass` (`auth/<path>/login/<username>`), `approle` and `cert`
 * (`auth/<path>/login`), and any other method by the same `login` path with `key=value` data.
 */
import type { Command } from 'commander';

import type { Secret, SecretAuth } from '../api-client.js';
import {
  argList,
  defineCommand,
  readSecretInput,
  type CommandContext,
  type Runtime,
} from '../command-kit.js';
import { UsageError } from '../errors.js';
import { parseKeyValues } from '../kv-args.js';
import { secretFields, secretTable, vaultEnvelope } from '../output.js';
import { envValue } from '../settings.js';
import { writeTokenHelper } from '../token-helper.js';

interface LoginOptions {
  method: string;
  path?: string;
  /** False with `-no-store`. */
  store?: boolean;
  tokenOnly?: boolean;
}

export function registerLogin(program: Command, runtime: Runtime): void {
  defineCommand<LoginOptions>(program, runtime, {
    usage: 'login [args...]',
    summary: 'Authenticate and store the token for later commands',
    examples: [
      'coffer login',
      'coffer login -method=userpass username=alice',
      'coffer login -method=approle role_id=... secret_id=...',
      'coffer login -method=cert -client-cert=alice.pem -client-key=alice-key.pem',
    ],
    options: (command) =>
      command
        .option('--method <method>', 'token, userpass, approle, cert or another method', 'token')
        .option('--path <path>', 'the mount path of the auth method (default: its name)')
        .option('--no-store', 'do not store the token in the token helper')
        .option('--token-only', 'print only the token, and do not store it'),
    errorContext: () => 'Error authenticating',
    run: async (ctx, args, options) => {
      const secret = await authenticate(ctx, argList(args, 0), options);
      const auth = secret.auth;
      if (!auth?.client_token) throw new UsageError('The server returned no token');

      const store = options.store !== false && options.tokenOnly !== true;
      if (store) writeTokenHelper(ctx.env, auth.client_token);
      if (options.tokenOnly) {
        ctx.out.write(ctx.io.stdoutIsTty === true ? `${auth.client_token}\n` : auth.client_token);
        return;
      }
      if (store && envValue(ctx.env, 'TOKEN') !== undefined) {
        ctx.io.stderr(
          'WARNING! VAULT_TOKEN (or COFFER_TOKEN) is set: it takes precedence over the ' +
            'stored token until you unset it.\n\n',
        );
      }
      ctx.out.print(
        vaultEnvelope(secret),
        () => `${banner(store)}\n\n${secretTable(secret)}`,
        secretFields(secret),
      );
    },
  });
}

async function authenticate(
  ctx: CommandContext,
  args: string[],
  options: LoginOptions,
): Promise<Secret> {
  const method = options.method;
  const mount = (options.path ?? method).replace(/^\/+|\/+$/g, '');

  if (method === 'token') {
    const positional = args.filter((arg) => !arg.includes('=') || arg === '-');
    const data = await parseKeyValues(
      args.filter((arg) => arg.includes('=')),
      ctx.io,
    );
    let token = typeof data.token === 'string' ? data.token : positional[0];
    if (token === '-' || token === undefined) {
      token = await readSecretInput(ctx.io, 'Token (will be hidden): ');
    }
    if (token === '') throw new UsageError('No token given');
    return tokenLogin(ctx, token);
  }

  const data = await parseKeyValues(args, ctx.io);
  if (method === 'userpass' || method === 'ldap') {
    const username = typeof data.username === 'string' ? data.username : '';
    if (username === '') throw new UsageError('Missing username: pass username=<name>');
    if (data.password === undefined) {
      data.password = await readSecretInput(ctx.io, 'Password (will be hidden): ');
    }
    const { username: _omitted, ...body } = data;
    return loginAt(ctx, `auth/${mount}/login/${username}`, body);
  }
  return loginAt(ctx, `auth/${mount}/login`, data);
}

async function loginAt(ctx: CommandContext, path: string, body: unknown): Promise<Secret> {
  const secret = await ctx.client.json({ method: 'POST', path, body, unauthenticated: true });
  return secret ?? {};
}

/** A token login: the token is checked with lookup-self and shown as an auth block. */
async function tokenLogin(ctx: CommandContext, token: string): Promise<Secret> {
  const lookup = await ctx.client.json({ method: 'GET', path: 'auth/token/lookup-self', token });
  const data = lookup?.data ?? {};
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
  const auth: SecretAuth = {
    client_token: token,
    accessor: String(data.accessor ?? ''),
    policies: list(data.policies),
    token_policies: list(data.policies),
    identity_policies: list(data.identity_policies),
    metadata: (data.meta as Record<string, string> | null) ?? null,
    lease_duration: Number(data.ttl ?? 0),
    renewable: data.renewable === true,
  };
  return { ...lookup, data: null, auth };
}

function banner(stored: boolean): string {
  return stored
    ? 'Success! You are now authenticated. The token below is stored in the token helper\n' +
        '(~/.vault-token): later commands use it, no need to log in again.'
    : 'Success! You are now authenticated. The token below was not stored: pass it to later\n' +
        'commands in VAULT_TOKEN.';
}
