/** The audit log: entries, HMAC formatting, the file device with its hash chain, the broker. */
export { AuditBroker } from './broker.js';
export {
  CHAIN_FIELD,
  GENESIS_HASH,
  lineHash,
  verifyAuditChain,
  verifyAuditFile,
  type ChainVerification,
  type VerifyOptions,
} from './chain.js';
export { AuditFailedError } from './errors.js';
export {
  FileAuditDevice,
  type FileAuditDeviceInit,
  type LineSink,
} from './file-device.js';
export { parseFileOptions, type FileDeviceOptions, type FileTarget } from './file-options.js';
export {
  DEFAULT_FORMAT_OPTIONS,
  formatRequest,
  formatResponse,
  type FormatOptions,
} from './format.js';
export { auditRequestInput, auditResponseInput } from './from-logical.js';
export { hashStrings, type StringHasher } from './hash-strings.js';
export {
  AUDIT_DEVICE_TYPES,
  AUDIT_TABLE_KEY,
  AuditManager,
  normalizeAuditPath,
  type AuditManagerOptions,
} from './manager.js';
export { isAuditedPath } from './audited-paths.js';
export { AuditSalt, HMAC_PREFIX, hmacWith, SALT_PATH } from './salt.js';
export type {
  AuditAuthInput,
  AuditDevice,
  AuditEnableConfig,
  AuditRequestEntry,
  AuditRequestInput,
  AuditResponseAuthInput,
  AuditResponseEntry,
  AuditResponseInput,
  AuditTableEntry,
  AuditWrapInfoInput,
} from './types.js';
