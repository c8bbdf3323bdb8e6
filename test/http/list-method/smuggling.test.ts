import assert from 'node:assert/strict';
import type { FramingError, FramingFault } from '../../../src/http/list-method/index.js';
import { RawConnection } from './raw-client.js';
import { startApp } from './test-app.js';
import type { TestApp } from './test-app.js';

const HOST = 'Host: 127.0.0.1\r\n';
/** A request hidden where a lenient parser could find it. It must never run. */
const SMUGGLED = `GET /v1/smuggled HTTP/1.1\r\n${HOST}\r\n`;
const TE = 'Transfer-Encoding: chunked\r\n';
const post = (fields: string, body: string): string =>
  `POST /v1/front HTTP/1.1\r\n${HOST}Content-Type: text/plain\r\n${fields}\r\n${body}`;
const chunk = (data: string): string => `${data.length.toString(16)}\r\n${data}\r\n`;

// Each case is sent in one write on a fresh connection; the server must answer 400 (431 for
// size) and close, and neither the front request nor the smuggled one may reach a handler.
const CASES: Array<[name: string, bytes: string, fault: FramingFault, status?: number]> = [
  [
    'Content-Length with Transfer-Encoding (CL.TE)',
    post(`Content-Length: 6\r\n${TE}`, `0\r\n\r\n${SMUGGLED}`),
    'content-length-with-transfer-encoding',
  ],
  [
    'Transfer-Encoding with Content-Length (TE.CL)',
    post(`${TE}Content-Length: 4\r\n`, `${chunk(SMUGGLED)}0\r\n\r\n`),
    'content-length-with-transfer-encoding',
  ],
  [
    'two differing Content-Length',
    post('Content-Length: 0\r\nContent-Length: 44\r\n', SMUGGLED),
    'repeated-content-length',
  ],
  [
    'two equal Content-Length',
    post('Content-Length: 44\r\nContent-Length: 44\r\n', SMUGGLED),
    'repeated-content-length',
  ],
  ['a Content-Length list', post('Content-Length: 0, 44\r\n', SMUGGLED), 'invalid-content-length'],
  [
    'a coding other than a lone chunked',
    post('Transfer-Encoding: gzip, chunked\r\n', `0\r\n\r\n${SMUGGLED}`),
    'unsupported-transfer-coding',
  ],
  [
    'chunked not last',
    post('Transfer-Encoding: chunked, identity\r\n', `0\r\n\r\n${SMUGGLED}`),
    'unsupported-transfer-coding',
  ],
  [
    'Transfer-Encoding repeated',
    post(`${TE}Transfer-Encoding: identity\r\n`, `0\r\n\r\n${SMUGGLED}`),
    'repeated-transfer-encoding',
  ],
  [
    'Transfer-Encoding in HTTP/1.0',
    `POST /v1/front HTTP/1.0\r\n${TE}\r\n0\r\n\r\n${SMUGGLED}`,
    'transfer-encoding-in-http-1.0',
  ],
  ['an invalid chunk size', post(TE, `0x2c\r\n${SMUGGLED}\r\n0\r\n\r\n`), 'invalid-chunk-size'],
  [
    'whitespace after a chunk size',
    post(TE, `2c \r\n${SMUGGLED}\r\n0\r\n\r\n`),
    'invalid-chunk-size',
  ],
  [
    'a chunk size overflow',
    post(TE, `10000000000000000002c\r\n${SMUGGLED}\r\n0\r\n\r\n`),
    'chunk-size-too-large',
  ],
  [
    'whitespace in a chunk extension',
    post(TE, `2c; a=b\r\n${SMUGGLED}\r\n0\r\n\r\n`),
    'invalid-chunk-extension',
  ],
  [
    'chunk data longer than its size',
    post(TE, `1\r\nab\r\n0\r\n\r\n${SMUGGLED}`),
    'missing-chunk-crlf',
  ],
  [
    'a bare LF ending a chunk-size line',
    post(TE, `2c\n${SMUGGLED}\r\n0\r\n\r\n`),
    'invalid-chunk-size',
  ],
  ['a bare LF after chunk data', post(TE, `1\r\na\n0\r\n\r\n${SMUGGLED}`), 'missing-chunk-crlf'],
  [
    'obs-fold hiding Transfer-Encoding',
    post(`X-A: b\r\n ${TE}Content-Length: 44\r\n`, SMUGGLED),
    'obs-fold',
  ],
  ['obs-fold in a trailer', post(TE, `0\r\nX-A: b\r\n c\r\n\r\n${SMUGGLED}`), 'obs-fold'],
  [
    'bare LF line endings in a head',
    `POST /v1/front HTTP/1.1\nHost: h\nContent-Length: 0\n\n${SMUGGLED}`,
    'invalid-line-ending',
  ],
  [
    'a bare CR in a field',
    post('X-A: b\rTransfer-Encoding: chunked\r\nContent-Length: 0\r\n', SMUGGLED),
    'invalid-line-ending',
  ],
  [
    'whitespace before a colon',
    post('Transfer-Encoding : chunked\r\nContent-Length: 44\r\n', SMUGGLED),
    'invalid-field-line',
  ],
  [
    'Content-Length as a trailer',
    post(TE, `0\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`),
    'forbidden-trailer-field',
  ],
  ['an HTTP/0.9 request line', `GET /v1/front\r\n\r\n${SMUGGLED}`, 'invalid-request-line'],
  ['CONNECT', `CONNECT 127.0.0.1:1 HTTP/1.1\r\n${HOST}\r\n${SMUGGLED}`, 'connect-not-served'],
  [
    'a head over the size limit',
    `GET /v1/front HTTP/1.1\r\n${HOST}X: ${'a'.repeat(20000)}\r\n\r\n`,
    'head-too-large',
    431,
  ],
];

