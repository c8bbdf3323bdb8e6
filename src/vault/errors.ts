/**
 * Errors of the core beyond the logical ones (src/logical/errors.ts). Each has a stable `code`
 * and an HTTP status, mapped in src/http/error-map.ts.
 */
import { LogicalError } from '../logical/errors.js';

/**
 * Thrown by a {@link ClusterControl} that cannot do a cluster operation at all: a node without
 * integrated storage asked to join, take a snapshot or issue a join challenge (400).
 */
export class ClusterUnsupportedError extends LogicalError {
  readonly code = 'cluster_unsupported';
  readonly httpStatus = 400;

  constructor(operation: string) {
    super(`${operation} is not available on a node without integrated storage`, { operation });
    this.name = 'ClusterUnsupportedError';
  }
}

/**
 * Thrown when a stored core record (mount table, token entry, cluster identity) cannot be
 * decoded: storage damage or a format this version does not know (500, never echoed).
 */
export class CoreStateCorruptError extends LogicalError {
  readonly code = 'core_state_corrupt';
  readonly httpStatus = 500;

  constructor(path: string, options?: { cause?: unknown }) {
    super(`the stored record at ${path} is unreadable`, { path }, options);
    this.name = 'CoreStateCorruptError';
  }
}

/** Thrown by `Core.initialize` when `sys/init` carries options this seal cannot honour (400). */
export class InitOptionsError extends LogicalError {
  readonly code = 'invalid_init_options';
  readonly httpStatus = 400;

  constructor(message: string) {
    super(message);
    this.name = 'InitOptionsError';
  }
}

/**
 * Thrown on a follower serving a read itself (DESIGN.md "The read path") when the handler tries
 * to write: nothing has been written, and the HTTP layer forwards the whole request to the
 * leader instead. If it escapes (a request that was already forwarded), it is a 503.
 */
export class ForwardRequiredError extends LogicalError {
  readonly code = 'forward_required';
  readonly httpStatus = 503;

  constructor() {
    super('this request writes and must be served by the leader');
    this.name = 'ForwardRequiredError';
  }
}
