/**
 * The built-in `sys/` backend: one path table assembled from the groups of system endpoints.
 * The core decides beforehand which of them need a token or work sealed (special-paths.ts).
 */
import { PathBackend, type Backend } from '../../logical/backend.js';
import type { Core } from '../core.js';
import { keyPaths } from './key-paths.js';
import { mountPaths } from './mount-paths.js';
import { quotaPaths } from './quota-paths.js';
import { raftPaths } from './raft-paths.js';
import { sealPaths } from './seal-paths.js';

export function createSystemBackend(core: Core): Backend {
  return new PathBackend([
    ...sealPaths(core),
    ...keyPaths(core),
    ...mountPaths(core),
    ...quotaPaths(core),
    ...raftPaths(core),
  ]);
}
