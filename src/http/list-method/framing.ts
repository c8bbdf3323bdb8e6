/**
 * The HTTP/1.1 framing tracker: a streaming state machine that sits between a connection and
 * Node's HTTP parser (llhttp) and follows the same message boundaries llhttp follows.
 *
 * Why it exists: Vault clients list with the method `LIST` (`LIST /v1/secret/metadata/`), and
 * llhttp only knows a fixed set of methods, so Node answers 400 before any handler runs. The
 * tracker buffers each request head (bounded), rewrites a request line whose method is exactly
 * `LIST` into `GET` plus a marker field that the server turns back into `LIST` before routing,
 * and passes every other byte through unchanged and streamed. To know where the next request
 * head starts it must skip each body exactly as llhttp does (RFC 9112 §6.3: Content-Length, or
 * chunked Transfer-Encoding with chunk extensions and trailers, §7.1). If the two ever disagreed
 * about where a request ends, a body could be rewritten as if it were a request, or the reverse:
 * request smuggling (RFC 9112 §11.2). So every input whose framing is invalid or ambiguous is
 * refused, and nothing after the refused point ever reaches llhttp.
 *
 * Output contract: {@link RequestFramer.push} returns chunks that each lie within one request.
 * Node's server hands each chunk to llhttp in one call, and when a request carries `Upgrade`
 * (which Node ignores without an `upgrade` listener) it drops the rest of that call's bytes; a
 * chunk never holding the start of the next request keeps that drop empty.
 *
 * @module
 */
import { InvariantError } from '../../util/assert.js';
import { FramingError } from './errors.js';
import { checkTrailerSection, parseRequestHead, rewriteListHead } from './head.js';
import type { RequestHead } from './head.js';
import { SectionCollector } from './section.js';

/** What a {@link RequestFramer} needs to know. */
export interface FramerOptions {
  /**
   * The largest request head accepted, in bytes (request line, fields, empty lines before the
   * request line, line endings). A larger one is refused with 431. The same bound applies to
   * each chunk-size line and to a trailer section.
   */
  readonly maxHeadBytes: number;
  /** The lowercase name of the marker field; a client sending it is refused. */
  readonly markerName: string;
  /** The complete marker field line, CRLF included, added to rewritten LIST requests. */
  readonly markerLine: Buffer;
  /** Told of each request as its head is passed on (for tracing and tests). */
  readonly onRequest?: (request: RequestHead) => void;
}

/** What one {@link RequestFramer.push} produced. */
export interface FramerOutput {
  /** Bytes for the HTTP parser, in order; each lies within one request. */
  readonly chunks: Buffer[];
  /** Set when the input was refused; the connection must answer it and close. */
  readonly fault?: FramingError;
}

const CR = 0x0d;
const LF = 0x0a;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** RFC 9110 §5.6.2 tchar, RFC 9110 §5.6.4 qdtext and quoted-pair octets, hex digit values. */
const TCHAR = octetSet((b) => /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(String.fromCharCode(b)));
const QDTEXT = octetSet(
  (b) => b === 0x09 || b === 0x20 || b === 0x21 || (b >= 0x23 && b !== 0x5c && b !== 0x7f),
);
const QUOTED_PAIR = octetSet((b) => b === 0x09 || (b >= 0x20 && b !== 0x7f));
const HEX = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d += 1) {
  HEX[d.toString(16).charCodeAt(0)] = d;
  HEX[d.toString(16).toUpperCase().charCodeAt(0)] = d;
}

/** Where the tracker is within the request stream. */
type Phase =
  | 'head'
  | 'length-body'
  | 'chunk-size-first'
  | 'chunk-size'
  | 'chunk-ext-name-first'
  | 'chunk-ext-name'
  | 'chunk-ext-value-first'
  | 'chunk-ext-token'
  | 'chunk-ext-quoted'
  | 'chunk-ext-quoted-pair'
  | 'chunk-ext-after-quoted'
  | 'chunk-size-lf'
  | 'chunk-data'
  | 'chunk-data-cr'
  | 'chunk-data-lf'
  | 'trailers'
  | 'closed'
  | 'refused';

/** Phases whose bytes pass through as they are validated (the trailer section is held). */
const BODY_PHASES: ReadonlySet<Phase> = new Set<Phase>([
  'length-body',
  'chunk-size-first',
  'chunk-size',
  'chunk-ext-name-first',
  'chunk-ext-name',
  'chunk-ext-value-first',
  'chunk-ext-token',
  'chunk-ext-quoted',
  'chunk-ext-quoted-pair',
  'chunk-ext-after-quoted',
  'chunk-size-lf',
  'chunk-data',
  'chunk-data-cr',
  'chunk-data-lf',
]);

