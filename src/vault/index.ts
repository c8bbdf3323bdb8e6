/** The core: seal lifecycle, token check, mount routing, `sys/` endpoints and cluster access. */
export {
  Core,
  type CoreOptions,
  type ForwardingDecision,
  type InitRequest,
  type InitResponse,
  type SealStatusReport,
} from './core.js';
export type {
  ClusterControl,
  ForwardedRequest,
  ForwardedResponse,
  JoinAnswer,
  JoinChallenge,
  JoinParams,
  JoinResult,
  LeaderInfo,
  RaftConfiguration,
  RaftServer,
} from './cluster.js';
export { SingleNodeCluster, type SingleNodeClusterOptions } from './single-node-cluster.js';
export { ClusterUnsupportedError, CoreStateCorruptError, InitOptionsError } from './errors.js';
export { pathTraits, type PathTraits } from './special-paths.js';
export { newUuid } from './uuid.js';
export type { ClusterIdentity } from './cluster-identity.js';
export type { MountEntry, MountTable } from './mount-table.js';
export { COFFER_VERSION, REPORTED_VERSION, VAULT_API_VERSION } from './version.js';
export {
  AutopilotTracker,
  DEFAULT_AUTOPILOT_LIMITS,
  formatGoDuration,
  type AutopilotLimits,
  type AutopilotObservation,
  type AutopilotServer,
  type AutopilotState,
} from './autopilot.js';
