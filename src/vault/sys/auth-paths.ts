/**
 * The auth method table over the API (vault-api.md §2.1): `sys/auth` (list), `sys/auth/<path>`
 * (read, enable, disable) and `sys/auth/<path>/tune`. Paths are shown without their `auth/`
 * prefix (`userpass/`), as Vault shows them. Disabling a method revokes every token it issued,
 * then deletes its data.
 */
import { NotFoundError } from '../../logical/errors.js';
import type { FieldData, PathDefinition } from '../../logical/index.js';
import { addAuthMount, authMountPath, removeAuthMount, tuneAuthMount } from '../auth-admin.js';
import { mountReport, type MountEntry, type MountTable } from '../mount-table.js';
import { ttlOf, tuneOf, tuneReport } from './mount-paths.js';

/** What the auth paths need from the core. */
export interface AuthPathsHost {
  /** The enabled auth methods, token included. */
  authMounts(): MountEntry[];
  /** The auth method types this node can enable. */
  authTypes(): ReadonlySet<string>;
  /** Replaces the auth table conditionally, as `Core.changeMounts` does the mount table. */
  changeAuthMounts(change: (table: MountTable) => MountTable): Promise<unknown>;
  /** Revokes every token the method issued and deletes its data. */
  retireAuthMount(entry: MountEntry): Promise<void>;
}

const PATH_FIELD = { path: { type: 'string', description: 'The auth method path.' } } as const;

export function authPaths(host: AuthPathsHost): PathDefinition[] {
  const all = async () => {
    const data: Record<string, unknown> = {};
    for (const entry of [...host.authMounts()].sort((a, b) => a.path.localeCompare(b.path))) {
      data[entry.path.slice('auth/'.length)] = authReport(entry);
    }
    return { data, dataAtTopLevel: true };
  };

  const one = async (_request: unknown, fields: FieldData) => ({
    data: authReport(authMountAt(host, fields.string('path'))),
  });

  const enable = async (_request: unknown, fields: FieldData) => {
    const config = fields.map('config');
    await host.changeAuthMounts(
      (table) =>
        addAuthMount(
          table,
          fields.string('path'),
          {
            type: fields.string('type'),
            description: fields.string('description'),
            defaultLeaseTtl: ttlOf(config, 'default_lease_ttl'),
            maxLeaseTtl: ttlOf(config, 'max_lease_ttl'),
            local: fields.bool('local'),
          },
          host.authTypes(),
        ).table,
    );
    return null;
  };

  const disable = async (_request: unknown, fields: FieldData) => {
    let removed: MountEntry | null = null;
    await host.changeAuthMounts((table) => {
      const result = removeAuthMount(table, fields.string('path'));
      if (result === null) return table;
      removed = result.removed;
      return result.table;
    });
    if (removed !== null) await host.retireAuthMount(removed);
    return null;
  };

  const readTune = async (_request: unknown, fields: FieldData) => ({
    data: tuneReport(authMountAt(host, fields.string('path'))),
  });

  const writeTune = async (_request: unknown, fields: FieldData) => {
    const tune = tuneOf(fields);
    await host.changeAuthMounts((table) => tuneAuthMount(table, fields.string('path'), tune));
    return null;
  };

  return [
    { pattern: 'auth', operations: { read: all }, synopsis: 'List the enabled auth methods.' },
    {
      pattern: 'auth/(?<path>.+)/tune',
      fields: {
        ...PATH_FIELD,
        description: { type: 'string', description: 'What the method is for.' },
        default_lease_ttl: { type: 'duration', description: 'Default token TTL.' },
        max_lease_ttl: { type: 'duration', description: 'Maximum token TTL.' },
      },
      operations: { read: readTune, update: writeTune },
      synopsis: 'Read or change the settings of an auth method.',
    },
    {
      pattern: 'auth/(?<path>.+)',
      fields: {
        ...PATH_FIELD,
        type: { type: 'string', description: 'The method type (userpass, approle, cert).' },
        description: { type: 'string', description: 'What the method is for.' },
        config: { type: 'map', description: 'default_lease_ttl, max_lease_ttl.' },
        local: { type: 'bool', description: 'Accepted for compatibility; methods replicate.' },
        seal_wrap: { type: 'bool', description: 'Accepted for compatibility.' },
        options: { type: 'map', description: 'Accepted for compatibility.' },
        plugin_name: { type: 'string', description: 'Accepted for compatibility.' },
      },
      operations: { read: one, update: enable, delete: disable },
      synopsis: 'Read, enable or disable one auth method.',
    },
  ];
}

function authMountAt(host: AuthPathsHost, path: string): MountEntry {
  const mountPath = authMountPath(path);
  const entry = host.authMounts().find((candidate) => candidate.path === mountPath);
  if (entry === undefined) throw new NotFoundError(`no auth method at "${path}"`);
  return entry;
}

/** An auth method as `sys/auth` reports it: a mount's report with `token_type` in its config. */
function authReport(entry: MountEntry): Record<string, unknown> {
  const report = mountReport(entry);
  const config = report.config as Record<string, unknown>;
  return { ...report, config: { ...config, token_type: 'default-service' } };
}
