/**
 * `coffer kv get|put|patch|delete|undelete|destroy|list` and `kv metadata get|put|delete`, for
 * KV version 1 and 2 mounts alike; the version comes from the preflight in kv-paths.ts. Paths
 * are given whole (`secret/app`) or relative to `-mount` (`-mount=secret app`).
 */
import type { Command } from 'commander';

import type { Secret } from '../api-client.js';
import {
  argList,
  argString,
  defineCommand,
  parseInteger,
  keyValueOption,
  type CommandContext,
  type Runtime,
} from '../command-kit.js';
import { NotFoundError, UsageError } from '../errors.js';
import { keyValueTable, sectionHeader, sortedEntries } from '../format.js';
import { parseKeyValues } from '../kv-args.js';
import { kvPath, parseVersions, requireV2, resolveKv, type KvTarget } from '../kv-paths.js';
import {
  isObject,
  secretFields,
  secretTable,
  vaultEnvelope,
  warningsText,
} from '../output.js';
import { readBool } from './flags.js';
import { withoutUndefined } from './token.js';

interface MountOption {
  mount?: string;
}

export function registerKv(kv: Command, runtime: Runtime): void {
  const withMount = (command: Command): Command =>
    command.option('--mount <path>', 'the KV mount; the path argument is then relative to it');

  defineCommand<MountOption & { version?: number }>(kv, runtime, {
    usage: 'get <path>',
    summary: 'Read a secret (its latest version, or -version)',
    examples: [
      'coffer kv get secret/app',
      'coffer kv get -mount=secret -version=2 app',
      'coffer kv get -mount=secret -field=password app',
    ],
    options: (command) =>
      withMount(command).option('--version <n>', 'the version to read', parseInteger),
    errorContext: (args) => `Error reading ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const target = await resolveKv(ctx.client, argString(args, 0), options.mount);
      const path = kvPath(target, 'data');
      const query =
        options.version === undefined ? undefined : { version: String(options.version) };
      const secret = await ctx.client.read(path, query);
      if (secret === null) throw new NotFoundError(`No value found at ${path}`);
      printKvSecret(ctx, target, path, secret);
    },
  });

  defineCommand<MountOption & { cas?: number }>(kv, runtime, {
    usage: 'put <path> [data...]',
    summary: 'Write a secret from key=value pairs (a new version on KV v2)',
    examples: [
      'coffer kv put secret/app user=app password=s3cr3t',
      'coffer kv put -mount=secret -cas=1 app password=@password.txt',
      'echo \'{"user":"app"}\' | coffer kv put secret/app -',
    ],
    options: (command) =>
      withMount(command).option(
        '--cas <n>',
        'write only if the current version is n (0: only if new)',
        parseInteger,
      ),
    errorContext: (args) => `Error writing data to ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const data = await parseKeyValues(argList(args, 1), ctx.io);
      if (Object.keys(data).length === 0) throw new UsageError('Must supply data');
      const target = await resolveKv(ctx.client, argString(args, 0), options.mount);
      const path = kvPath(target, 'data');
      if (target.version === 1) {
        const secret = await ctx.client.write(path, data);
        return printWritten(ctx, path, secret);
      }
      const body = { data, options: options.cas === undefined ? {} : { cas: options.cas } };
      printWritten(ctx, path, await ctx.client.write(path, body), true);
    },
  });

  defineCommand<MountOption & { cas?: number; method?: string }>(kv, runtime, {
    usage: 'patch <path> [data...]',
    summary: 'Change some keys of a KV v2 secret, keeping the others',
    examples: [
      'coffer kv patch secret/app password=n3w',
      'coffer kv patch -mount=secret -method=rw app password=n3w',
    ],
    options: (command) =>
      withMount(command)
        .option('--cas <n>', 'patch only if the current version is n', parseInteger)
        .option('--method <method>', 'patch (a merge patch, the default) or rw (read, then write)'),
    errorContext: (args) => `Error writing data to ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const data = await parseKeyValues(argList(args, 1), ctx.io);
      if (Object.keys(data).length === 0) throw new UsageError('Must supply data');
      const target = await resolveKv(ctx.client, argString(args, 0), options.mount);
      requireV2(target, 'kv patch');
      const path = kvPath(target, 'data');
      const method = options.method ?? 'patch';
      if (method === 'patch') {
        const cas = options.cas === undefined ? {} : { cas: options.cas };
        return printWritten(ctx, path, await ctx.client.patch(path, { data, options: cas }), true);
      }
      if (method !== 'rw') throw new UsageError('-method must be patch or rw');
      const current = await ctx.client.read(path);
      const currentData = isObject(current?.data?.data) ? current.data.data : null;
      if (current === null || currentData === null) {
        throw new NotFoundError(`No value found at ${path}`);
      }
      const metadata = isObject(current.data?.metadata) ? current.data.metadata : {};
      const cas = options.cas ?? Number(metadata.version ?? 0);
      const body = { data: { ...currentData, ...data }, options: { cas } };
      printWritten(ctx, path, await ctx.client.write(path, body), true);
    },
  });

  defineCommand<MountOption & { versions?: string }>(kv, runtime, {
    usage: 'delete <path>',
    summary: 'Delete the latest version of a secret (or -versions), recoverably on KV v2',
    examples: ['coffer kv delete secret/app', 'coffer kv delete -mount=secret -versions=1,2 app'],
    options: (command) =>
      withMount(command).option('--versions <list>', 'the versions to delete, such as 1,2'),
    errorContext: (args) => `Error deleting ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const target = await resolveKv(ctx.client, argString(args, 0), options.mount);
      if (target.version === 2 && options.versions !== undefined) {
        const path = kvPath(target, 'delete');
        await ctx.client.write(path, { versions: parseVersions(options.versions) });
        ctx.out.line(`Success! Data deleted (if it existed) at: ${path}`);
        return;
      }
      const path = kvPath(target, 'data');
      await ctx.client.delete(path);
      ctx.out.line(`Success! Data deleted (if it existed) at: ${path}`);
    },
  });

  for (const [name, summary] of [
    ['undelete', 'Restore deleted versions of a KV v2 secret'],
    ['destroy', 'Erase versions of a KV v2 secret for good'],
  ] as const) {
    defineCommand<MountOption & { versions?: string }>(kv, runtime, {
      usage: `${name} <path>`,
      summary,
      examples: [`coffer kv ${name} -versions=2 secret/app`],
      options: (command) =>
        withMount(command).option('--versions <list>', `the versions to ${name}, such as 1,2`),
      errorContext: (args) => `Error writing data to ${argString(args, 0)}`,
      run: async (ctx, args, options) => {
        const versions = parseVersions(options.versions);
        const target = await resolveKv(ctx.client, argString(args, 0), options.mount);
        requireV2(target, `kv ${name}`);
        const path = kvPath(target, name);
        await ctx.client.write(path, { versions });
        ctx.out.line(`Success! Data written to: ${path}`);
      },
    });
  }

  defineCommand<MountOption>(kv, runtime, {
    usage: 'list <path>',
    summary: 'List the keys under a path (folders end in /)',
    examples: ['coffer kv list secret/', 'coffer kv list -mount=secret team'],
    options: withMount,
    errorContext: (args) => `Error listing ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const target = await resolveKv(ctx.client, argString(args, 0), options.mount);
      const path = kvPath(target, 'metadata');
      const secret = await ctx.client.list(path);
      if (secret === null) throw new NotFoundError(`No value found at ${withSlash(path)}`);
      ctx.out.list(secret);
    },
  });

  const metadata = kv.command('metadata').description('Versions and settings of KV v2 secrets');
  registerKvMetadata(metadata, runtime, withMount);
}

function registerKvMetadata(
  metadata: Command,
  runtime: Runtime,
  withMount: (command: Command) => Command,
): void {
  defineCommand<MountOption>(metadata, runtime, {
    usage: 'get <path>',
    summary: "Print a KV v2 secret's settings and the state of each version",
    examples: ['coffer kv metadata get secret/app'],
    options: withMount,
    errorContext: (args) => `Error reading ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const target = await resolveKv(ctx.client, argString(args, 0), options.mount);
      requireV2(target, 'kv metadata get');
      const path = kvPath(target, 'metadata');
      const secret = await ctx.client.read(path);
      if (secret === null) throw new NotFoundError(`No value found at ${path}`);
      ctx.out.print(vaultEnvelope(secret), () => metadataText(path, secret), secretFields(secret));
    },
  });

  interface PutOptions extends MountOption {
    maxVersions?: number;
    casRequired?: boolean;
    deleteVersionAfter?: string;
    customMetadata?: Record<string, string>;
  }
  defineCommand<PutOptions>(metadata, runtime, {
    usage: 'put <path>',
    summary: "Change a KV v2 secret's settings (max versions, CAS, custom metadata)",
    examples: [
      'coffer kv metadata put -max-versions=5 -cas-required=true secret/app',
      'coffer kv metadata put -custom-metadata=owner=team-a secret/app',
    ],
    options: (command) =>
      withMount(command)
        .option('--max-versions <n>', 'versions to keep (0: the default)', parseInteger)
        .option('--cas-required <bool>', 'require -cas on every write', readBool)
        .option('--delete-version-after <duration>', 'delete versions this long after writing')
        .option('--custom-metadata <key=value>', 'a custom metadata entry', keyValueOption),
    errorContext: (args) => `Error writing data to ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const target = await resolveKv(ctx.client, argString(args, 0), options.mount);
      requireV2(target, 'kv metadata put');
      const path = kvPath(target, 'metadata');
      const body = withoutUndefined({
        max_versions: options.maxVersions,
        cas_required: options.casRequired,
        delete_version_after: options.deleteVersionAfter,
        custom_metadata: options.customMetadata,
      });
      await ctx.client.write(path, body);
      ctx.out.line(`Success! Data written to: ${path}`);
    },
  });

  defineCommand<MountOption>(metadata, runtime, {
    usage: 'delete <path>',
    summary: 'Delete a KV v2 secret with every version and its metadata',
    examples: ['coffer kv metadata delete secret/app'],
    options: withMount,
    errorContext: (args) => `Error deleting ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const target = await resolveKv(ctx.client, argString(args, 0), options.mount);
      requireV2(target, 'kv metadata delete');
      const path = kvPath(target, 'metadata');
      await ctx.client.delete(path);
      ctx.out.line(`Success! Data deleted (if it existed) at: ${path}`);
    },
  });
}