/**
 * Follows the requests of one connection. Feed it every byte the client sends, in order, with
 * {@link push}; hand the returned chunks to the HTTP parser. It is pure: no I/O and no timers.
 */
export class RequestFramer {
  #phase: Phase = 'head';
  #request: RequestHead | null = null;
  /** Body bytes still to pass: of the Content-Length body, or of the current chunk's data. */
  #remaining = 0;
  #chunkSize = 0;
  #chunkLineBytes = 0;
  readonly #head: SectionCollector;
  readonly #trailers: SectionCollector;

  constructor(readonly options: FramerOptions) {
    this.#head = new SectionCollector(options.maxHeadBytes, true, 'head-too-large');
    this.#trailers = new SectionCollector(options.maxHeadBytes, false, 'trailers-too-large');
  }

  /**
   * True while part of a request head has arrived but not all of it (the connection times this,
   * since llhttp sees nothing of a head until it is complete). Empty lines alone do not count.
   */
  get awaitingHead(): boolean {
    return this.#phase === 'head' && this.#head.started;
  }

  /**
   * True once a request asked to close the connection and has been passed through whole: every
   * later byte is discarded (RFC 9112 §9.6), because llhttp would refuse it.
   */
  get closed(): boolean {
    return this.#phase === 'closed';
  }

