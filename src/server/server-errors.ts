/**
 * Errors of the server process itself: starting from a configuration, and joining a cluster.
 * Errors a client can see through the API are the logical ones (src/logical/errors.ts); these
 * stay in the logs and the exit status.
 */

/** Base class of the server's own errors. */
export abstract class ServerError extends Error {
  abstract readonly code: string;

  constructor(
    message: string,
    readonly fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Thrown by `startServer` when the configuration cannot run a node: a missing `cluster_tls`
 * block, unreadable TLS files, an unusable data directory.
 */
export class ServerStartError extends ServerError {
  readonly code = 'server_start_failed';
}

/**
 * Thrown by a join attempt that failed: the leader was unreachable, refused the node, or answered
 * something that is not a join response. `status` is the HTTP status when there was one.
 */
export class JoinFailedError extends ServerError {
  readonly code = 'join_failed';

  constructor(
    message: string,
    readonly status: number | null,
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, { ...fields, status }, options);
  }
}
