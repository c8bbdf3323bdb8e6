/** `config`: the mount-wide KV v2 settings (vault-api.md §2.4). */
import {
  InvalidRequestError,
  formatDuration,
  type FieldData,
  type PathDefinition,
  type Response,
} from '../../logical/index.js';
import type { KvStore } from './store.js';

export function configPath(store: KvStore): PathDefinition {
  const read = async (): Promise<Response> => {
    const config = await store.readConfig();
    return {
      data: {
        cas_required: config.cas_required,
        delete_version_after: formatDuration(config.delete_version_after),
        max_versions: config.max_versions,
      },
    };
  };

  /** Changes only the settings the request names. */
  const write = async (_request: unknown, fields: FieldData): Promise<null> => {
    const config = await store.readConfig();
    if (fields.has('max_versions')) {
      const max = fields.int('max_versions');
      if (max < 0) throw new InvalidRequestError('"max_versions" must be 0 or more');
      config.max_versions = max;
    }
    if (fields.has('cas_required')) config.cas_required = fields.bool('cas_required');
    if (fields.has('delete_version_after')) {
      config.delete_version_after = fields.duration('delete_version_after');
    }
    await store.writeConfig(config);
    return null;
  };

  return {
    pattern: 'config',
    fields: {
      max_versions: { type: 'int', description: 'Versions kept per key; 0 means 10.' },
      cas_required: { type: 'bool', description: 'Require check-and-set on every data write.' },
      delete_version_after: {
        type: 'duration',
        description: 'Soft-delete new versions after this long; 0 means never.',
      },
    },
    operations: { read, update: write, create: write },
    synopsis: 'Configure the versioned key/value store.',
  };
}