  /**
   * Consumes `input` and returns what to pass to the HTTP parser. After a fault, the chunks hold
   * what preceded the refused byte (whole earlier requests, and the validated start of a body);
   * later calls return nothing. Returned chunks may be views of `input`, and a head in progress
   * is held as views of it: `input` must not be modified afterwards (socket buffers never are).
   */
  push(input: Buffer): FramerOutput {
    const chunks: Buffer[] = [];
    let at = 0;
    // Start of the body bytes of `input` validated but not yet emitted, or -1. A body that
    // began in an earlier input continues from the first byte of this one.
    let run = BODY_PHASES.has(this.#phase) ? 0 : -1;
    const flush = (end: number): void => {
      if (run >= 0 && end > run) chunks.push(input.subarray(run, end));
      run = -1;
    };

    try {
      while (at < input.length) {
        const phase = this.#phase;
        if (phase === 'closed' || phase === 'refused') break;

        if (phase === 'head') {
          const fed = this.#head.feed(input, at);
          at = fed.next;
          if (!fed.complete) break;
          this.#startRequest(chunks);
          if (BODY_PHASES.has(this.#phase)) run = at;
          continue;
        }

        if (phase === 'length-body') {
          const take = Math.min(this.#remaining, input.length - at);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#endRequest();
          if (this.#phase === 'head' || this.#phase === 'closed') flush(at);
          continue;
        }

        if (phase === 'chunk-data') {
          const take = Math.min(this.#remaining, input.length - at);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#phase = 'chunk-data-cr';
          continue;
        }

        if (phase === 'trailers') {
          const fed = this.#trailers.feed(input, at);
          at = fed.next;
          if (!fed.complete) break;
          const section = this.#trailers.take();
          checkTrailerSection(section, this.options.markerName);
          chunks.push(section);
          this.#endRequest();
          continue;
        }

        this.#stepChunkLine(input[at] as number);
        at += 1;
        if (this.#phase === 'trailers') flush(at);
      }
      flush(at);
      return { chunks };
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      // The offending byte is at `at`: everything before it was validated.
      flush(at);
      this.#phase = 'refused';
      return { chunks, fault: error };
    }
  }

  /** Handles a complete head: emits it (rewritten for LIST) and enters its body phase. */
  #startRequest(chunks: Buffer[]): void {
    const bytes = this.#head.take();
    const request = parseRequestHead(bytes, this.options.markerName);
    const isList = request.method === 'LIST';
    chunks.push(isList ? rewriteListHead(bytes, this.options.markerLine) : bytes);
    this.#request = request;
    this.options.onRequest?.(request);

    const framing = request.framing;
    if (framing.kind === 'length' && framing.length > 0) {
      this.#phase = 'length-body';
      this.#remaining = framing.length;
    } else if (framing.kind === 'chunked') {
      this.#phase = 'chunk-size-first';
      this.#chunkLineBytes = 0;
    } else {
      this.#endRequest();
    }
  }

  #endRequest(): void {
    this.#phase = this.#request?.closeAfter === true ? 'closed' : 'head';
    this.#request = null;
  }

  /**
   * Advances through one byte of the chunk-size line or the CRLF after chunk data (RFC 9112
   * §7.1): `chunk-size [ chunk-ext ] CRLF` with `chunk-ext = *( ";" name [ "=" value ] )`, a
   * value being a token or a quoted-string. Whitespace around `;` and `=` (BWS) is refused, as
   * llhttp refuses it.
   */
  #stepChunkLine(byte: number): void {
    const phase = this.#phase;
    if (phase === 'chunk-data-cr' || phase === 'chunk-data-lf') {
      const expected = phase === 'chunk-data-cr' ? CR : LF;
      if (byte !== expected) throw new FramingError('missing-chunk-crlf');
      this.#phase = phase === 'chunk-data-cr' ? 'chunk-data-lf' : 'chunk-size-first';
      this.#chunkLineBytes = 0;
      return;
    }

    this.#chunkLineBytes += 1;
    if (this.#chunkLineBytes > this.options.maxHeadBytes) {
      throw new FramingError('chunk-line-too-long');
    }

    switch (phase) {
      case 'chunk-size-first':
      case 'chunk-size': {
        const digit = HEX[byte] as number;
        if (digit >= 0) {
          this.#chunkSize = phase === 'chunk-size-first' ? digit : this.#chunkSize * 16 + digit;
          if (this.#chunkSize > Number.MAX_SAFE_INTEGER) {
            throw new FramingError('chunk-size-too-large');
          }
          this.#phase = 'chunk-size';
        } else if (phase === 'chunk-size' && byte === SEMICOLON) {
          this.#phase = 'chunk-ext-name-first';
        } else if (phase === 'chunk-size' && byte === CR) {
          this.#phase = 'chunk-size-lf';
        } else {
          throw new FramingError('invalid-chunk-size');
        }
        return;
      }
      case 'chunk-ext-name-first':
        this.#phase = expect(TCHAR[byte] === 1, 'chunk-ext-name');
        return;
      case 'chunk-ext-name':
        if (TCHAR[byte] === 1) return;
        this.#phase = byte === EQUALS ? 'chunk-ext-value-first' : afterExtension(byte);
        return;
      case 'chunk-ext-value-first':
        if (byte === DQUOTE) this.#phase = 'chunk-ext-quoted';
        else this.#phase = expect(TCHAR[byte] === 1, 'chunk-ext-token');
        return;
      case 'chunk-ext-token':
        if (TCHAR[byte] !== 1) this.#phase = afterExtension(byte);
        return;
      case 'chunk-ext-quoted':
        if (byte === DQUOTE) this.#phase = 'chunk-ext-after-quoted';
        else if (byte === BACKSLASH) this.#phase = 'chunk-ext-quoted-pair';
        else if (QDTEXT[byte] !== 1) throw new FramingError('invalid-chunk-extension');
        return;
      case 'chunk-ext-quoted-pair':
        this.#phase = expect(QUOTED_PAIR[byte] === 1, 'chunk-ext-quoted');
        return;
      case 'chunk-ext-after-quoted':
        this.#phase = afterExtension(byte);
        return;
      case 'chunk-size-lf':
        if (byte !== LF) throw new FramingError('invalid-line-ending');
        // The last chunk (size 0) is followed by the trailer section.
        this.#phase = this.#chunkSize === 0 ? 'trailers' : 'chunk-data';
        this.#remaining = this.#chunkSize;
        return;
      default:
        throw new InvariantError('chunk line step outside a chunk line', { phase });
    }
  }
}

/** The phase after a chunk extension ends on `byte`: another extension, or the line's end. */
function afterExtension(byte: number): Phase {
  if (byte === SEMICOLON) return 'chunk-ext-name-first';
  if (byte === CR) return 'chunk-size-lf';
  throw new FramingError('invalid-chunk-extension');
}

function expect(ok: boolean, next: Phase): Phase {
  if (!ok) throw new FramingError('invalid-chunk-extension');
  return next;
}

function octetSet(member: (octet: number) => boolean): Uint8Array {
  const set = new Uint8Array(256);
  for (let octet = 0; octet < 256; octet += 1) set[octet] = member(octet) ? 1 : 0;
  return set;
}
