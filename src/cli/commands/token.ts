/**
 * `coffer token create|lookup|renew|revoke|capabilities` over `auth/token/*` and
 * `sys/capabilities*` (vault-api.md §2.1, §2.2). Without a token argument each acts on the
 * caller's own token (`*-self`); `-accessor` makes the argument an accessor instead.
 */
import type { Command } from 'commander';

import {
  argOptional,
  defineCommand,
  parseInteger,
  keyValueOption,
  repeatable,
  type Runtime,
} from '../command-kit.js';
import { UsageError } from '../errors.js';
import { readBool } from './flags.js';

interface CreateOptions {
  policy?: string[];
  ttl?: string;
  explicitMaxTtl?: string;
  period?: string;
  renewable: boolean;
  displayName?: string;
  useLimit?: number;
  orphan?: boolean;
  /** False with `-no-default-policy`. */
  defaultPolicy?: boolean;
  metadata?: Record<string, string>;
  role?: string;
  type?: string;
}

export function registerToken(token: Command, runtime: Runtime): void {
  defineCommand<CreateOptions>(token, runtime, {
    usage: 'create',
    summary: 'Create a token, a child of the caller unless -orphan',
    examples: [
      'coffer token create -policy=app -ttl=1h',
      'coffer token create -policy=app -orphan -renewable=false -field=token',
    ],
    options: (command) =>
      command
        .option('--policy <name>', 'a policy to attach (repeat for more)', repeatable)
        .option('--ttl <duration>', 'initial time to live, such as 30m or 1h')
        .option('--explicit-max-ttl <duration>', 'a hard limit renewals cannot pass')
        .option('--period <duration>', 'make a periodic token renewed for this long each time')
        .option('--renewable <bool>', 'whether the token may be renewed', readBool, true)
        .option('--display-name <name>', 'a name shown in audit logs')
        .option('--use-limit <n>', 'uses before the token is revoked', parseInteger)
        .option('--orphan', 'create a token with no parent')
        .option('--no-default-policy', 'do not attach the default policy')
        .option('--metadata <key=value>', 'metadata to attach (repeat for more)', keyValueOption)
        .option('--role <name>', 'create the token through this token role')
        .option('--type <type>', 'service or batch'),
    errorContext: () => 'Error creating token',
    run: async (ctx, _args, options) => {
      const body: Record<string, unknown> = {
        policies: options.policy,
        ttl: options.ttl,
        explicit_max_ttl: options.explicitMaxTtl,
        period: options.period,
        renewable: options.renewable,
        display_name: options.displayName,
        num_uses: options.useLimit,
        no_default_policy: options.defaultPolicy === false,
        meta: options.metadata,
        type: options.type,
      };
      let path = 'auth/token/create';
      if (options.role !== undefined) path = `auth/token/create/${options.role}`;
      else if (options.orphan) path = 'auth/token/create-orphan';
      const secret = await ctx.client.json({ method: 'POST', path, body: withoutUndefined(body) });
      ctx.out.secret(secret ?? {});
    },
  });

  defineCommand<{ accessor?: boolean }>(token, runtime, {
    usage: 'lookup [token]',
    summary: "Print a token's properties (the caller's own when none is given)",
    examples: ['coffer token lookup', 'coffer token lookup -accessor 8609694a-cdbc-db9b-...'],
    options: (command) => command.option('--accessor', 'the argument is an accessor'),
    errorContext: () => 'Error looking up token',
    run: async (ctx, args, options) => {
      const target = argOptional(args, 0);
      const secret = await ctx.client.json(
        target === undefined
          ? { method: 'GET', path: 'auth/token/lookup-self' }
          : options.accessor
            ? { method: 'POST', path: 'auth/token/lookup-accessor', body: { accessor: target } }
            : { method: 'POST', path: 'auth/token/lookup', body: { token: target } },
      );
      ctx.out.secret(secret ?? {});
    },
  });

  defineCommand<{ accessor?: boolean; increment?: string }>(token, runtime, {
    usage: 'renew [token]',
    summary: "Extend a token's lease (the caller's own when none is given)",
    examples: ['coffer token renew', 'coffer token renew -increment=30m hvs.CAES...'],
    options: (command) =>
      command
        .option('--accessor', 'the argument is an accessor')
        .option('--increment <duration>', 'the new time to live asked for'),
    errorContext: () => 'Error renewing token',
    run: async (ctx, args, options) => {
      const target = argOptional(args, 0);
      const increment = options.increment;
      const secret = await ctx.client.json(
        target === undefined
          ? { method: 'PUT', path: 'auth/token/renew-self', body: withoutUndefined({ increment }) }
          : options.accessor
            ? {
                method: 'PUT',
                path: 'auth/token/renew-accessor',
                body: withoutUndefined({ accessor: target, increment }),
              }
            : {
                method: 'PUT',
                path: 'auth/token/renew',
                body: withoutUndefined({ token: target, increment }),
              },
      );
      ctx.out.secret(secret ?? {});
    },
  });

  defineCommand<{ accessor?: boolean; self?: boolean; mode?: string }>(token, runtime, {
    usage: 'revoke [token]',
    summary: 'Revoke a token and, unless -mode=orphan, its children and leases',
    examples: ['coffer token revoke hvs.CAES...', 'coffer token revoke -self'],
    options: (command) =>
      command
        .option('--accessor', 'the argument is an accessor')
        .option('--self', "revoke the caller's own token")
        .option('--mode <mode>', 'orphan: keep the children, as orphans'),
    errorContext: () => 'Error revoking token',
    run: async (ctx, args, options) => {
      const target = argOptional(args, 0);
      if ((options.self === true) === (target !== undefined)) {
        throw new UsageError('Give either a token (or accessor) or -self');
      }
      if (options.mode !== undefined && options.mode !== 'orphan' && options.mode !== '') {
        throw new UsageError('-mode must be "orphan" or empty');
      }
      if (options.self) {
        await ctx.client.send({ method: 'PUT', path: 'auth/token/revoke-self' });
      } else if (options.accessor) {
        await ctx.client.send({
          method: 'PUT',
          path: 'auth/token/revoke-accessor',
          body: { accessor: target },
        });
      } else {
        const path = options.mode === 'orphan' ? 'auth/token/revoke-orphan' : 'auth/token/revoke';
        await ctx.client.send({ method: 'PUT', path, body: { token: target } });
      }
      ctx.out.line('Success! Revoked token (if it existed)');
    },
  });

  defineCommand(token, runtime, {
    usage: 'capabilities <token-or-path> [path]',
    summary: 'Print what a token (the caller\'s own by default) may do on a path',
    examples: [
      'coffer token capabilities secret/data/app',
      'coffer token capabilities hvs.CAES... sys/',
    ],
    errorContext: () => 'Error listing capabilities',
    run: async (ctx, args) => {
      const list = [argOptional(args, 0), argOptional(args, 1)].filter(
        (item): item is string => item !== undefined,
      );
      const path = list[list.length - 1] ?? '';
      const secret =
        list.length === 1
          ? await ctx.client.json({
              method: 'POST',
              path: 'sys/capabilities-self',
              body: { paths: [path] },
            })
          : await ctx.client.json({
              method: 'POST',
              path: 'sys/capabilities',
              body: { token: list[0], paths: [path] },
            });
      const data = secret?.data ?? secret ?? {};
      const raw = data[path] ?? data.capabilities ?? [];
      const capabilities = (Array.isArray(raw) ? raw.map(String) : []).sort();
      ctx.out.print(capabilities, () => `${capabilities.join(', ')}\n`, { capabilities });
    },
  });
}

/** A copy without the keys whose value is undefined, so JSON bodies carry only what was set. */
export function withoutUndefined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
