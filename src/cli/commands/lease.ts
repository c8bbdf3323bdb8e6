/**
 * `coffer lease lookup|renew|revoke` over `sys/leases/*` (vault-api.md §2.1, §4).
 */
import type { Command } from 'commander';

import { argString, defineCommand, type Runtime } from '../command-kit.js';
import { UsageError } from '../errors.js';
import { withoutUndefined } from './token.js';

export function registerLease(lease: Command, runtime: Runtime): void {
  defineCommand(lease, runtime, {
    usage: 'lookup <lease-id>',
    summary: "Print a lease's issue and expiry times and its remaining TTL",
    examples: ['coffer lease lookup database/creds/app/AbCd...'],
    errorContext: (args) => `Error looking up lease ${argString(args, 0)}`,
    run: async (ctx, args) => {
      const secret = await ctx.client.json({
        method: 'PUT',
        path: 'sys/leases/lookup',
        body: { lease_id: argString(args, 0) },
      });
      ctx.out.secret(secret ?? {});
    },
  });

  defineCommand<{ increment?: string }>(lease, runtime, {
    usage: 'renew <lease-id>',
    summary: 'Extend a lease, within the limits of its mount and token',
    examples: ['coffer lease renew -increment=1h database/creds/app/AbCd...'],
    options: (command) => command.option('--increment <duration>', 'the new TTL asked for'),
    errorContext: (args) => `Error renewing ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const secret = await ctx.client.json({
        method: 'PUT',
        path: 'sys/leases/renew',
        body: withoutUndefined({ lease_id: argString(args, 0), increment: options.increment }),
      });
      ctx.out.secret(secret ?? {});
    },
  });

  defineCommand<{ prefix?: boolean; force?: boolean; sync?: boolean }>(lease, runtime, {
    usage: 'revoke <lease-id>',
    summary: 'Revoke a lease now, or every lease under a prefix with -prefix',
    examples: [
      'coffer lease revoke database/creds/app/AbCd...',
      'coffer lease revoke -prefix database/creds/app',
    ],
    options: (command) =>
      command
        .option('--prefix', 'revoke every lease whose id starts with the argument')
        .option('--force', 'with -prefix: forget the leases even if their revocation fails')
        .option('--sync', 'wait for the revocation to finish'),
    errorContext: (args) => `Error revoking ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const id = argString(args, 0);
      if (options.force && !options.prefix) throw new UsageError('-force needs -prefix');
      if (options.force) {
        await ctx.client.send({ method: 'PUT', path: `sys/leases/revoke-force/${id}` });
        ctx.out.line(`Success! Force revoked any leases with prefix: ${id}`);
      } else if (options.prefix) {
        await ctx.client.send({
          method: 'PUT',
          path: `sys/leases/revoke-prefix/${id}`,
          body: { sync: options.sync === true },
        });
        ctx.out.line(`Success! Revoked any leases with prefix: ${id}`);
      } else {
        await ctx.client.send({
          method: 'PUT',
          path: 'sys/leases/revoke',
          body: { lease_id: id, sync: options.sync === true },
        });
        ctx.out.line(
          options.sync
            ? `Success! Revoked lease: ${id}`
            : 'All revocation operations queued successfully!',
        );
      }
    },
  });
}
