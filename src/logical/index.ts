/** The contract between the core and every backend: requests, responses, storage, errors. */
export {
  ConflictError,
  InternalError,
  InvalidRequestError,
  LogicalError,
  NoActiveNodeError,
  NotFoundError,
  PermissionDeniedError,
  PreconditionFailedError,
  RateLimitedError,
  StorageConditionFailedError,
  UnsupportedOperationError,
  UnsupportedPathError,
  VaultSealedError,
} from './errors.js';
export {
  LOCAL_CONNECTION,
  makeRequest,
  OPERATIONS,
  type ConnectionInfo,
  type Operation,
  type Request,
  type RequestInit,
} from './request.js';
export {
  dataResponse,
  rawJson,
  withWarning,
  type AuthInfo,
  type LeaseInfo,
  type RawResponse,
  type Response,
  type SecretLease,
  type WrapInfo,
} from './response.js';
export {
  decodeJson,
  encodeJson,
  getJson,
  InmemStorage,
  putJson,
  type Storage,
  type StorageCondition,
  type StorageOp,
} from './storage.js';
export { listChildren } from './list-children.js';
export { asFolder, assertRequestPath } from './paths.js';
export { formatDuration, MAX_DURATION_SECONDS, parseDurationSeconds } from './durations.js';
export {
  FieldData,
  isPlainObject,
  type FieldSchema,
  type FieldSchemas,
  type FieldType,
} from './fields.js';
export {
  PathBackend,
  type Backend,
  type BackendContext,
  type BackendFactory,
  type LeasedSecret,
  type OperationHandler,
  type PathDefinition,
} from './backend.js';
export {
  DEFAULT_TOKEN_FIELDS,
  isCidr,
  LoginFailedError,
  readTokenFields,
  TOKEN_FIELD_SCHEMAS,
  TokenFieldError,
  tokenFieldsData,
  type AuthBackend,
  type AuthMethod,
  type LoginAuth,
  type LoginRenewal,
  type TokenFields,
} from './auth-method.js';
