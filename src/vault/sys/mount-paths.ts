/**
 * Reading the mount table: `sys/mounts`, `sys/mounts/<path>` and
 * `sys/internal/ui/mounts/<path>`, which the vault CLI's `kv` commands call first to learn a
 * mount's KV version (vault-api.md §2.5). Enabling and disabling mounts comes later.
 */
import { NotFoundError } from '../../logical/errors.js';
import type { FieldData, PathDefinition } from '../../logical/index.js';
import type { Core } from '../core.js';
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

  const pathField = { path: { type: 'string', description: 'A mount path.' } } as const;
  return [
    {
      pattern: 'mounts',
      operations: { read: all },
      synopsis: 'List the mounted secrets engines.',
    },
    {
      pattern: 'mounts/(?<path>.+)',
      fields: pathField,
      operations: { read: one },
      synopsis: 'Read one mount.',
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