/** A read secret: KV v2 shows its path, metadata and data sections; v1 a plain table. */
function printKvSecret(ctx: CommandContext, target: KvTarget, path: string, secret: Secret): void {
  const envelope = vaultEnvelope(secret);
  // A wrapped answer holds only the wrapping token (-wrap-ttl): shown as Vault's plain table.
  if (target.version === 1 || secret.wrap_info) {
    ctx.out.print(envelope, () => secretTable(secret), secretFields(secret));
    return;
  }
  const data = isObject(secret.data?.data) ? secret.data.data : null;
  const metadata = isObject(secret.data?.metadata) ? secret.data.metadata : null;
  ctx.out.print(
    envelope,
    () => {
      const parts = [pathSection('Secret Path', path)];
      if (metadata !== null) parts.push(mapSection('Metadata', metadata));
      if (data !== null) parts.push(mapSection('Data', data));
      return `${warningsText(secret.warnings)}${sections(parts)}`;
    },
    data ?? {},
  );
}

/** After a write: v2 shows the new version's metadata, v1 a success line. */
function printWritten(ctx: CommandContext, path: string, secret: Secret | null, v2 = false): void {
  if (secret?.wrap_info) {
    ctx.out.print(vaultEnvelope(secret), () => secretTable(secret), secretFields(secret));
    return;
  }
  if (!v2 || secret === null) {
    ctx.out.line(`Success! Data written to: ${path}`);
    return;
  }
  const metadata = secret.data ?? {};
  ctx.out.print(
    vaultEnvelope(secret),
    () =>
      `${warningsText(secret.warnings)}${sections([
        pathSection('Secret Path', path),
        mapSection('Metadata', metadata),
      ])}`,
    secretFields(secret),
  );
}

