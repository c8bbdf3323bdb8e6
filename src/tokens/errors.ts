/**
 * Errors of the token store beyond the logical ones (src/logical/errors.ts). Each has a stable
 * `code` and an HTTP status, mapped in src/http/error-map.ts.
 */
import { LogicalError } from '../logical/errors.js';

/**
 * Thrown when a stored token record (salt, batch key, entry, index) cannot be decoded: storage
 * damage or a format this version does not know (500, never echoed).
 */
export class TokenStateCorruptError extends LogicalError {
  readonly code = 'token_state_corrupt';
  readonly httpStatus = 500;

  constructor(path: string, options?: { cause?: unknown }) {
    super(`the stored token record at ${path} is unreadable`, { path }, options);
    this.name = 'TokenStateCorruptError';
  }
}

/**
 * Thrown when a token record kept changing under a conditional write, retry after retry: other
 * nodes are updating the same token faster than this one can (503, the client may retry).
 */
export class TokenContentionError extends LogicalError {
  readonly code = 'token_contention';
  readonly httpStatus = 503;

  constructor(operation: string) {
    super('the token is being updated concurrently; retry the request', { operation });
    this.name = 'TokenContentionError';
  }
}
