/**
 * The mount table over the API: `sys/mounts` (list), `sys/mounts/<path>` (read, enable,
 * disable), `sys/mounts/<path>/tune`, `sys/remount`, and `sys/internal/ui/mounts/<path>`, which
 * the vault CLI's `kv` commands call first to learn a mount's KV version (vault-api.md §2.5).
 *
 * Disabling a mount deletes its data. Moving one (`sys/remount`) keeps its data and its
 * accessor; Vault does it in the background and answers with a migration id, Coffer does it
 * before answering and reports the migration as already successful.
 */
import { randomUUID } from 'node:crypto';

import { InvalidRequestError, NotFoundError } from '../../logical/errors.js';
import type { FieldData, PathDefinition } from '../../logical/index.js';
import { parseDurationSeconds } from '../../logical/durations.js';
import type { Request } from '../../logical/request.js';
import type { Core } from '../core.js';
import { addMount, moveMount, removeMount, tuneMount, type MountTune } from '../mount-admin.js';
import { mountReport, type MountEntry } from '../mount-table.js';
import { Router } from '../router.js';

/** The built-in `sys/` mount as `sys/mounts` reports it. */
const SYSTEM_MOUNT: Record<string, unknown> = {
  type: 'system',
  description: 'system endpoints used for control, policy and debugging',
  accessor: 'system',
  uuid: '',
  config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false },
  options: null,
  local: false,
  seal_wrap: true,
  external_entropy_access: false,
  plugin_version: '',
};

export function mountPaths(core: Core): PathDefinition[] {
  const all = async () => {
    const data: Record<string, unknown> = {};
    for (const entry of [...core.mounts()].sort((a, b) => a.path.localeCompare(b.path))) {
      data[entry.path] = mountReport(entry);
    }
    data['sys/'] = SYSTEM_MOUNT;
    return { data, dataAtTopLevel: true };
  };

  const one = async (_request: unknown, fields: FieldData) => {
    const entry = mountFor(core.mounts(), fields.string('path'), true);
    return { data: mountReport(entry) };
  };

  /** The mount serving a path anywhere below it, with its path: the CLI's KV preflight. */
  const preflight = async (_request: unknown, fields: FieldData) => {
    const entry = mountFor(core.mounts(), fields.string('path'), false);
    return { data: { path: entry.path, ...mountReport(entry) } };
  };

  const enable = async (_request: Request, fields: FieldData) => {
    const config = fields.map('config');
    await core.changeMounts(
      (table) =>
        addMount(
          table,
          fields.string('path'),
          {
            type: fields.string('type'),
            description: fields.string('description'),
            options: stringMap(fields.map('options'), 'options'),
            defaultLeaseTtl: ttlOf(config, 'default_lease_ttl'),
            maxLeaseTtl: ttlOf(config, 'max_lease_ttl'),
            forceNoCache: config.force_no_cache === true,
            local: fields.bool('local'),
            sealWrap: fields.bool('seal_wrap'),
          },
          core.engineTypes(),
        ).table,
    );
    return null;
  };

  const disable = async (_request: unknown, fields: FieldData) => {
    let removed: MountEntry | null = null;
    await core.changeMounts((table) => {
      const result = removeMount(table, fields.string('path'));
      if (result === null) return table;
      removed = result.removed;
      return result.table;
    });
    if (removed !== null) await core.clearMountData(removed);
    return null;
  };

  const readTune = async (_request: unknown, fields: FieldData) => {
    const entry = mountFor(core.mounts(), fields.string('path'), true);
    return { data: tuneReport(entry) };
  };

  const writeTune = async (_request: unknown, fields: FieldData) => {
    const tune: MountTune = {
      ...tuneOf(fields),
      ...(fields.has('options') ? { options: stringMap(fields.map('options'), 'options') } : {}),
    };
    await core.changeMounts((table) => tuneMount(table, fields.string('path'), tune));
    return null;
  };

  const remount = async (_request: unknown, fields: FieldData) => {
    const from = fields.string('from');
    const to = fields.string('to');
    if (from === '' || to === '') throw new InvalidRequestError('"from" and "to" are required');
    await core.changeMounts((table) => moveMount(table, from, to));
    const migrationId = randomUUID();
    migrations.set(migrationId, { from, to });
    return { data: { migration_id: migrationId } };
  };

  const migrationStatus = async (_request: unknown, fields: FieldData) => {
    const migration = migrations.get(fields.string('id'));
    if (migration === undefined) return null;
    return {
      data: {
        migration_id: fields.string('id'),
        migration_info: {
          source_mount: migration.from,
          target_mount: migration.to,
          status: 'success',
        },
      },
    };
  };
  /** Moves this node made, for `sys/remount/status/:id`; they finished before answering. */
  const migrations = new Map<string, { from: string; to: string }>();

  const pathField = { path: { type: 'string', description: 'A mount path.' } } as const;
  const mountFields = {
    ...pathField,
    type: { type: 'string', description: 'The engine type (kv, kv-v2).' },
    description: { type: 'string', description: 'What the mount is for.' },
    config: { type: 'map', description: 'default_lease_ttl, max_lease_ttl, force_no_cache.' },
    options: { type: 'map', description: 'Engine options, e.g. KV version.' },
    local: { type: 'bool', description: 'Accepted for compatibility; mounts replicate.' },
    seal_wrap: { type: 'bool', description: 'Accepted for compatibility.' },
    external_entropy_access: { type: 'bool', description: 'Accepted for compatibility.' },
    plugin_name: { type: 'string', description: 'Accepted for compatibility.' },
  } as const;
  const tuneFields = {
    ...pathField,
    description: { type: 'string', description: 'What the mount is for.' },
    default_lease_ttl: { type: 'duration', description: 'Default lease TTL.' },
    max_lease_ttl: { type: 'duration', description: 'Maximum lease TTL.' },
    options: { type: 'map', description: 'Engine options, e.g. KV version.' },
  } as const;
  return [
    {
      pattern: 'mounts',
      operations: { read: all },
      synopsis: 'List the mounted secrets engines.',
    },
    {
      pattern: 'mounts/(?<path>.+)/tune',
      fields: tuneFields,
      operations: { read: readTune, update: writeTune },
      synopsis: 'Read or change the settings of a mount.',
    },
    {
      pattern: 'mounts/(?<path>.+)',
      fields: mountFields,
      operations: { read: one, update: enable, delete: disable },
      synopsis: 'Read, enable or disable one mount.',
    },
    {
      pattern: 'remount',
      fields: {
        from: { type: 'string', description: 'The mount to move.' },
        to: { type: 'string', description: 'Where to serve it.' },
      },
      operations: { update: remount },
      synopsis: 'Move a mount to another path; its data stays.',
    },
    {
      pattern: 'remount/status/(?<id>.+)',
      fields: { id: { type: 'string', description: 'A migration id.' } },
      operations: { read: migrationStatus },
      synopsis: 'The status of a mount move.',
    },
    {
      pattern: 'internal/ui/mounts/(?<path>.+)',
      fields: pathField,
      operations: { read: preflight },
      synopsis: 'The mount serving a path.',
    },
  ];
}

