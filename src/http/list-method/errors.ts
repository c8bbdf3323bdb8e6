/**
 * Errors of the LIST-method layer. A {@link FramingError} is what the framing tracker raises when
 * it refuses a connection's bytes; a {@link ListParameterError} is what {@link isListRequest}
 * throws for a `list` query parameter that is not a boolean. Both carry a stable `code` and the
 * HTTP status to answer with.
 *
 * @module
 */

/**
 * Why the tracker refused a request. One value per rule, so logs and tests can tell them apart;
 * clients only ever see the status.
 */
export type FramingFault =
  | 'head-too-large'
  | 'head-timeout'
  | 'invalid-line-ending'
  | 'invalid-request-line'
  | 'unsupported-http-version'
  | 'connect-not-served'
  | 'obs-fold'
  | 'invalid-field-line'
  | 'spoofed-list-marker'
  | 'content-length-with-transfer-encoding'
  | 'repeated-content-length'
  | 'invalid-content-length'
  | 'repeated-transfer-encoding'
  | 'unsupported-transfer-coding'
  | 'transfer-encoding-in-http-1.0'
  | 'invalid-chunk-size'
  | 'chunk-size-too-large'
  | 'invalid-chunk-extension'
  | 'chunk-line-too-long'
  | 'missing-chunk-crlf'
  | 'forbidden-trailer-field'
  | 'trailers-too-large';

/**
 * The `code` of a {@link FramingError}. The first two are the codes Node's HTTP server itself
 * gives an oversized head and a request timeout, so every `clientError` handler (Node's built-in
 * one and fastify's default included) already answers them with 431 and 408; any other code is
 * answered with 400 by those handlers.
 */
export type FramingErrorCode =
  | 'HPE_HEADER_OVERFLOW'
  | 'ERR_HTTP_REQUEST_TIMEOUT'
  | 'ERR_HTTP_BAD_FRAMING';

const STATUS_OF: Record<FramingErrorCode, 400 | 408 | 431> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  ERR_HTTP_BAD_FRAMING: 400,
};

/**
 * Raised when the framing tracker refuses a request: its head is too large or too slow, or its
 * framing is invalid or ambiguous (RFC 9112 §6.3, §11.2). The connection is answered with
 * `httpStatus` and closed; no byte of the refused request reaches the HTTP parser. It reaches the
 * application as the server's `clientError` event, like llhttp's own parse errors.
 */
export class FramingError extends Error {
  readonly code: FramingErrorCode;
  readonly httpStatus: 400 | 408 | 431;

  constructor(
    readonly fault: FramingFault,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(`refused request framing: ${fault}`);
    this.name = 'FramingError';
    this.code = codeOf(fault);
    this.httpStatus = STATUS_OF[this.code];
  }
}

function codeOf(fault: FramingFault): FramingErrorCode {
  if (fault === 'head-too-large' || fault === 'trailers-too-large') return 'HPE_HEADER_OVERFLOW';
  if (fault === 'head-timeout') return 'ERR_HTTP_REQUEST_TIMEOUT';
  return 'ERR_HTTP_BAD_FRAMING';
}

/**
 * Thrown by {@link isListRequest} when a GET request's `list` query parameter is present but is
 * not one of the boolean spellings Vault accepts.
 */
export class ListParameterError extends Error {
  readonly code = 'invalid_list_parameter';
  readonly httpStatus = 400;

  constructor(readonly value: string) {
    super('invalid value for the list query parameter');
    this.name = 'ListParameterError';
  }
}