describe('createVaultServer against request smuggling', () => {
  let server: TestApp;
  let connection: RawConnection | undefined;

  before(async () => {
    server = await startApp();
  });

  after(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.hits.length = 0;
    server.clientErrors.length = 0;
  });

  afterEach(() => {
    connection?.destroy();
  });

  for (const [name, bytes, fault, status = 400] of CASES) {
    it(`answers ${status} and closes on ${name}`, async () => {
      connection = await RawConnection.open(server.port);
      await connection.write(bytes);

      const responses = await connection.untilClosed();
      assert.deepEqual(responses.map((response) => response.status), [status]);
      assert.deepEqual(server.hits, []);
      assert.equal((server.clientErrors[0] as FramingError | undefined)?.fault, fault);
    });
  }

  it('answers the requests before a refused one, then 400, then closes', async () => {
    connection = await RawConnection.open(server.port);
    await connection.write(`LIST /v1/first/ HTTP/1.1\r\n${HOST}\r\n`);
    await connection.responses(1);
    await connection.write(post(`Content-Length: 6\r\n${TE}`, `0\r\n\r\n${SMUGGLED}`));

    const responses = await connection.untilClosed();
    assert.deepEqual(responses.map((response) => response.status), [200, 400]);
    assert.deepEqual(server.hits.map((hit) => hit.url), ['/v1/first/']);
  });

  it('refuses a framing error that arrives one byte at a time', async () => {
    connection = await RawConnection.open(server.port);
    await connection.writeBytewise(post(`Content-Length: 6\r\n${TE}`, '0\r\n\r\n'));

    const responses = await connection.untilClosed();
    assert.deepEqual(responses.map((response) => response.status), [400]);
    assert.deepEqual(server.hits, []);
  });

  it('never runs a request hidden in a valid body', async () => {
    connection = await RawConnection.open(server.port);
    await connection.write(
      post(`Content-Length: ${SMUGGLED.length}\r\n`, SMUGGLED) +
        post(TE, `${chunk(SMUGGLED)}0\r\n\r\n`),
    );

    const responses = await connection.responses(2);
    assert.deepEqual(responses.map((response) => response.status), [200, 200]);
    assert.deepEqual(server.hits.map((hit) => [hit.url, hit.body]), [
      ['/v1/front', SMUGGLED],
      ['/v1/front', SMUGGLED],
    ]);
  });
});
