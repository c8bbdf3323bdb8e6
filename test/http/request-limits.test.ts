/**
 * The request limits of reliability.md's bad-input matrix, over a real socket: a body over
 * `max_request_size` is refused while it streams (413), before the client has sent it all, and
 * JSON nesting and string lengths over Vault's limits are refused with 400.
 */
import assert from 'node:assert/strict';
import net from 'node:net';

import { MAX_JSON_DEPTH, MAX_JSON_STRING_LENGTH } from '../../src/http/body.js';
import { initAndUnsealOverHttp, startNode, wireRequest, type Node } from './support.js';

/** How long to wait for an answer to a body that is never finished. */
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Sends `head` and then `chunk` on a new connection, never ending the body, and resolves to the
 * first response head the server sends (or '' if it sends none in time).
 */
function answerToUnfinishedBody(port: number, head: string, chunk: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const done = (text: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(() => done(''), ANSWER_TIMEOUT_MS);
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      if (received.includes('\r\n\r\n')) done(received);
    });
    socket.on('error', () => done(received));
    socket.write(head);
    socket.write(chunk);
  });
}

describe('Request limits over a socket', () => {
  let node: Node;
  let port: number;

  afterEach(async () => {
    await node.server.close();
  });

  describe('max_request_size', () => {
    beforeEach(async () => {
      node = startNode({}, { maxRequestSize: 1024 });
      port = (await node.server.listen({ host: '127.0.0.1', port: 0 })).port;
    });

    const payload = 'x'.repeat(4096);
    const framings = [
      {
        name: 'a chunked body',
        head: 'Transfer-Encoding: chunked',
        chunk: `${payload.length.toString(16)}\r\n${payload}\r\n`,
      },
      {
        name: 'a body with a large Content-Length',
        head: 'Content-Length: 100000000',
        chunk: payload,
      },
    ];
    for (const framing of framings) {
      it(`answers ${framing.name} 413 while it is still streaming`, async () => {
        const head =
          'PUT /v1/sys/init HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          `${framing.head}\r\n\r\n`;
        const answer = await answerToUnfinishedBody(port, head, framing.chunk);
        assert.match(answer, /^HTTP\/1\.1 413 /, JSON.stringify(answer));
        assert.match(answer, /\r\ncontent-type: application\/json\r\n/i);
      });
    }
  });

  describe('JSON limits', () => {
    let token: Record<string, string>;

    beforeEach(async () => {
      node = startNode();
      port = (await node.server.listen({ host: '127.0.0.1', port: 0 })).port;
      const { rootToken } = await initAndUnsealOverHttp(node.app);
      token = { 'x-vault-token': rootToken, 'content-type': 'application/json' };
    });

    const write = (body: string) =>
      wireRequest({ port, method: 'PUT', path: '/v1/secret/data/limits', headers: token, body });

    /** A body `{"data":{"a":[[…]]}}` nested `depth` levels deep in all. */
    const nested = (depth: number) =>
      `{"data":{"a":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}}`;

    it('takes nesting up to the limit and refuses one level more with 400', async () => {
      assert.equal((await write(nested(MAX_JSON_DEPTH))).status, 200);
      const deeper = await write(nested(MAX_JSON_DEPTH + 1));
      assert.equal(deeper.status, 400);
      assert.equal(deeper.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(deeper.body), {
        errors: ['failed to parse JSON input: nesting too deep'],
      });
    });

    it('takes strings up to the limit and refuses a longer value or key with 400', async () => {
      const longest = 'v'.repeat(MAX_JSON_STRING_LENGTH);
      assert.equal((await write(JSON.stringify({ data: { a: longest } }))).status, 200);
      const tooLong = `${longest}v`;
      for (const data of [{ a: tooLong }, { [tooLong]: 'x' }, { a: [[tooLong]] }]) {
        const refused = await write(JSON.stringify({ data }));
        assert.equal(refused.status, 400);
        assert.equal(refused.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(refused.body), {
          errors: ['failed to parse JSON input: string value too long'],
        });
      }
    });
  });
});
