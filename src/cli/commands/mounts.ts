/**
 * `coffer secrets enable|disable|list|move|tune` and `coffer auth enable|disable|list|tune`:
 * the mount tables, through `sys/mounts`, `sys/auth` and `sys/remount` (vault-api.md §2.1).
 * Secrets engines and auth methods share one shape, so both groups are built by one function.
 */
import { setTimeout as delay } from 'node:timers/promises';

import type { Command } from 'commander';

import {
  argString,
  defineCommand,
  keyValueOption,
  type CommandContext,
  type Runtime,
} from '../command-kit.js';
import { ApiError, UsageError } from '../errors.js';
import { formatValue, humanDuration, sortedEntries, table } from '../format.js';
import { isObject } from '../output.js';
import { withSpinner } from '../progress.js';
import { withoutUndefined } from './token.js';

interface Kind {
  /** `secrets` or `auth`: the command group. */
  readonly group: string;
  /** `sys/mounts` or `sys/auth`. */
  readonly table: string;
  /** How success messages name one: `secrets engine`, `auth method`. */
  readonly noun: string;
  readonly exampleType: string;
}

const SECRETS: Kind = {
  group: 'secrets',
  table: 'sys/mounts',
  noun: 'secrets engine',
  exampleType: 'kv',
};
const AUTH: Kind = {
  group: 'auth',
  table: 'sys/auth',
  noun: 'auth method',
  exampleType: 'userpass',
};

interface EnableOptions {
  path?: string;
  description?: string;
  defaultLeaseTtl?: string;
  maxLeaseTtl?: string;
  version?: string;
  options?: Record<string, string>;
  local?: boolean;
  sealWrap?: boolean;
  listingVisibility?: string;
}

export function registerSecrets(secrets: Command, runtime: Runtime): void {
  registerMountCommands(secrets, runtime, SECRETS);

  defineCommand(secrets, runtime, {
    usage: 'move <source> <destination>',
    summary: 'Move a secrets engine, and its data, to a new path',
    examples: ['coffer secrets move secret/ team-secret/'],
    errorContext: () => 'Error moving secrets engine',
    run: async (ctx, args) => {
      const from = mountPath(argString(args, 0));
      const to = mountPath(argString(args, 1));
      const answer = await ctx.client.json({
        method: 'POST',
        path: 'sys/remount',
        body: { from, to },
      });
      const id = answer?.migration_id ?? answer?.data?.migration_id;
      if (typeof id === 'string' && id !== '') {
        await withSpinner(ctx.io, `Moving ${from} to ${to}`, waitForRemount(ctx, id));
      }
      ctx.out.line(`Success! Finished moving secrets engine ${from} to ${to}`);
    },
  });
}

export function registerAuth(auth: Command, runtime: Runtime): void {
  registerMountCommands(auth, runtime, AUTH);
}

