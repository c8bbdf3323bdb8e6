/**
 * The KV secrets engine, in the version the mount's `version` option names (vault-api.md §2.4).
 *
 * Version 1 (`version` "1", or no version, as Vault defaults): unversioned secrets, one per path
 * (path-v1.ts).
 *
 * Version 2: versioned secrets with check-and-set, soft delete and per-key metadata, answering
 * with Vault's shapes. Paths relative to the mount:
 *
 * | path             | operations                                                |
 * |------------------|-----------------------------------------------------------|
 * | `config`         | read, update                                              |
 * | `data/<key>`     | read (`?version=`), update, patch, delete (soft, latest)  |
 * | `delete/<key>`   | update `{versions}`: soft-delete those versions           |
 * | `undelete/<key>` | update `{versions}`: restore them                         |
 * | `destroy/<key>`  | update `{versions}`: erase their data                     |
 * | `metadata/<key>` | read, list, update, patch, delete (all versions)          |
 * | `subkeys/<key>`  | read (`?version=`, `?depth=`): the data's keys, no values |
 *
 * Either way the engine sees only its mount's storage (see types.ts for the v2 layout).
 */
import {
  InvalidRequestError,
  PathBackend,
  type Backend,
  type BackendContext,
} from '../../logical/index.js';
import { configPath } from './path-config.js';
import { dataPath } from './path-data.js';
import { metadataPath } from './path-metadata.js';
import { subkeysPath } from './path-subkeys.js';
import { v1Path } from './path-v1.js';
import { versionPaths } from './path-versions.js';
import { KvStore } from './store.js';

/** The mount type KV registers under. */
export const KV_MOUNT_TYPE = 'kv';

/**
 * Builds a KV backend for one mount: version 1 when the mount's `version` option is `1` or
 * absent (or empty), version 2 when it is `2`. Any other version throws `InvalidRequestError`.
 */
export function createKvBackend(context: BackendContext): Backend {
  const version = context.options.version ?? '';
  if (version === '1' || version === '') return new PathBackend([v1Path(context.storage)]);
  if (version !== '2') {
    throw new InvalidRequestError(`unsupported kv version "${version}": expected 1 or 2`, {
      version,
    });
  }

  const store = new KvStore(context.storage, context.now);
  return new PathBackend([
    configPath(store),
    dataPath(store, context.now),
    metadataPath(store),
    subkeysPath(store, context.now),
    ...versionPaths(store, context.now),
  ]);
}