function metadataText(path: string, secret: Secret): string {
  const data = secret.data ?? {};
  const versions = isObject(data.versions) ? data.versions : {};
  const top = Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'versions'));
  const parts = [pathSection('Metadata Path', path), mapSection('Metadata', top)];
  const numbered = Object.entries(versions).sort(([a], [b]) => Number(a) - Number(b));
  for (const [version, raw] of numbered) {
    parts.push(mapSection(`Version ${version}`, isObject(raw) ? raw : {}));
  }
  return sections(parts);
}

/** A titled block of text and the width its header is centred over. */
type Section = readonly [title: string, body: string, width: number];

/** A path under a header as wide as the path. */
function pathSection(title: string, path: string): Section {
  return [title, `${path}\n`, path.length];
}

/**
 * A Key/Value table under a header as wide as Vault makes it: the longest key, the four-space
 * gap and the width of "Value".
 */
function mapSection(title: string, map: Record<string, unknown>): Section {
  const longest = Math.max(3, ...Object.keys(map).map((key) => key.length));
  return [title, keyValueTable(sortedEntries(map)), longest + 4 + 'Value'.length];
}

/** Sections with their centred headers, a blank line between them. */
function sections(parts: readonly Section[]): string {
  return parts.map(([title, body, width]) => `${sectionHeader(title, width)}\n${body}`).join('\n');
}

function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}
