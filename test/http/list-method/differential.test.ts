import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { RequestFramer } from '../../../src/http/list-method/index.js';
import { seededRandom } from '../../../src/util/random.js';
import type { Random } from '../../../src/util/random.js';

const MARKER = 'coffer-list-method';
const MARKER_LINE = Buffer.from(`${MARKER}: s\r\n`, 'latin1');
const SEEDS = 250;

/** Picks one element of `items`. */
const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

const BODY_PIECES = [
  'a',
  'b',
  '\r\n',
  ';',
  '0',
  ' ',
  '"',
  'GET /x HTTP/1.1\r\nHost: h\r\n\r\n',
  'LIST /y HTTP/1.1\r\n\r\n',
];
const EDITS = [' ', '\t', '\r', '\n', ';', '=', '"', '\\', ':', ',', '0', '1', 'f', 'a', 'G', 'L'];

function randomBody(random: Random): string {
  let body = '';
  const length = Math.floor(random() * 48);
  while (body.length < length) body += pick(random, BODY_PIECES);
  return body;
}

function randomExtensions(random: Random): string {
  let extensions = '';
  while (random() < 0.3) extensions += pick(random, [';e', ';e=v', ';e="q\\"; x"', ';n=1']);
  return extensions;
}

function chunkedBody(random: Random, body: string): string {
  let coded = '';
  for (let at = 0; at < body.length; ) {
    const size = Math.min(body.length - at, 1 + Math.floor(random() * 16));
    const hex = size.toString(16);
    const sizeLine = `${random() < 0.5 ? hex : hex.toUpperCase()}${randomExtensions(random)}`;
    coded += `${sizeLine}\r\n${body.slice(at, at + size)}\r\n`;
    at += size;
  }
  let trailers = '';
  while (random() < 0.3) trailers += `X-T${Math.floor(random() * 9)}: v\r\n`;
  return `${coded}0${randomExtensions(random)}\r\n${trailers}\r\n`;
}

/** A random pipeline of requests with distinct targets, then a few random byte edits. */
function randomPipeline(random: Random): { bytes: string; edits: number } {
  let bytes = '';
  const count = 1 + Math.floor(random() * 4);
  for (let index = 0; index < count; index += 1) {
    const method = pick(random, ['GET', 'POST', 'PUT', 'DELETE', 'LIST']);
    const body = randomBody(random);
    const framing = pick(random, ['none', 'length', 'chunked']);
    const head = `${method} /r${index} HTTP/1.1\r\nHost: h\r\n`;
    if (framing === 'length') {
      bytes += `${head}Content-Length: ${body.length}\r\n\r\n${body}`;
    } else if (framing === 'chunked') {
      bytes += `${head}Transfer-Encoding: chunked\r\n\r\n${chunkedBody(random, body)}`;
    } else {
      bytes += `${head}\r\n`;
    }
  }

  const edits = Math.floor(random() * 3);
  for (let edit = 0; edit < edits; edit += 1) {
    const at = Math.floor(random() * bytes.length);
    const op = pick(random, ['replace', 'insert', 'delete']);
    const char = op === 'delete' ? '' : pick(random, EDITS);
    bytes = bytes.slice(0, at) + char + bytes.slice(op === 'insert' ? at : at + 1);
  }
  return { bytes, edits };
}

/** What Node's own parser made of one connection's bytes. */
interface Parsed {
  /** `method target` of each request, LIST for one the tracker marked. */
  requests: string[];
  errored: boolean;
}

describe('RequestFramer and Node\'s HTTP parser', () => {
  let server: http.Server;
  let current: Parsed = { requests: [], errored: false };

  before(async () => {
    // A plain Node server, without the tracker, parses exactly what the tracker passes on.
    server = http.createServer({ requireHostHeader: false }, (request, response) => {
      const listed = request.rawHeaders[0] === MARKER;
      current.requests.push(`${listed ? 'LIST' : request.method} ${request.url}`);
      request.resume();
      request.on('end', () => response.end());
    });
    server.on('clientError', (_error, socket) => {
      current.errored = true;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function parseWithNode(bytes: Buffer): Promise<Parsed> {
    current = { requests: [], errored: false };
    const port = (server.address() as net.AddressInfo).port;
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.resume();
    await new Promise<void>((resolve, reject) => {
      const fail = (): void => reject(new Error('Node did not close the connection'));
      const deadline = setTimeout(fail, 5000);
      socket.on('close', () => {
        clearTimeout(deadline);
        resolve();
      });
      socket.end(bytes);
    });
    return current;
  }

  it('agree on where each request ends, for random and randomly edited pipelines', async () => {
    let checkedEdited = 0;
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const random = seededRandom(seed);
      const { bytes, edits } = randomPipeline(random);
      const requests: string[] = [];
      const framer = new RequestFramer({
        maxHeadBytes: 4096,
        markerName: MARKER,
        markerLine: MARKER_LINE,
        onRequest: (request) => requests.push(`${request.method} ${request.target}`),
      });
      const { chunks, fault } = framer.push(Buffer.from(bytes, 'latin1'));

      const node = await parseWithNode(Buffer.concat(chunks));
      const context = `seed ${seed}: ${JSON.stringify(bytes)}`;
      // Node never finds a request the tracker did not pass on as one: any disagreement about
      // where a body ends shows as a request line read from a different place.
      assert.deepEqual(node.requests, requests.slice(0, node.requests.length), context);
      // When neither refused anything, they found the same requests.
      if (fault === undefined && !node.errored && !framer.awaitingHead) {
        assert.equal(node.requests.length, requests.length, context);
        if (edits > 0) checkedEdited += 1;
      }
      if (edits === 0) assert.equal(fault, undefined, context);
    }
    // Enough edited pipelines got through both parsers for the comparison to mean something.
    assert.ok(checkedEdited >= 20, `only ${checkedEdited} edited pipelines were accepted by both`);
  });
});