function registerMountCommands(group: Command, runtime: Runtime, kind: Kind): void {
  const { noun } = kind;
  defineCommand<EnableOptions>(group, runtime, {
    usage: 'enable <type>',
    summary: `Enable ${kind === SECRETS ? 'a' : 'an'} ${noun} at a path (its type by default)`,
    examples:
      kind === SECRETS
        ? ['coffer secrets enable -path=kv -version=2 kv', 'coffer secrets enable -version=1 kv']
        : ['coffer auth enable userpass', 'coffer auth enable -path=apps approle'],
    options: (command) => {
      command
        .option('--path <path>', 'where to mount it (default: the type)')
        .option('--description <text>', 'a description shown by list')
        .option('--default-lease-ttl <duration>', 'default lease TTL of the mount')
        .option('--max-lease-ttl <duration>', 'maximum lease TTL of the mount')
        .option('--options <key=value>', 'an engine option (repeat for more)', keyValueOption)
        .option('--local', 'do not replicate the mount (accepted, no effect on one cluster)')
        .option('--seal-wrap', 'accepted for compatibility')
        .option('--listing-visibility <mode>', 'unauth or hidden, for the web UI');
      if (kind === SECRETS) {
        command.option('--version <n>', 'KV version, short for -options=version=<n>');
      }
    },
    errorContext: (args) => `Error enabling ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const type = argString(args, 0);
      const path = mountPath(options.path ?? type);
      const mountOptions = { ...options.options };
      if (options.version !== undefined) mountOptions.version = options.version;
      const config = withoutUndefined({
        default_lease_ttl: options.defaultLeaseTtl,
        max_lease_ttl: options.maxLeaseTtl,
        listing_visibility: options.listingVisibility,
      });
      await ctx.client.send({
        method: 'POST',
        path: `${kind.table}/${path}`,
        body: withoutUndefined({
          type,
          description: options.description,
          config,
          options: Object.keys(mountOptions).length > 0 ? mountOptions : undefined,
          local: options.local === true,
          seal_wrap: options.sealWrap === true,
        }),
      });
      ctx.out.line(
        kind === SECRETS
          ? `Success! Enabled the ${type} secrets engine at: ${path}`
          : `Success! Enabled ${type} auth method at: ${path}`,
      );
    },
  });

  defineCommand(group, runtime, {
    usage: 'disable <path>',
    summary: `Disable the ${noun} at a path, deleting everything it holds`,
    examples: [`coffer ${kind.group} disable ${kind.exampleType}/`],
    errorContext: (args) => `Error disabling ${noun} at ${argString(args, 0)}`,
    run: async (ctx, args) => {
      const path = mountPath(argString(args, 0));
      await ctx.client.send({ method: 'DELETE', path: `${kind.table}/${path}` });
      ctx.out.line(`Success! Disabled the ${noun} (if it existed) at: ${path}`);
    },
  });

  defineCommand<{ detailed?: boolean }>(group, runtime, {
    usage: 'list',
    summary: `List the enabled ${noun}s`,
    examples: [`coffer ${kind.group} list`, `coffer ${kind.group} list -detailed`],
    options: (command) => command.option('--detailed', 'show TTLs, options and flags'),
    errorContext: () => `Error listing ${noun}s`,
    run: async (ctx, _args, options) => {
      const mounts = await readMounts(ctx, kind);
      ctx.out.print(mounts, () => mountTable(mounts, options.detailed === true));
    },
  });

  defineCommand<EnableOptions>(group, runtime, {
    usage: 'tune <path>',
    summary: `Change the settings of the ${noun} at a path`,
    examples: [`coffer ${kind.group} tune -max-lease-ttl=72h ${kind.exampleType}/`],
    options: (command) =>
      command
        .option('--description <text>', 'a new description')
        .option('--default-lease-ttl <duration>', 'default lease TTL of the mount')
        .option('--max-lease-ttl <duration>', 'maximum lease TTL of the mount')
        .option('--options <key=value>', 'an engine option (repeat for more)', keyValueOption)
        .option('--listing-visibility <mode>', 'unauth or hidden, for the web UI')
        .option('--version <n>', 'KV version (upgrades v1 to v2)'),
    errorContext: (args) => `Error tuning ${noun} ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const path = mountPath(argString(args, 0));
      const mountOptions = { ...options.options };
      if (options.version !== undefined) mountOptions.version = options.version;
      const body = withoutUndefined({
        description: options.description,
        default_lease_ttl: options.defaultLeaseTtl,
        max_lease_ttl: options.maxLeaseTtl,
        listing_visibility: options.listingVisibility,
        options: Object.keys(mountOptions).length > 0 ? mountOptions : undefined,
      });
      if (Object.keys(body).length === 0) throw new UsageError('Nothing to tune: give a flag');
      await ctx.client.send({ method: 'POST', path: `${kind.table}/${path}tune`, body });
      ctx.out.line(`Success! Tuned the ${noun} at: ${path}`);
    },
  });
}

/** A mount path as the API names it: no leading slash, one trailing slash. */
export function mountPath(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') throw new UsageError('A mount path cannot be empty');
  return `${trimmed}/`;
}

async function readMounts(ctx: CommandContext, kind: Kind): Promise<Record<string, unknown>> {
  const answer = await ctx.client.json({ method: 'GET', path: kind.table });
  // The mounts are in `data`, and copied to the top level too (vault-api.md §1.1).
  const data = answer?.data ?? answer ?? {};
  return Object.fromEntries(sortedEntries(data).filter(([path]) => path.endsWith('/')));
}

function mountTable(mounts: Record<string, unknown>, detailed: boolean): string {
  const rows = sortedEntries(mounts).map(([path, raw]) => {
    const mount = isObject(raw) ? raw : {};
    const config = isObject(mount.config) ? mount.config : {};
    const ttl = (value: unknown): string =>
      typeof value === 'number' && value > 0 ? humanDuration(value) : 'system';
    const base = [path, String(mount.type ?? ''), String(mount.accessor ?? '')];
    const description = String(mount.description ?? '');
    if (!detailed) return [...base, description];
    return [
      ...base,
      ttl(config.default_lease_ttl),
      ttl(config.max_lease_ttl),
      String(mount.local ?? false),
      String(mount.seal_wrap ?? false),
      formatValue(mount.options ?? null),
      description,
    ];
  });
  const header = ['Path', 'Type', 'Accessor'];
  if (detailed) header.push('Default TTL', 'Max TTL', 'Local', 'Seal Wrap', 'Options');
  header.push('Description');
  return table(header, rows);
}

/** Polls `sys/remount/status/<id>` until the move succeeds or fails. */
async function waitForRemount(ctx: CommandContext, id: string): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const status = await ctx.client.json({ method: 'GET', path: `sys/remount/status/${id}` });
    const info = status?.data?.migration_info;
    const state = isObject(info) ? info.status : undefined;
    if (state === 'success') return;
    if (state === 'failure') {
      const url = ctx.client.url(`sys/remount/status/${id}`);
      throw new ApiError('GET', url, 500, ['the move failed']);
    }
    await delay(500);
  }
  throw new UsageError(`The move is still running: check sys/remount/status/${id}`);
}