/** The mount at `path` exactly, or (with `exact` false) the one serving it; 404 otherwise. */
function mountFor(entries: MountEntry[], path: string, exact: boolean): MountEntry {
  const folder = path.endsWith('/') ? path : `${path}/`;
  const found = exact
    ? entries.find((entry) => entry.path === folder)
    : new Router(entries.map((entry) => ({ entry, backend: NO_BACKEND }))).match(path)?.entry;
  if (found === undefined) throw new NotFoundError(`no mount at "${path}"`);
  return found;
}

const NO_BACKEND = { handleRequest: async () => null };

/** The `tune` view of a mount, as Vault reports it. */
export function tuneReport(entry: MountEntry): Record<string, unknown> {
  return {
    description: entry.description,
    default_lease_ttl: entry.config.defaultLeaseTtl,
    max_lease_ttl: entry.config.maxLeaseTtl,
    force_no_cache: entry.config.forceNoCache,
    options: Object.keys(entry.options).length === 0 ? null : entry.options,
  };
}

/** The description and lease TTLs a `tune` request carries; absent fields stay as they are. */
export function tuneOf(fields: FieldData): MountTune {
  return {
    ...(fields.has('description') ? { description: fields.string('description') } : {}),
    ...(fields.has('default_lease_ttl')
      ? { defaultLeaseTtl: fields.duration('default_lease_ttl') }
      : {}),
    ...(fields.has('max_lease_ttl') ? { maxLeaseTtl: fields.duration('max_lease_ttl') } : {}),
  };
}

/** A lease TTL from a mount's `config` map (seconds or a duration string); 0 when absent. */
export function ttlOf(config: Record<string, unknown>, key: string): number {
  const value = config[key];
  return value === undefined || value === null || value === ''
    ? 0
    : parseDurationSeconds(value, `config.${key}`);
}

/** A map whose values must be strings (engine options); numbers and booleans are stringified. */
export function stringMap(value: Record<string, unknown>, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') out[key] = item;
    else if (typeof item === 'number' || typeof item === 'boolean') out[key] = String(item);
    else throw new InvalidRequestError(`invalid value for "${key}" in ${field}: expected a string`);
  }
  return out;
}
