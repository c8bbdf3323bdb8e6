/**
 * The built-in `sys/` backend: one path table assembled from the groups of system endpoints.
 * The core decides beforehand which of them need a token or work sealed (special-paths.ts).
 */
import { PathBackend, type Backend } from '../../logical/backend.js';
import type { Core } from '../core.js';
import { auditPaths } from './audit-paths.js';
import { authPaths } from './auth-paths.js';
import { keyPaths } from './key-paths.js';
import { leasePaths } from './lease-paths.js';
import { lockoutPaths } from './lockout-paths.js';
import { policyPaths } from './policy-paths.js';
import { mountPaths } from './mount-paths.js';
import { quotaPaths } from './quota-paths.js';
import { raftPaths } from './raft-paths.js';
import { sealPaths } from './seal-paths.js';
import { wrappingPaths } from './wrapping-paths.js';

export function createSystemBackend(core: Core): Backend {
  return new PathBackend([
    ...sealPaths(core),
    ...keyPaths(core),
    ...mountPaths(core),
    ...authPaths(core),
    ...policyPaths(core),
    ...leasePaths(core),
    ...lockoutPaths(core),
    ...auditPaths({
      list: () => core.auditDevices(),
      enable: (path, config) => core.enableAudit(path, config),
      disable: (path) => core.disableAudit(path),
      hash: (path, input) => core.auditHash(path, input),
    }),
    ...quotaPaths(core),
    ...raftPaths(core),
    ...wrappingPaths(core),
  ]);
}
