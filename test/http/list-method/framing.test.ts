import assert from 'node:assert/strict';
import { FramingError, RequestFramer } from '../../../src/http/list-method/index.js';
import type { FramingFault } from '../../../src/http/list-method/index.js';
import { seededRandom } from '../../../src/util/random.js';

const MARKER = 'coffer-list-method';
const MARKER_LINE = `${MARKER}: s3cret\r\n`;

function framer(maxHeadBytes = 1024): RequestFramer {
  return new RequestFramer({
    maxHeadBytes,
    markerName: MARKER,
    markerLine: Buffer.from(MARKER_LINE, 'latin1'),
  });
}

interface Fed {
  /** Every chunk returned, as latin1 text, in order. */
  chunks: string[];
  output: string;
  fault?: FramingFault;
}

/** Feeds `parts` one push each, stopping at the first fault. */
function feed(parts: readonly string[], target = framer()): Fed {
  const chunks: string[] = [];
  for (const part of parts) {
    const { chunks: out, fault } = target.push(Buffer.from(part, 'latin1'));
    chunks.push(...out.map((chunk) => chunk.toString('latin1')));
    if (fault !== undefined) return { chunks, output: chunks.join(''), fault: fault.fault };
  }
  return { chunks, output: chunks.join('') };
}

/** Cuts `text` at random places (about one cut in `meanPart` bytes). */
function randomSplit(text: string, random: () => number, meanPart: number): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let at = 1; at < text.length; at += 1) {
    if (random() < 1 / meanPart) {
      parts.push(text.slice(start, at));
      start = at;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const get = (path: string, fields = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: h\r\n${fields}\r\n`;
const list = (path: string, fields = ''): string =>
  `LIST ${path} HTTP/1.1\r\nHost: h\r\n${fields}\r\n`;
const listed = (path: string, fields = ''): string =>
  `GET ${path} HTTP/1.1\r\n${MARKER_LINE}Host: h\r\n${fields}\r\n`;
const chunked = (body: string, trailers = ''): string =>
  `POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${body}0\r\n${trailers}\r\n`;

// A pipeline exercising every framing path, and what the parser must receive for it.
const INNER = 'LIST /x HTTP/1.1\r\n\r\n';
const INNER_LENGTH = `Content-Length: ${INNER.length}\r\n`;
const CHUNKED = chunked(
  '4;a=1;b="q\\"; \\\\"\r\nLIST\r\nA\r\n /y HTTP/1\r\n',
  'X-T: 1\r\nX-U: 2\r\n',
);
const CHUNKED_LIST = '1\r\nL\r\n0\r\n\r\n';
const PIPELINE: Array<[sent: string, passed: string]> = [
  [get('/a'), get('/a')],
  [list('/b/', INNER_LENGTH) + INNER, listed('/b/', INNER_LENGTH) + INNER],
  [CHUNKED, CHUNKED],
  ['\r\n\r\n' + list('/d/'), '\r\n\r\n' + listed('/d/')],
  [
    list('/e/', 'Transfer-Encoding: CHUNKED\r\n') + CHUNKED_LIST,
    listed('/e/', 'Transfer-Encoding: CHUNKED\r\n') + CHUNKED_LIST,
  ],
  [get('/f', 'Content-Length: 0\r\n'), get('/f', 'Content-Length: 0\r\n')],
];
const SENT = PIPELINE.map(([sent]) => sent).join('');
const PASSED = PIPELINE.map(([, passed]) => passed).join('');

describe('RequestFramer', () => {
  describe('rewriting', () => {
    it('passes a request without LIST through unchanged', () => {
      const request = get('/v1/secret/data/a', 'X-Vault-Token: t\r\n');
      assert.deepEqual(feed([request]), { chunks: [request], output: request });
    });

    it('rewrites LIST to GET and adds the marker as the first field', () => {
      assert.equal(feed([list('/v1/secret/metadata/')]).output, listed('/v1/secret/metadata/'));
    });

    it('keeps empty lines before the request line and rewrites the line after them', () => {
      assert.equal(feed(['\r\n' + list('/x/')]).output, '\r\n' + listed('/x/'));
    });

    it('rewrites only a method token that is exactly LIST', () => {
      for (const request of [
        'LISTS /x HTTP/1.1\r\n\r\n',
        'list /x HTTP/1.1\r\n\r\n',
        'GET /LIST HTTP/1.1\r\n\r\n',
        'POST /x HTTP/1.1\r\nX: LIST\r\n\r\n',
      ]) {
        assert.equal(feed([request]).output, request);
      }
    });

    it('does not rewrite a request line inside a body', () => {
      const body = list('/inner/');
      const withLength = `POST /p HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      const withChunks =
        'POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n' +
        `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;

      assert.equal(feed([withLength]).output, withLength);
      assert.equal(feed([withChunks]).output, withChunks);
    });
  });

  describe('streaming', () => {
    it('passes a pipeline of requests with every kind of framing', () => {
      assert.equal(feed([SENT]).output, PASSED);
    });

    it('gives the same output when fed one byte at a time', () => {
      assert.equal(feed([...SENT]).output, PASSED);
    });

    it('gives the same output for any split of the input', () => {
      for (let seed = 1; seed <= 200; seed += 1) {
        const parts = randomSplit(SENT, seededRandom(seed), 1 + (seed % 40));
        assert.equal(feed(parts).output, PASSED, `seed ${seed}`);
      }
    });

    it('never returns a chunk that spans two requests', () => {
      const { chunks } = feed([SENT]);
      const chunkEnds = new Set<number>();
      let offset = 0;
      for (const chunk of chunks) chunkEnds.add((offset += chunk.length));

      let requestEnd = 0;
      for (const [, passed] of PIPELINE) {
        requestEnd += passed.length;
        assert.ok(chunkEnds.has(requestEnd), `a chunk crosses the request ending at ${requestEnd}`);
      }
    });

    it('does not buffer a body: each pushed body byte comes out at once', () => {
      const target = framer();
      feed([`POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\n`], target);
      assert.equal(feed(['a'], target).output, 'a');
      assert.equal(feed(['bc' + get('/next')], target).output, 'bc' + get('/next'));
    });

    it('reports awaitingHead once a request line begins, and not for empty lines', () => {
      const target = framer();
      feed(['\r\n'], target);
      assert.equal(target.awaitingHead, false);
      feed(['G'], target);
      assert.equal(target.awaitingHead, true);
      feed(['ET / HTTP/1.1\r\n\r\n'], target);
      assert.equal(target.awaitingHead, false);
    });
  });

  describe('connection close', () => {
    it('discards everything after a request that asks to close', () => {
      const target = framer();
      const last = get('/last', 'Connection: keep-alive, Close\r\n');
      assert.equal(feed([last + get('/more')], target).output, last);
      assert.equal(target.closed, true);
      assert.equal(feed([get('/again')], target).output, '');
    });

    it('closes after an HTTP/1.0 request unless it asks to keep alive', () => {
      const kept = 'GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n';
      const last = 'GET /b HTTP/1.0\r\n\r\n';
      assert.equal(feed([kept + last + 'GET /c HTTP/1.0\r\n\r\n']).output, kept + last);
    });
  });

  describe('refusals', () => {
    const te = 'Transfer-Encoding: chunked\r\n';
    const post = (fields: string, body = ''): string =>
      `POST /p HTTP/1.1\r\nHost: h\r\n${fields}\r\n${body}`;
    const cases: Array<[string, string, FramingFault]> = [
      [
        'Content-Length then Transfer-Encoding',
        post(`Content-Length: 3\r\n${te}`, 'abc'),
        'content-length-with-transfer-encoding',
      ],
      [
        'Transfer-Encoding then Content-Length',
        post(`${te}Content-Length: 3\r\n`, 'abc'),
        'content-length-with-transfer-encoding',
      ],
      [
        'two differing Content-Length',
        post('Content-Length: 3\r\nContent-Length: 4\r\n'),
        'repeated-content-length',
      ],
      [
        'two equal Content-Length',
        post('Content-Length: 3\r\nContent-Length: 3\r\n'),
        'repeated-content-length',
      ],
      ['a Content-Length list', post('Content-Length: 3, 3\r\n'), 'invalid-content-length'],
      ['a signed Content-Length', post('Content-Length: +3\r\n'), 'invalid-content-length'],
      ['a negative Content-Length', post('Content-Length: -1\r\n'), 'invalid-content-length'],
      ['an empty Content-Length', post('Content-Length:\r\n'), 'invalid-content-length'],
      [
        'a huge Content-Length',
        post('Content-Length: 9999999999999999\r\n'),
        'invalid-content-length',
      ],
      [
        'a coding before chunked',
        post('Transfer-Encoding: gzip, chunked\r\n'),
        'unsupported-transfer-coding',
      ],
      [
        'chunked twice in a list',
        post('Transfer-Encoding: chunked, chunked\r\n'),
        'unsupported-transfer-coding',
      ],
      [
        'a final coding other than chunked',
        post('Transfer-Encoding: chunked, gzip\r\n'),
        'unsupported-transfer-coding',
      ],
      ['identity', post('Transfer-Encoding: identity\r\n'), 'unsupported-transfer-coding'],
      ['an empty Transfer-Encoding', post('Transfer-Encoding:\r\n'), 'unsupported-transfer-coding'],
      ['two Transfer-Encoding fields', post(`${te}${te}`), 'repeated-transfer-encoding'],
      [
        'Transfer-Encoding in HTTP/1.0',
        `POST /p HTTP/1.0\r\n${te}\r\n`,
        'transfer-encoding-in-http-1.0',
      ],
      ['a 0x chunk size', post(te, '0x3\r\nabc\r\n0\r\n\r\n'), 'invalid-chunk-size'],
      ['a non-hex chunk size', post(te, 'zz\r\n'), 'invalid-chunk-size'],
      ['an empty chunk size', post(te, ';a\r\nabc\r\n'), 'invalid-chunk-size'],
      ['space after the chunk size', post(te, '3 \r\nabc\r\n'), 'invalid-chunk-size'],
      ['space before a chunk extension', post(te, '3 ;a=b\r\nabc\r\n'), 'invalid-chunk-size'],
      ['space inside a chunk extension', post(te, '3; a=b\r\nabc\r\n'), 'invalid-chunk-extension'],
      ['an empty chunk extension', post(te, '3;\r\nabc\r\n'), 'invalid-chunk-extension'],
      ['an empty chunk extension value', post(te, '3;a=\r\nabc\r\n'), 'invalid-chunk-extension'],
      [
        'an unterminated quoted extension',
        post(te, '3;a="b\r\nabc\r\n'),
        'invalid-chunk-extension',
      ],
      ['a chunk size overflow', post(te, 'fffffffffffffffff\r\n'), 'chunk-size-too-large'],
      ['a chunk longer than its size', post(te, '3\r\nabcd\r\n'), 'missing-chunk-crlf'],
      ['a bare LF after chunk data', post(te, '3\r\nabc\n0\r\n\r\n'), 'missing-chunk-crlf'],
      ['a bare LF after a chunk size', post(te, '3\nabc\r\n'), 'invalid-chunk-size'],
      ['a CR without LF after a chunk size', post(te, '3\rabc\r\n'), 'invalid-line-ending'],
      ['obs-fold in a header', get('/f', 'X-A: b\r\n c\r\n'), 'obs-fold'],
      ['obs-fold before the first field', 'GET /f HTTP/1.1\r\n Host: h\r\n\r\n', 'obs-fold'],
      ['obs-fold in a trailer', post(te, '0\r\nX-A: b\r\n\tc\r\n\r\n'), 'obs-fold'],
      ['a bare LF in a head', 'GET / HTTP/1.1\nHost: h\r\n\r\n', 'invalid-line-ending'],
      ['a bare LF before the request line', '\nGET / HTTP/1.1\r\n\r\n', 'invalid-line-ending'],
      ['a bare CR in a field value', get('/', 'X: a\rb\r\n'), 'invalid-line-ending'],
      ['space before a colon', get('/', 'Content-Length : 0\r\n'), 'invalid-field-line'],
      ['an empty field name', get('/', ': v\r\n'), 'invalid-field-line'],
      ['a field line without colon', get('/', 'NoColon\r\n'), 'invalid-field-line'],
      ['a control character in a value', get('/', 'X: a\u0001b\r\n'), 'invalid-field-line'],
      ['DEL in a value', get('/', 'X: a\u007fb\r\n'), 'invalid-field-line'],
      ['two spaces in the request line', 'GET  / HTTP/1.1\r\n\r\n', 'invalid-request-line'],
      ['an HTTP/0.9 request line', 'GET /\r\n\r\n', 'invalid-request-line'],
      ['a lowercase protocol name', 'GET / http/1.1\r\n\r\n', 'invalid-request-line'],
      ['a non-ASCII request target', 'GET /\u00e9 HTTP/1.1\r\n\r\n', 'invalid-request-line'],
      ['HTTP/2.0 as text', 'GET / HTTP/2.0\r\n\r\n', 'unsupported-http-version'],
      ['HTTP/1.2', 'GET / HTTP/1.2\r\n\r\n', 'unsupported-http-version'],
      [
        'CONNECT',
        'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n',
        'connect-not-served',
      ],
      ['the marker field', get('/', `${MARKER}: s3cret\r\n`), 'spoofed-list-marker'],
      [
        'the marker field in another case',
        list('/', 'Coffer-List-Method: x\r\n'),
        'spoofed-list-marker',
      ],
      [
        'Content-Length as a trailer',
        post(te, '0\r\nContent-Length: 5\r\n\r\n'),
        'forbidden-trailer-field',
      ],
      [
        'Transfer-Encoding as a trailer',
        post(te, '0\r\nTransfer-Encoding: chunked\r\n\r\n'),
        'forbidden-trailer-field',
      ],
      [
        'Connection as a trailer',
        post(te, '0\r\nConnection: close\r\n\r\n'),
        'forbidden-trailer-field',
      ],
      [
        'the marker as a trailer',
        post(te, `0\r\n${MARKER}: s3cret\r\n\r\n`),
        'forbidden-trailer-field',
      ],
    ];

    for (const [name, input, fault] of cases) {
      it(`refuses ${name} (${fault}) however the input is split`, () => {
        assert.equal(feed([input]).fault, fault, 'in one push');
        assert.equal(feed([...input]).fault, fault, 'byte by byte');
      });
    }

    it('refuses a head larger than maxHeadBytes with 431, before its end arrives', () => {
      const { fault, output } = feed([`GET / HTTP/1.1\r\nX: ${'a'.repeat(200)}`], framer(128));
      assert.equal(fault, 'head-too-large');
      assert.equal(output, '');
      const error = new FramingError('head-too-large');
      assert.deepEqual([error.code, error.httpStatus], ['HPE_HEADER_OVERFLOW', 431]);
    });

    it('counts empty lines before the request line against the head limit', () => {
      assert.equal(feed(['\r\n'.repeat(100)], framer(128)).fault, 'head-too-large');
    });

    it('bounds chunk-size lines and trailer sections', () => {
      const body = `1;x=${'a'.repeat(200)}\r\n`;
      assert.equal(feed([chunked(body)], framer(128)).fault, 'chunk-line-too-long');
      const trailers = chunked('', `X: ${'a'.repeat(200)}\r\n`);
      assert.equal(feed([trailers], framer(128)).fault, 'trailers-too-large');
    });

    it('passes the requests before a refused one, then nothing', () => {
      const target = framer();
      const bad = get('/bad', 'Content-Length: 1\r\nContent-Length: 2\r\n');
      const result = feed([get('/ok') + bad + get('/after')], target);

      assert.equal(result.fault, 'repeated-content-length');
      assert.equal(result.output, get('/ok'));
      assert.deepEqual(feed([get('/later')], target), { chunks: [], output: '' });
    });

    it('passes the validated start of a chunked body before a bad chunk', () => {
      const head = `POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const result = feed([head + '3\r\nabc\r\nzz\r\n']);

      assert.equal(result.fault, 'invalid-chunk-size');
      assert.equal(result.output, head + '3\r\nabc\r\n');
    });

    it('answers everything but size and time faults with 400', () => {
      const error = new FramingError('content-length-with-transfer-encoding');
      assert.deepEqual([error.code, error.httpStatus], ['ERR_HTTP_BAD_FRAMING', 400]);
      assert.equal(new FramingError('head-timeout').httpStatus, 408);
    });
  });
});
