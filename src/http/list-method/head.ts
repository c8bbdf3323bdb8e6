/**
 * Parsing and rewriting of one complete HTTP/1.1 request head (the request line and the header
 * section, RFC 9112 §2.1), as the framing tracker buffers it. The parser is deliberately stricter
 * than llhttp: whatever it accepts, llhttp must read with the same framing, so every construct
 * where the two could disagree is refused instead of interpreted.
 *
 * @module
 */
import { FramingError } from './errors.js';

/** How the body of a request is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' };

/** What the tracker needs to know about one request head. */
export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: '1.0' | '1.1';
  readonly framing: BodyFraming;
  /** The connection ends after this request (RFC 9112 §9.3, §9.6). */
  readonly closeAfter: boolean;
}

/**
 * Fields that must not appear in a trailer section: they would change how the message is framed
 * or how the connection is managed after it (RFC 9110 §6.5.1), and llhttp acts on some of them.
 */
const FORBIDDEN_TRAILERS = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'host',
]);

// RFC 9110 §5.6.2 token characters; a request-target is any visible US-ASCII character
// (RFC 9112 §3.2 forms, all made of VCHAR); the protocol version is exactly HTTP/1.0 or HTTP/1.1.
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/1\.([01])$/;
/** A well-formed request line of another HTTP version (0.9 has none; 2 and 3 are not text). */
const OTHER_VERSION = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [\x21-\x7e]+ HTTP\/[0-9]\.[0-9]$/;
const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*(.*?)[\t ]*$/s;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DIGITS = /^[0-9]{1,15}$/;

/**
 * Parses a complete request head. `head` holds the bytes from the first byte of the message
 * (possibly empty lines before the request line, RFC 9112 §2.2) through the CRLF that ends the
 * header section; every line in it ends with CRLF, which the tracker has already checked.
 * `markerName` is the lowercase name of the field the tracker adds to rewritten LIST requests:
 * a client that sends it is refused.
 *
 * @throws FramingError when the head is malformed or its framing is ambiguous.
 */
export function parseRequestHead(head: Buffer, markerName: string): RequestHead {
  const lines = head.toString('latin1').split('\r\n');
  let first = 0;
  while (lines[first] === '') first += 1;

  const line = lines[first] ?? '';
  const requestLine = REQUEST_LINE.exec(line);
  if (requestLine === null) {
    const otherVersion = OTHER_VERSION.test(line);
    throw new FramingError(otherVersion ? 'unsupported-http-version' : 'invalid-request-line');
  }
  const method = requestLine[1] as string;
  const version = requestLine[3] === '0' ? '1.0' : '1.1';
  // CONNECT turns the connection into a tunnel (RFC 9110 §9.3.6); Coffer serves none.
  if (method === 'CONNECT') throw new FramingError('connect-not-served');

  // The split leaves two empty strings after the final CRLF CRLF.
  const fields = parseFieldLines(lines.slice(first + 1, -2));
  const contentLength: string[] = [];
  const transferEncoding: string[] = [];
  const connection = new Set<string>();
  for (const [name, value] of fields) {
    if (name === markerName) throw new FramingError('spoofed-list-marker');
    if (name === 'content-length') contentLength.push(value);
    else if (name === 'transfer-encoding') transferEncoding.push(value);
    else if (name === 'connection') {
      for (const token of value.split(',')) connection.add(token.trim().toLowerCase());
    }
  }

  return {
    method,
    target: requestLine[2] as string,
    version,
    framing: bodyFraming(version, contentLength, transferEncoding),
    closeAfter: connection.has('close') || (version === '1.0' && !connection.has('keep-alive')),
  };
}

/**
 * Checks a trailer section (RFC 9112 §7.1.2): the field lines between the last chunk and the
 * final CRLF, given as the bytes from the first field line through the closing empty line.
 *
 * @throws FramingError when a line is malformed or names a field that must not be a trailer.
 */
export function checkTrailerSection(trailers: Buffer, markerName: string): void {
  const lines = trailers.toString('latin1').split('\r\n');
  for (const [name] of parseFieldLines(lines.slice(0, -2))) {
    if (FORBIDDEN_TRAILERS.has(name) || name === markerName) {
      throw new FramingError('forbidden-trailer-field', { field: name });
    }
  }
}

/**
 * Returns the head with its request line's method `LIST` replaced by `GET` and `markerLine`
 * (a complete field line ending in CRLF) inserted as the first field, and every other byte as
 * received. Empty lines before the request line are kept.
 */
export function rewriteListHead(head: Buffer, markerLine: Buffer): Buffer {
  let start = 0;
  while (head[start] === 0x0d) start += 2;
  const lineEnd = head.indexOf('\r\n', start, 'latin1') + 2;
  return Buffer.concat([
    head.subarray(0, start),
    GET,
    head.subarray(start + LIST_LENGTH, lineEnd),
    markerLine,
    head.subarray(lineEnd),
  ]);
}

const GET = Buffer.from('GET', 'latin1');
const LIST_LENGTH = 'LIST'.length;

/** Splits field lines (RFC 9112 §5) into lowercase names and values without surrounding OWS. */
function parseFieldLines(lines: readonly string[]): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const line of lines) {
    // A line starting with whitespace continues the previous one: obsolete line folding, which
    // a server must reject or replace (RFC 9112 §5.2). llhttp rejects it; so do we.
    if (line.startsWith(' ') || line.startsWith('\t')) throw new FramingError('obs-fold');
    const field = FIELD_LINE.exec(line);
    if (field === null || !FIELD_VALUE.test(field[2] as string)) {
      throw new FramingError('invalid-field-line');
    }
    fields.push([(field[1] as string).toLowerCase(), field[2] as string]);
  }
  return fields;
}

/**
 * Decides the body framing of a request (RFC 9112 §6.3), refusing every case where a recipient
 * could read it two ways (§6.3 rules 3-5, §11.2).
 */
function bodyFraming(
  version: '1.0' | '1.1',
  contentLength: readonly string[],
  transferEncoding: readonly string[],
): BodyFraming {
  if (transferEncoding.length > 0) {
    // Transfer-Encoding with Content-Length is a classic smuggling vector (§6.3 rule 3).
    if (contentLength.length > 0) throw new FramingError('content-length-with-transfer-encoding');
    // HTTP/1.0 has no transfer codings: the framing is faulty (§6.1).
    if (version === '1.0') throw new FramingError('transfer-encoding-in-http-1.0');
    if (transferEncoding.length > 1) throw new FramingError('repeated-transfer-encoding');
    // Only `chunked` alone: any other coding is one Coffer does not implement (§6.1), and a
    // final coding other than chunked leaves the length undeterminable (§6.3 rule 4).
    if ((transferEncoding[0] as string).toLowerCase() !== 'chunked') {
      throw new FramingError('unsupported-transfer-coding');
    }
    return { kind: 'chunked' };
  }
  if (contentLength.length > 1) {
    // §6.3 rule 5 lets identical repeats through, but llhttp refuses any repeat: so do we.
    throw new FramingError('repeated-content-length');
  }
  if (contentLength.length === 1) {
    const value = contentLength[0] as string;
    if (!DIGITS.test(value)) throw new FramingError('invalid-content-length');
    return { kind: 'length', length: Number(value) };
  }
  // A request with neither has no body (§6.3 rule 7).
  return { kind: 'none' };
}
