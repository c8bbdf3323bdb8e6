/**
 * `coffer read|write|list|delete <path>` for any API path, and `coffer unwrap`: the generic
 * commands, for engines and endpoints that have no command of their own.
 */
import type { Command } from 'commander';

import {
  argList,
  argOptional,
  argString,
  defineCommand,
  type Runtime,
} from '../command-kit.js';
import { NotFoundError, UsageError } from '../errors.js';
import { parseKeyValues } from '../kv-args.js';

export function registerGeneric(program: Command, runtime: Runtime): void {
  defineCommand(program, runtime, {
    usage: 'read <path> [query...]',
    summary: 'Read any path; key=value arguments become query parameters',
    examples: ['coffer read secret/data/app', 'coffer read -field=policy sys/policies/acl/default'],
    errorContext: (args) => `Error reading ${argString(args, 0)}`,
    run: async (ctx, args) => {
      const path = trimPath(argString(args, 0));
      const query = await parseKeyValues(argList(args, 1), ctx.io);
      const secret = await ctx.client.read(path, stringValues(query));
      if (secret === null) throw new NotFoundError(`No value found at ${path}`);
      ctx.out.secret(secret);
    },
  });

  defineCommand<{ force?: boolean }>(program, runtime, {
    usage: 'write <path> [data...]',
    summary: 'Write to any path: key=value, key=@file, key=- (stdin), or - for a JSON object',
    examples: [
      'coffer write auth/userpass/users/alice password=@alice-password.txt policies=app',
      'coffer write sys/policies/acl/app policy=@app.hcl',
      'echo \'{"data":{"user":"app"}}\' | coffer write secret/data/app -',
    ],
    options: (command) => command.option('-f, --force', 'write even with no data'),
    errorContext: (args) => `Error writing data to ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const path = trimPath(argString(args, 0));
      const data = await parseKeyValues(argList(args, 1), ctx.io);
      if (Object.keys(data).length === 0 && options.force !== true) {
        throw new UsageError('Must supply data or use -force');
      }
      const secret = await ctx.client.write(path, data);
      if (secret === null) {
        ctx.out.line(`Success! Data written to: ${path}`);
        return;
      }
      ctx.out.secret(secret);
    },
  });

  defineCommand(program, runtime, {
    usage: 'list <path>',
    summary: 'List the keys under any path (sent as the LIST method)',
    examples: ['coffer list secret/metadata/', 'coffer list sys/policies/acl'],
    errorContext: (args) => `Error listing ${argString(args, 0)}`,
    run: async (ctx, args) => {
      const path = trimPath(argString(args, 0));
      const secret = await ctx.client.list(path);
      if (secret === null) {
        throw new NotFoundError(`No value found at ${path.endsWith('/') ? path : `${path}/`}`);
      }
      ctx.out.list(secret);
    },
  });

  defineCommand(program, runtime, {
    usage: 'delete <path>',
    summary: 'Delete any path',
    examples: ['coffer delete secret/data/app', 'coffer delete sys/policies/acl/app'],
    errorContext: (args) => `Error deleting ${argString(args, 0)}`,
    run: async (ctx, args) => {
      const path = trimPath(argString(args, 0));
      const secret = await ctx.client.delete(path);
      if (secret === null) {
        ctx.out.line(`Success! Data deleted (if it existed) at: ${path}`);
        return;
      }
      ctx.out.secret(secret);
    },
  });

  defineCommand(program, runtime, {
    usage: 'unwrap [token]',
    summary: 'Print the response a wrapping token holds (the current token when none given)',
    examples: ['coffer unwrap hvs.CAES...', 'VAULT_TOKEN=hvs.CAES... coffer unwrap'],
    errorContext: () => 'Error unwrapping',
    run: async (ctx, args) => {
      const wrapping = argOptional(args, 0);
      // Without an argument the wrapping token is the client token itself, as in Vault.
      const secret = await ctx.client.json(
        wrapping === undefined
          ? { method: 'POST', path: 'sys/wrapping/unwrap' }
          : { method: 'POST', path: 'sys/wrapping/unwrap', body: { token: wrapping } },
      );
      if (secret === null) throw new NotFoundError('No value found in the wrapped response');
      ctx.out.secret(secret);
    },
  });
}

function trimPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  if (trimmed === '') throw new UsageError('A path is required');
  return trimmed;
}

function stringValues(data: Record<string, unknown>): Record<string, string> | undefined {
  const entries = Object.entries(data);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([key, value]) => [key, String(value)]));
}
