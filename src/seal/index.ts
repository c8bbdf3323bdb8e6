/** The Shamir seal: init, unseal progress and seal status. */
export {
  ShamirSeal,
  type InitResult,
  type SealableBarrier,
  type SealStatus,
  type ShamirSealOptions,
} from './shamir-seal.js';
export {
  DEFAULT_SECRET_SHARES,
  DEFAULT_SECRET_THRESHOLD,
  MAX_SECRET_SHARES,
  resolveSealConfig,
  type InitParams,
  type SealConfig,
} from './seal-config.js';
export { combineShares, formatShare, parseShare, shareSize, splitUnsealKey } from './shares.js';
export {
  DuplicateShareError,
  InvalidSealConfigError,
  InvalidShareError,
  SealConfigCorruptError,
  SealError,
  UnsealFailedError,
} from './errors.js';
