/**
 * `coffer policy list|read|write|delete|fmt` over `sys/policies/acl` (the path Vault's CLI
 * uses, vault-api.md §2.5); `fmt` works on a local file and never reaches the server.
 */
import { readFile, writeFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { HclShapeError, HclSyntaxError } from '../../util/hcl.js';
import { argString, defineCommand, type Runtime } from '../command-kit.js';
import { LocalError, NotFoundError } from '../errors.js';
import { readArgFile } from '../kv-args.js';
import { formatPolicy } from '../policy-format.js';

export function registerPolicy(policy: Command, runtime: Runtime): void {
  defineCommand(policy, runtime, {
    usage: 'list',
    summary: 'List the ACL policies',
    examples: ['coffer policy list'],
    errorContext: () => 'Error listing policies',
    run: async (ctx) => {
      // Not client.list: a 404 here is a server without policies, not an empty list.
      const secret = await ctx.client.json({ method: 'LIST', path: 'sys/policies/acl/' });
      const keys = Array.isArray(secret?.data?.keys) ? secret.data.keys.map(String) : [];
      ctx.out.print(keys, () => keys.map((key) => `${key}\n`).join(''), { keys });
    },
  });

  defineCommand(policy, runtime, {
    usage: 'read <name>',
    summary: "Print a policy's rules",
    examples: ['coffer policy read default', 'coffer policy read -format=json app'],
    errorContext: (args) => `Error reading policy named ${argString(args, 0)}`,
    run: async (ctx, args) => {
      const name = argString(args, 0);
      const secret = await ctx.client.read(`sys/policies/acl/${name}`);
      if (secret === null) throw new NotFoundError(`No policy named: ${name}`);
      const data = secret.data ?? {};
      const rules = String(data.policy ?? data.rules ?? '');
      ctx.out.print({ name, policy: rules }, () => (rules.endsWith('\n') ? rules : `${rules}\n`));
    },
  });

  defineCommand(policy, runtime, {
    usage: 'write <name> <file>',
    summary: 'Create or replace a policy from a file, or from stdin with "-"',
    examples: ['coffer policy write app app-policy.hcl', 'cat app.hcl | coffer policy write app -'],
    errorContext: (args) => `Error uploading policy ${argString(args, 0)}`,
    run: async (ctx, args) => {
      const name = argString(args, 0).trim().toLowerCase();
      const file = argString(args, 1);
      const rules =
        file === '-'
          ? ((await ctx.io.readStdin?.())?.toString('utf8') ?? '')
          : await readArgFile(file);
      await ctx.client.send({
        method: 'PUT',
        path: `sys/policies/acl/${name}`,
        body: { policy: rules },
      });
      ctx.out.line(`Success! Uploaded policy: ${name}`);
    },
  });

  defineCommand(policy, runtime, {
    usage: 'delete <name>',
    summary: 'Delete a policy (tokens that name it keep the name but lose its rules)',
    examples: ['coffer policy delete app'],
    errorContext: (args) => `Error deleting ${argString(args, 0)}`,
    run: async (ctx, args) => {
      const name = argString(args, 0);
      await ctx.client.delete(`sys/policies/acl/${name}`);
      ctx.out.line(`Success! Deleted policy: ${name}`);
    },
  });

  defineCommand(policy, runtime, {
    usage: 'fmt <file>',
    summary: 'Rewrite an HCL policy file in canonical layout, in place',
    examples: ['coffer policy fmt app-policy.hcl'],
    api: false,
    run: async (ctx, args) => {
      const file = argString(args, 0);
      if (file.endsWith('.json')) {
        throw new LocalError('policy fmt rewrites HCL files; a JSON policy is left as it is');
      }
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (cause) {
        throw new LocalError(`Error opening policy file ${file}`, { cause });
      }
      let formatted: string;
      try {
        formatted = await formatPolicy(file, text);
      } catch (err) {
        if (err instanceof HclSyntaxError || err instanceof HclShapeError) {
          throw new LocalError(`Error parsing policy: ${err.message}`, { cause: err });
        }
        throw err;
      }
      try {
        await writeFile(file, formatted);
      } catch (cause) {
        throw new LocalError(`Error writing policy file ${file}`, { cause });
      }
      ctx.out.line(`Success! Formatted policy: ${file}`);
    },
  });
}
