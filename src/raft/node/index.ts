/** The Raft driver: one loop per node around the core, its state machine contract and errors. */
export { RaftNode } from './raft-node.js';
export * from './errors.js';
export { UnknownChannelError } from './request-mux.js';
export type * from './types.js';
