import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';
import type { FramingError} from '../../../src/http/list-method/index.js';
import { LIST_MARKER_FIELD } from '../../../src/http/list-method/index.js';
import { RawConnection } from './raw-client.js';
import { startApp } from './test-app.js';
import type { Hit, TestApp } from './test-app.js';

const HOST = 'Host: 127.0.0.1\r\n';
const TEXT = 'Content-Type: text/plain\r\n';
const CHUNKED = 'Transfer-Encoding: chunked\r\n';
const CURL = ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'].find((path) => existsSync(path)) ?? 'curl'; // .ci/run installs curl when it is missing

describe('createVaultServer', () => {
  let server: TestApp;
  const connections: RawConnection[] = [];
  const open = async (): Promise<RawConnection> => {
    const connection = await RawConnection.open(server.port);
    connections.push(connection);
    return connection;
  };

  beforeEach(async () => {
    server = await startApp();
  });

  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.destroy();
    await server.close();
  });

  describe('LIST', () => {
    it('reaches a fastify route registered for LIST when sent as raw bytes', async () => {
      const connection = await open();
      await connection.write(`LIST /v1/secret/metadata/ HTTP/1.1\r\n${HOST}\r\n`);

      const [response] = await connection.responses(1);
      assert.equal(response?.status, 200);
      assert.deepEqual(server.hits.map((hit) => [hit.method, hit.url]), [
        ['LIST', '/v1/secret/metadata/'],
      ]);
    });

    it('hides the marker field from the application', async () => {
      const connection = await open();
      await connection.write(`LIST /v1/a/ HTTP/1.1\r\n${HOST}X-Other: 1\r\n\r\n`);

      await connection.responses(1);
      const headers = server.hits[0]?.headers ?? {};
      assert.equal(headers[LIST_MARKER_FIELD], undefined);
      assert.deepEqual(Object.keys(headers), ['host', 'x-other']);
    });

    it('answers pipelined GET, LIST with a body, chunked POST and LIST in order', async () => {
      const connection = await open();
      await connection.write(
        `GET /v1/one HTTP/1.1\r\n${HOST}\r\n` +
          `LIST /v1/two/ HTTP/1.1\r\n${HOST}${TEXT}Content-Length: 5\r\n\r\nhello` +
          `POST /v1/three HTTP/1.1\r\n${HOST}${TEXT}${CHUNKED}\r\n` +
          `4;note="a;b"\r\nLIST\r\n6\r\n /v1/x\r\n0\r\nX-Sum: 10\r\n\r\n` +
          `LIST /v1/four/ HTTP/1.1\r\n${HOST}\r\n`,
      );

      // Handlers may run concurrently; the responses must still come back in request order.
      const responses = await connection.responses(4);
      assert.deepEqual(responses.map((response) => response.status), [200, 200, 200, 200]);
      assert.deepEqual(
        responses.map((response) => {
          const hit = JSON.parse(response.body) as Hit;
          return [hit.method, hit.url, hit.body];
        }),
        [
          ['GET', '/v1/one', null],
          ['LIST', '/v1/two/', 'hello'],
          ['POST', '/v1/three', 'LIST /v1/x'],
          ['LIST', '/v1/four/', null],
        ],
      );
      assert.deepEqual(JSON.parse(responses[2]?.body ?? '{}').trailers, { 'x-sum': '10' });
      assert.equal(responses[3]?.headers.connection, 'keep-alive');
      assert.equal(connection.closed, false);
    });

    it('works when every byte arrives in its own write', async () => {
      const connection = await open();
      await connection.writeBytewise(
        `LIST /v1/a/ HTTP/1.1\r\n${HOST}Content-Length: 3\r\nContent-Type: text/plain\r\n\r\nabc` +
          `POST /v1/b HTTP/1.1\r\n${HOST}${TEXT}${CHUNKED}\r\n` +
          `2;x=y\r\nhi\r\n0\r\nX-T: 1\r\n\r\n`,
      );

      const responses = await connection.responses(2);
      assert.deepEqual(responses.map((response) => response.status), [200, 200]);
      assert.deepEqual(server.hits.map((hit) => [hit.method, hit.body, hit.trailers]), [
        ['LIST', 'abc', {}],
        ['POST', 'hi', { 'x-t': '1' }],
      ]);
    });

    it('keeps its method when the client waits for 100 Continue before the body', async () => {
      const connection = await open();
      await connection.write(
        `LIST /v1/wait/ HTTP/1.1\r\n${HOST}${TEXT}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n`,
      );
      const [interim] = await connection.responses(1);
      assert.equal(interim?.status, 100);
      await connection.write('ok');

      const responses = await connection.responses(2);
      assert.equal(responses[1]?.status, 200);
      assert.deepEqual(server.hits.map((hit) => [hit.method, hit.body]), [['LIST', 'ok']]);
    });

    it('is answered when sent by Node\'s HTTP client', async () => {
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = http.request(
          { host: '127.0.0.1', port: server.port, method: 'LIST', path: '/v1/secret/metadata/' },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (data: string) => (body += data));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        request.on('error', reject);
        request.end();
      });

      assert.equal(response.status, 200);
      assert.equal(JSON.parse(response.body).method, 'LIST');
    });

    {
      it('is answered when sent by the curl binary', async () => {
        const url = `http://127.0.0.1:${server.port}/v1/secret/metadata/`;
        const { stdout } = await promisify(execFile)(CURL, ['-sS', '-X', 'LIST', url]);

        assert.equal(JSON.parse(stdout).method, 'LIST');
      });
    }

    it('reaches the LIST route through inject', async () => {
      // light-my-request checks methods against a fixed list unless told not to validate.
      const response = await server.app.inject({
        method: 'LIST' as 'GET',
        url: '/v1/secret/metadata/',
        validate: false,
      });

      assert.equal(response.statusCode, 200);
      assert.equal(JSON.parse(response.body).method, 'LIST');
    });
  });

  describe('the marker field', () => {
    it('is refused with 400 when a client sends it, and the request never runs', async () => {
      const connection = await open();
      await connection.write(`GET /v1/spoof HTTP/1.1\r\n${HOST}${LIST_MARKER_FIELD}: 1\r\n\r\n`);

      const responses = await connection.untilClosed();
      assert.deepEqual(responses.map((response) => response.status), [400]);
      assert.deepEqual(server.hits, []);
      assert.equal((server.clientErrors[0] as FramingError).fault, 'spoofed-list-marker');
    });

    it('is refused whatever its case, on a LIST request too', async () => {
      const connection = await open();
      await connection.write(`LIST /v1/spoof/ HTTP/1.1\r\n${HOST}Coffer-List-Method: x\r\n\r\n`);

      const responses = await connection.untilClosed();
      assert.deepEqual(responses.map((response) => response.status), [400]);
      assert.deepEqual(server.hits, []);
    });
  });

  describe('ordinary requests', () => {
    it('serves GET, POST, PUT and DELETE unchanged', async () => {
      const connection = await open();
      const withBody = (method: string): string =>
        `${method} /v1/${method.toLowerCase()} HTTP/1.1\r\n${HOST}Content-Type: text/plain\r\n` +
        'Content-Length: 2\r\n\r\nok';
      await connection.write(
        `GET /v1/get?list=true HTTP/1.1\r\n${HOST}\r\n` +
          withBody('POST') +
          withBody('PUT') +
          withBody('DELETE'),
      );

      const responses = await connection.responses(4);
      assert.deepEqual(responses.map((response) => response.status), [200, 200, 200, 200]);
      assert.deepEqual(server.hits.map((hit) => [hit.method, hit.url, hit.body]), [
        ['GET', '/v1/get?list=true', null],
        ['POST', '/v1/post', 'ok'],
        ['PUT', '/v1/put', 'ok'],
        ['DELETE', '/v1/delete', 'ok'],
      ]);
    });

    it('answers HEAD through Node\'s HTTP client', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const request = http.request(
          { host: '127.0.0.1', port: server.port, method: 'HEAD', path: '/v1/head' },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        request.on('error', reject);
        request.end();
      });
      assert.equal(status, 200);
    });

    it('answers a request carrying Upgrade and the requests pipelined after it', async () => {
      const connection = await open();
      await connection.write(
        `GET /v1/up HTTP/1.1\r\n${HOST}Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n` +
          `LIST /v1/after/ HTTP/1.1\r\n${HOST}\r\n`,
      );

      const responses = await connection.responses(2);
      const urls = responses.map((response) => JSON.parse(response.body).url);
      assert.deepEqual(urls, ['/v1/up', '/v1/after/']);
    });

    it('answers a request asking to close, then closes without reading what follows', async () => {
      const connection = await open();
      await connection.write(
        `LIST /v1/last/ HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n` +
          `GET /v1/ignored HTTP/1.1\r\n${HOST}\r\n`,
      );

      const responses = await connection.untilClosed();
      assert.deepEqual(responses.map((response) => response.status), [200]);
      assert.deepEqual(server.hits.map((hit) => hit.url), ['/v1/last/']);
    });

    it('keeps an HTTP/1.0 connection open only when it asks to', async () => {
      const connection = await open();
      await connection.write(
        'GET /v1/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' +
          'GET /v1/b HTTP/1.0\r\n\r\n' +
          'GET /v1/c HTTP/1.0\r\n\r\n',
      );

      const responses = await connection.untilClosed();
      const urls = responses.map((response) => JSON.parse(response.body).url);
      assert.deepEqual(urls, ['/v1/a', '/v1/b']);
    });
  });

  describe('connection lifecycle', () => {
    it('closes a connection Node would hand to an upgrade listener', async () => {
      let upgrades = 0;
      server.app.server.on('upgrade', () => (upgrades += 1));
      const connection = await open();
      await connection.write(
        `GET /v1/ws HTTP/1.1\r\n${HOST}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      );

      await connection.untilClosed();
      assert.equal(upgrades, 0);
    });

    it('closes idle keep-alive connections when the app closes', async () => {
      const connection = await open();
      await connection.write(`GET /v1/a HTTP/1.1\r\n${HOST}\r\n`);
      await connection.responses(1);

      await server.app.close();
      await connection.untilClosed();
    });
  });
});

describe('createVaultServer limits', () => {
  let server: TestApp;
  let connection: RawConnection | undefined;

  afterEach(async () => {
    connection?.destroy();
    await server.close();
  });

  it('answers 431 and closes when a head is larger than maxHeaderSize', async () => {
    server = await startApp({ maxHeaderSize: 2048 });
    connection = await RawConnection.open(server.port);
    await connection.write(`LIST /v1/big/ HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(2048)}\r\n\r\n`);

    const responses = await connection.untilClosed();
    assert.deepEqual(responses.map((response) => response.status), [431]);
    assert.deepEqual(server.hits, []);
  });

  it('answers a LIST head of the largest size accepted, the marker included', async () => {
    server = await startApp({ maxHeaderSize: 2048 });
    connection = await RawConnection.open(server.port);
    // The tracker keeps room for the marker line it adds: `coffer-list-method: <32 hex>` CRLF.
    const largest = 2048 - `${LIST_MARKER_FIELD}: ${'0'.repeat(32)}\r\n`.length;
    const start = `LIST /v1/fits/ HTTP/1.1\r\n${HOST}X-Fill: `;
    await connection.write(`${start}${'a'.repeat(largest - start.length - 4)}\r\n\r\n`);

    const responses = await connection.responses(1);
    assert.deepEqual(responses.map((response) => response.status), [200]);
    assert.equal(server.hits[0]?.method, 'LIST');
  });

  it('answers 431 to a head one byte larger', async () => {
    server = await startApp({ maxHeaderSize: 2048 });
    connection = await RawConnection.open(server.port);
    const largest = 2048 - `${LIST_MARKER_FIELD}: ${'0'.repeat(32)}\r\n`.length;
    const start = `LIST /v1/fits/ HTTP/1.1\r\n${HOST}X-Fill: `;
    await connection.write(`${start}${'a'.repeat(largest - start.length - 3)}\r\n\r\n`);

    const responses = await connection.untilClosed();
    assert.deepEqual(responses.map((response) => response.status), [431]);
    assert.equal((server.clientErrors[0] as FramingError).fault, 'head-too-large');
  });

  it('closes an idle keep-alive connection once keepAliveTimeout passes', async () => {
    server = await startApp({ keepAliveTimeout: 50 });
    connection = await RawConnection.open(server.port);
    await connection.write(`LIST /v1/idle/ HTTP/1.1\r\n${HOST}\r\n`);

    // Node arms the socket's inactivity timer (plus its own one-second margin) on the
    // framed connection, which passes it to the real socket.
    const responses = await connection.untilClosed();
    assert.deepEqual(responses.map((response) => response.status), [200]);
  });

  it('answers 408 and closes when a head stalls past headersTimeout', async () => {
    server = await startApp({ headersTimeout: 100 });
    connection = await RawConnection.open(server.port);
    await connection.write(`LIST /v1/slow/ HTTP/1.1\r\n${HOST}`);

    const responses = await connection.untilClosed();
    assert.deepEqual(responses.map((response) => response.status), [408]);
    assert.equal((server.clientErrors[0] as FramingError).fault, 'head-timeout');
  });
});
