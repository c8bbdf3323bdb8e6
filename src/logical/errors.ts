/**
 * The API errors that secrets engines, auth methods and the core throw. Each class has a stable
 * `code` and the HTTP status Vault answers with; the HTTP layer maps `code` to a status in one
 * table (src/http/error-map.ts) and never looks at message text. Messages are what a client
 * sees, so they name the problem in Vault's words and never hold a secret value or a token.
 *
 * A handler that rejects a request for a reason the client can fix throws one of the 4xx classes
 * here; anything else it lets escape (a storage failure, a bug) becomes a 500 whose cause is
 * logged and never echoed.
 */
import { CofferError } from '../util/errors.js';

/** Base class of every logical API error. */
export abstract class LogicalError extends CofferError {}

/** Thrown when the request is malformed or its values are refused (400). */
export class InvalidRequestError extends LogicalError {
  readonly code = 'invalid_request';
  readonly httpStatus = 400;

  constructor(
    message: string,
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, fields, options);
    this.name = 'InvalidRequestError';
  }
}

/**
 * Thrown when the token is missing, unknown or expired, or its policies deny the request (403).
 * The message is always the same, so a client cannot tell the cases apart.
 */
export class PermissionDeniedError extends LogicalError {
  readonly code = 'permission_denied';
  readonly httpStatus = 403;

  constructor(fields: Record<string, unknown> = {}) {
    super('permission denied', fields);
    this.name = 'PermissionDeniedError';
  }
}

/** Thrown when no mount or path pattern handles the request path (404). */
export class UnsupportedPathError extends LogicalError {
  readonly code = 'unsupported_path';
  readonly httpStatus = 404;

  constructor(message = 'unsupported path', fields: Record<string, unknown> = {}) {
    super(message, fields);
    this.name = 'UnsupportedPathError';
  }
}

/**
 * Thrown when the item the request names does not exist and the handler has nothing to add
 * (404). With the default empty message the reply is `{"errors":[]}`, as Vault's is.
 */
export class NotFoundError extends LogicalError {
  readonly code = 'not_found';
  readonly httpStatus = 404;

  constructor(message = '', fields: Record<string, unknown> = {}) {
    super(message, fields);
    this.name = 'NotFoundError';
  }
}

/** Thrown when the path exists but does not support the request's operation (405). */
export class UnsupportedOperationError extends LogicalError {
  readonly code = 'unsupported_operation';
  readonly httpStatus = 405;

  constructor(fields: Record<string, unknown> = {}) {
    super('unsupported operation', fields);
    this.name = 'UnsupportedOperationError';
  }
}

/** Thrown when the request conflicts with the current state, e.g. a change in flight (409). */
export class ConflictError extends LogicalError {
  readonly code = 'conflict';
  readonly httpStatus = 409;

  constructor(
    message: string,
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, fields, options);
    this.name = 'ConflictError';
  }
}

/** Thrown when a consistency precondition the client asked for cannot be met yet (412). */
export class PreconditionFailedError extends LogicalError {
  readonly code = 'precondition_failed';
  readonly httpStatus = 412;

  constructor(message: string, fields: Record<string, unknown> = {}) {
    super(message, fields);
    this.name = 'PreconditionFailedError';
  }
}

/** Thrown when a rate limit or quota refuses the request; `retryAfterSeconds` is advisory (429). */
export class RateLimitedError extends LogicalError {
  readonly code = 'rate_limited';
  readonly httpStatus = 429;

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    fields: Record<string, unknown> = {},
  ) {
    super(message, fields);
    this.name = 'RateLimitedError';
  }
}

/**
 * Thrown when a handler meets a state it cannot serve that is not the client's fault (500). The
 * message stays in the logs; the client only ever sees "internal error".
 */
export class InternalError extends LogicalError {
  readonly code = 'internal';
  readonly httpStatus = 500;

  constructor(
    message: string,
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, fields, options);
    this.name = 'InternalError';
  }
}

/** Thrown for every request but the seal and status endpoints while the node is sealed (503). */
export class VaultSealedError extends LogicalError {
  readonly code = 'vault_sealed';
  readonly httpStatus = 503;

  constructor() {
    super('Vault is sealed');
    this.name = 'VaultSealedError';
  }
}

/**
 * Thrown when the request needs the active node (the Raft leader) and none is known, or it could
 * not be reached (503). `retryAfterSeconds` becomes the `Retry-After` header.
 */
export class NoActiveNodeError extends LogicalError {
  readonly code = 'no_active_node';
  readonly httpStatus = 503;

  constructor(
    message = 'no active node is known; retry later',
    readonly retryAfterSeconds = 1,
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, fields, options);
    this.name = 'NoActiveNodeError';
  }
}

/**
 * Thrown by {@link Storage.batch} when the condition of op `index` does not hold; nothing was
 * written. Engines turn it into their own answer (KV v2 retries or reports a check-and-set
 * mismatch); escaping unhandled it is a 409.
 */
export class StorageConditionFailedError extends LogicalError {
  readonly code = 'storage_condition_failed';
  readonly httpStatus = 409;

  constructor(
    readonly index: number,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super('storage condition failed', { index, path }, options);
    this.name = 'StorageConditionFailedError';
  }
}
