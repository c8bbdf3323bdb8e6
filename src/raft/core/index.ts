/** The Raft core's public surface. */
export { Raft, applyChange } from './raft.js';
export { resolveOptions, RaftConfigError } from './config.js';
export type { RaftOptions } from './config.js';
export * from './errors.js';
export type * from './types.js';
