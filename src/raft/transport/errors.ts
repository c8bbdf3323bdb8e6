/**
 * Errors of the node-to-node transport. Each has a stable `code` and the HTTP status a forwarded
 * client request should fail with when the error reaches the API layer.
 */

/** The base of every transport error; `fields` carries identifiers such as the peer id. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message, { cause: fields.cause });
    this.name = new.target.name;
  }
}

/** Thrown by a transport constructor when its options are invalid. */
export class TransportConfigError extends TransportError {
  constructor(message: string, fields: Record<string, unknown> = {}) {
    super(message, 'transport_config_invalid', 500, fields);
  }
}

/** Thrown by `request` when the target is not in the current peer set. */
export class UnknownPeerError extends TransportError {
  constructor(peer: string) {
    super('peer is not in the peer set', 'transport_unknown_peer', 503, { peer });
  }
}

/**
 * Thrown by `request` when the request could not be queued, or the connection it travelled on
 * failed before an answer arrived. The peer may or may not have acted on it.
 */
export class PeerUnreachableError extends TransportError {
  constructor(peer: string, reason: string) {
    super('peer is unreachable', 'transport_peer_unreachable', 503, { peer, reason });
  }
}

/** Thrown by `request` when the encoded request does not fit in one frame. */
export class RequestTooLargeError extends TransportError {
  constructor(peer: string, bytes: number) {
    super('request exceeds the frame size limit', 'transport_request_too_large', 413, {
      peer,
      bytes,
    });
  }
}

/** Thrown by `request` when no answer arrived in time. The peer may still act on the request. */
export class RequestTimeoutError extends TransportError {
  constructor(peer: string, timeoutMs: number) {
    super('request to peer timed out', 'transport_request_timeout', 504, { peer, timeoutMs });
  }
}

/**
 * Thrown by `request` when the peer's request handler failed (or it has none). `remoteCode` is
 * the `code` of the peer's error when it had one.
 */
export class RemoteRequestError extends TransportError {
  constructor(
    peer: string,
    readonly remoteCode: string,
    remoteMessage: string,
  ) {
    super(`peer failed the request: ${remoteMessage}`, 'transport_remote_error', 502, {
      peer,
      remoteCode,
    });
  }
}

/** Thrown by `request` once the transport is stopped, or before it started. */
export class TransportStoppedError extends TransportError {
  constructor() {
    super('transport is stopped', 'transport_stopped', 503);
  }
}
