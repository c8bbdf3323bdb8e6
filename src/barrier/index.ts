/** The security barrier: encrypted storage over the physical store, its keyring and views. */
export { Barrier, type BarrierOptions } from './barrier.js';
export { BarrierView } from './view.js';
export { Keyring, type KeyTerm } from './keyring.js';
export {
  decryptValue,
  encryptValue,
  frameTerm,
  FRAME_VERSION,
  KEY_BYTES,
  OUTSIDE_KEYRING_TERM,
} from './aead.js';
export {
  BarrierAlreadyInitializedError,
  BarrierConditionFailedError,
  BarrierError,
  BarrierNotInitializedError,
  IntegrityError,
  type IntegrityFailure,
  InvalidPathError,
  InvalidUnsealKeyError,
  KeyringConflictError,
  SealedError,
} from './errors.js';
export {
  assertValidPath,
  assertValidPrefix,
  isReservedPath,
  KEYRING_PATH,
  ROOT_KEY_PATH,
  SEAL_CONFIG_PATH,
} from './paths.js';
export type {
  BarrierBatchOp,
  BarrierCondition,
  BarrierDeleteOp,
  BarrierPutOp,
  BarrierStorage,
  KeyStatus,
} from './types.js';
