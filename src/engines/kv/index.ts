/** The KV secrets engine: version 1 (unversioned) and version 2 (versioned secrets). */
export { createKvBackend, KV_MOUNT_TYPE } from './backend.js';
export { mergePatch } from './merge-patch.js';
export { DEFAULT_MAX_VERSIONS, type KeyMetadata, type KvConfig } from './types.js';
