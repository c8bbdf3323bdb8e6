/**
 * The request every secrets engine, auth method and `sys/` handler sees: one operation on one
 * path, with its data already decoded. The HTTP layer builds it from a `/v1/*` call (or a call a
 * standby forwarded); the core hands each backend a copy whose `path` is relative to the mount.
 */

/**
 * What a request does, from its HTTP method (vault-api.md §1.4):
 * GET is `read`, POST and PUT are `update` (the core may turn an update of an absent item into
 * `create` for the ACL), DELETE is `delete`, LIST or GET `?list=true` is `list`, and PATCH is
 * `patch`.
 */
export type Operation = 'read' | 'create' | 'update' | 'delete' | 'list' | 'patch';

export const OPERATIONS: readonly Operation[] = [
  'read',
  'create',
  'update',
  'delete',
  'list',
  'patch',
];

/** What is known about the client's connection. */
export interface ConnectionInfo {
  /** The client's address as the API listener saw it (for a forwarded request, the standby's). */
  readonly remoteAddress: string;
  readonly remotePort?: number;
  /** True when the request arrived over TLS. */
  readonly tls: boolean;
  /**
   * The client certificate chain the TLS handshake received, PEM, leaf first; empty when the
   * client sent none. `peerCertificateVerified` says whether the chain verified against the
   * listener's client CAs; the cert auth method does its own verification either way.
   */
  readonly peerCertificates: readonly string[];
  readonly peerCertificateVerified: boolean;
}

/** A connection that carries nothing: for requests made inside the process and in tests. */
export const LOCAL_CONNECTION: ConnectionInfo = {
  remoteAddress: '127.0.0.1',
  tls: false,
  peerCertificates: [],
  peerCertificateVerified: false,
};

export interface Request {
  /** A UUID, new for each request; it is the envelope's `request_id`. */
  readonly id: string;
  readonly operation: Operation;
  /**
   * The path below `/v1/`, percent-decoded and checked by `assertRequestPath`: no leading `/`, no
   * empty, `.` or `..` segment. A list request's path ends with `/`. Backends see it relative to
   * their mount (`data/app` for `secret/data/app`).
   */
  readonly path: string;
  /** The decoded JSON or form body, or the query parameters of a GET, LIST or DELETE. */
  readonly data: Readonly<Record<string, unknown>>;
  /** The raw body, for the few paths that take bytes rather than JSON (snapshot restore). */
  readonly body?: Uint8Array;
  /** Request headers with lower-case names, without the token headers. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The token from `X-Vault-Token` or `Authorization: Bearer`, if any. Never log it. */
  readonly clientToken: string | undefined;
  readonly connection: ConnectionInfo;
  /** The mount the request was routed to (`secret/`), set by the core's router. */
  readonly mountPoint?: string;
  /** The type of that mount (`kv`, `system`), set by the router. */
  readonly mountType?: string;
  /**
   * True when the caller's policies grant `sudo` on this path (or the caller is root), set by
   * the core after its ACL check. Handlers use it for the options only sudo may set (a token's
   * `period` or `no_parent`).
   */
  readonly sudo?: boolean;
  /** The TTL in seconds the client asked its response to be wrapped for (`X-Vault-Wrap-TTL`). */
  readonly wrapTtl?: number;
  /**
   * The salted hashed id of the caller's service token (never the token itself), set by the core
   * after its token check and undefined for batch tokens and unauthenticated requests. The
   * cubbyhole engine keys each token's private storage on it. A client cannot set it: the core
   * overwrites whatever the request carried.
   */
  readonly tokenHashedId?: string;
}

/** Fields of {@link Request} a caller may leave out of {@link makeRequest}. */
export type RequestInit = Pick<Request, 'operation' | 'path'> & Partial<Request>;

/**
 * A request with defaults for what `init` leaves out: a fresh id, empty data and headers, no
 * token, the local connection. For in-process callers and tests; the HTTP layer sets every field.
 */
export function makeRequest(init: RequestInit, newId: () => string): Request {
  return {
    ...init,
    id: init.id ?? newId(),
    data: init.data ?? {},
    headers: init.headers ?? {},
    clientToken: init.clientToken,
    connection: init.connection ?? LOCAL_CONNECTION,
  };
}
