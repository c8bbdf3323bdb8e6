/**
 * The KV version 2 secrets engine: versioned secrets with check-and-set, soft delete and
 * per-key metadata, answering with Vault's shapes (vault-api.md §2.4). Paths relative to the
 * mount:
 *
 * | path             | operations                          |
 * |------------------|-------------------------------------|
 * | `config`         | read, update                        |
 * | `data/<key>`     | read (`?version=`), update, patch, delete (soft, latest) |
 * | `metadata/<key>` | read, list, update, delete (all versions) |
 *
 * The engine sees only its mount's storage (see types.ts for the layout).
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
import { KvStore } from './store.js';

/** The mount type KV registers under. */
export const KV_MOUNT_TYPE = 'kv';

/**
 * Builds a KV backend for one mount. The mount's `version` option must be `2` (KV v1 is not
 * served yet): anything else throws `InvalidRequestError`.
 */
export function createKvBackend(context: BackendContext): Backend {
  const version = context.options.version ?? '2';
  if (version !== '2') {
    throw new InvalidRequestError('only version 2 of the kv secrets engine is supported', {
      version,
    });
  }
  const store = new KvStore(context.storage, context.now);
  return new PathBackend([
    configPath(store),
    dataPath(store, context.now),
    metadataPath(store),
  ]);
}
