/**
 * Errors only the HTTP layer raises: problems with the HTTP request itself rather than with
 * the logical request it carries. Each has a stable `code` mapped in error-map.ts.
 */

import { CofferError } from '../util/errors.js';

/** Base class of the HTTP layer's own errors. */
export abstract class HttpError extends CofferError {}

/** Thrown for a PATCH whose `Content-Type` is not `application/merge-patch+json` (415). */
export class UnsupportedMediaTypeError extends HttpError {
  readonly code = 'unsupported_media_type';
  readonly httpStatus = 415;

  constructor(expected: string) {
    super(`PATCH requires Content-Type ${expected}`, { expected });
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** Thrown for an HTTP method Vault's API does not have, or HEAD outside `sys/health` (405). */
export class MethodNotAllowedError extends HttpError {
  readonly code = 'method_not_allowed';
  readonly httpStatus = 405;

  constructor(method: string) {
    super('unsupported operation', { method });
    this.name = 'MethodNotAllowedError';
  }
}

/**
 * Thrown when a standby could not get an answer from the leader for a forwarded request (503,
 * with `Retry-After`). A forwarded write may or may not have been applied.
 */
export class ForwardingFailedError extends HttpError {
  readonly code = 'forwarding_failed';
  readonly httpStatus = 503;
  readonly retryAfterSeconds = 1;

  constructor(options?: { cause?: unknown }) {
    super('failed to forward the request to the active node', {}, options);
    this.name = 'ForwardingFailedError';
  }
}
