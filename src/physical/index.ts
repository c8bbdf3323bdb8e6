/** The physical store contract, its errors, its shared rules and the in-memory implementation. */
export type { BatchOp, Condition, DeleteOp, PhysicalStore, PutOp } from './types.js';
export {
  ConditionFailedError,
  InvalidKeyError,
  PhysicalError,
  PhysicalUnavailableError,
} from './errors.js';
export {
  assertValidBatch,
  assertValidKey,
  assertValidPrefix,
  bytesEqual,
  compareKeys,
  conditionHolds,
  listChildren,
  planBatch,
} from './semantics.js';
export { MemoryStore } from './memory-store.js';
export { RaftPhysicalStore } from './raft-store.js';
export { LevelStateMachine } from './state-machine-level.js';
export { MemoryStateMachine } from './state-machine-memory.js';
