/** `config`: the mount-wide KV v2 settings (vault-api.md §2.4). */
import {
  InvalidRequestError,
  formatDuration,
  parseDurationSeconds,
  type FieldData,
  type PathDefinition,
  type Request,
  type Response,
} from '../../logical/index.js';
import type { KvStore } from './store.js';
import { DELETE_AFTER_DISABLED, type KvConfig } from './types.js';

export function configPath(store: KvStore): PathDefinition {
  const read = async (): Promise<Response> => {
    const config = await store.readConfig();
    return { data: configReport(config) };
  };

  /** Changes only the settings the request names; a request naming none writes nothing. */
  const write = async (request: Request, fields: FieldData): Promise<null> => {
    const changes: Partial<KvConfig> = {};
    if (fields.has('max_versions')) {
      const max = fields.int('max_versions');
      if (max < 0) throw new InvalidRequestError('"max_versions" must be 0 or more');
      changes.max_versions = max;
    }
    if (fields.has('cas_required')) changes.cas_required = fields.bool('cas_required');
    if (fields.has('delete_version_after')) {
      changes.delete_version_after = signedDeleteAfter(request.data.delete_version_after, fields);
    }
    if (Object.keys(changes).length === 0) return null;
    await store.editConfig((config) => Object.assign(config, changes));
    return null;
  };

  return {
    pattern: 'config',
    fields: {
      max_versions: { type: 'int', description: 'Versions kept per key; 0 means 10.' },
      cas_required: { type: 'bool', description: 'Require check-and-set on every data write.' },
      delete_version_after: {
        type: 'duration',
        description:
          'Soft-delete new versions after this long; 0 means never, negative disables it ' +
          'for every key.',
      },
    },
    operations: { read, update: write, create: write },
    // The config always exists (it has defaults), so a write is an update for the ACL, as in
    // Vault, where this path has no existence check.
    existenceCheck: async () => true,
    synopsis: 'Configure the versioned key/value store.',
  };
}

function configReport(config: KvConfig): Record<string, unknown> {
  const deleteAfter = config.delete_version_after;
  return {
    cas_required: config.cas_required,
    delete_version_after:
      deleteAfter === DELETE_AFTER_DISABLED ? '-1s' : formatDuration(deleteAfter),
    max_versions: config.max_versions,
  };
}

/**
 * The config's `delete_version_after`: a negative duration (`-1`, `"-5m"`) switches the feature
 * off for every key, as Vault's config endpoint documents; anything else is a duration.
 */
function signedDeleteAfter(raw: unknown, fields: FieldData): number {
  if (typeof raw === 'number' && raw < 0) return DELETE_AFTER_DISABLED;
  if (typeof raw === 'string' && raw.startsWith('-')) {
    parseDurationSeconds(raw.slice(1), 'delete_version_after');
    return DELETE_AFTER_DISABLED;
  }
  return fields.duration('delete_version_after');
}
