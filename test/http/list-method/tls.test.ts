import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { promisify } from 'node:util';
import type { FastifyRequest } from 'fastify';
import { FramedTlsConnection, tlsSocketOf } from '../../../src/http/list-method/index.js';
import type { FramingError } from '../../../src/http/list-method/index.js';
import { generateCa, issueCertificate } from '../../../src/util/tls.js';
import type { CertificateBundle } from '../../../src/util/tls.js';
import { RawConnection } from './raw-client.js';
import { startApp } from './test-app.js';
import type { TestApp } from './test-app.js';

const HOST = 'Host: 127.0.0.1\r\n';
const TEXT = 'Content-Type: text/plain\r\n';
const CURL = ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'].find((file) => existsSync(file)) ?? 'curl'; // .ci/run installs curl when it is missing

/** What a route read from `request.raw.socket` about the TLS client. */
interface PeerView {
  protocol: string;
  framed: boolean;
  authorized: boolean;
  authorizationError: string | null;
  subject: string | null;
  viaAccessor: string | null;
}

/** Reads the client's TLS state the ways an auth method could. */
function peerView(request: FastifyRequest): PeerView {
  const socket = request.raw.socket as unknown as FramedTlsConnection;
  const certificate = socket.getPeerCertificate();
  const viaAccessor = tlsSocketOf(request.raw.socket)?.getPeerCertificate().subject?.CN;
  return {
    protocol: request.protocol,
    framed: socket instanceof FramedTlsConnection,
    authorized: socket.authorized,
    authorizationError: socket.authorizationError,
    subject: (certificate.subject?.CN as string | undefined) ?? null,
    viaAccessor: (viaAccessor as string | undefined) ?? null,
  };
}

describe('createVaultServer over TLS', () => {
  let ca: CertificateBundle;
  let serverCert: CertificateBundle;
  let clientCert: CertificateBundle;
  let strangerCert: CertificateBundle;
  let server: TestApp;
  let connection: RawConnection | undefined;

  before(() => {
    ca = generateCa({ commonName: 'Test API CA' });
    serverCert = issueCertificate(ca, {
      commonName: 'api',
      subjectAltNames: ['127.0.0.1'],
      usages: ['server'],
    });
    clientCert = issueCertificate(ca, { commonName: 'operator', usages: ['client'] });
    strangerCert = issueCertificate(generateCa({ commonName: 'Other CA' }), {
      commonName: 'stranger',
      usages: ['client'],
    });
  });

  beforeEach(async () => {
    const tlsOptions = {
      cert: serverCert.certPem,
      key: serverCert.keyPem,
      ca: ca.certPem,
      requestCert: true,
    };
    server = await startApp({ tls: tlsOptions }, (app) => {
      app.get('/peer', async (request) => peerView(request));
    });
  });

  afterEach(async () => {
    connection?.destroy();
    await server.close();
  });

  const trusting = (extra: tls.ConnectionOptions = {}): tls.ConnectionOptions => ({
    ca: ca.certPem,
    ...extra,
  });

  it('answers pipelined GET, LIST with a body, chunked POST and LIST in order', async () => {
    connection = await RawConnection.openTls(server.port, trusting());
    await connection.write(
      `GET /v1/one HTTP/1.1\r\n${HOST}\r\n` +
        `LIST /v1/two/ HTTP/1.1\r\n${HOST}${TEXT}Content-Length: 3\r\n\r\nabc` +
        `POST /v1/three HTTP/1.1\r\n${HOST}${TEXT}Transfer-Encoding: chunked\r\n\r\n` +
        `2;x="y"\r\nhi\r\n0\r\nX-T: 1\r\n\r\n` +
        `LIST /v1/four/ HTTP/1.1\r\n${HOST}\r\n`,
    );

    const responses = await connection.responses(4);
    assert.deepEqual(
      responses.map((response) => {
        const hit = JSON.parse(response.body) as { method: string; url: string; body: unknown };
        return [response.status, hit.method, hit.url, hit.body];
      }),
      [
        [200, 'GET', '/v1/one', null],
        [200, 'LIST', '/v1/two/', 'abc'],
        [200, 'POST', '/v1/three', 'hi'],
        [200, 'LIST', '/v1/four/', null],
      ],
    );
  });

  it('works when every byte arrives in its own write', async () => {
    connection = await RawConnection.openTls(server.port, trusting());
    await connection.writeBytewise(`LIST /v1/slow/ HTTP/1.1\r\n${HOST}\r\n`);

    const [response] = await connection.responses(1);
    assert.equal(JSON.parse(response?.body ?? '{}').method, 'LIST');
  });

  it('exposes a verified client certificate through request.raw.socket', async () => {
    connection = await RawConnection.openTls(
      server.port,
      trusting({ cert: clientCert.certPem, key: clientCert.keyPem }),
    );
    await connection.write(`GET /peer HTTP/1.1\r\n${HOST}\r\n`);

    const [response] = await connection.responses(1);
    assert.deepEqual(JSON.parse(response?.body ?? '{}'), {
      protocol: 'https',
      framed: true,
      authorized: true,
      authorizationError: null,
      subject: 'operator',
      viaAccessor: 'operator',
    } satisfies PeerView);
  });

  it('reports a certificate from another CA as unauthorized, without refusing it', async () => {
    connection = await RawConnection.openTls(
      server.port,
      trusting({ cert: strangerCert.certPem, key: strangerCert.keyPem }),
    );
    await connection.write(`GET /peer HTTP/1.1\r\n${HOST}\r\n`);

    const [response] = await connection.responses(1);
    const view = JSON.parse(response?.body ?? '{}') as PeerView;
    assert.equal(view.authorized, false);
    assert.equal(view.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(view.subject, 'stranger');
  });

  it('serves a client without a certificate', async () => {
    connection = await RawConnection.openTls(server.port, trusting());
    await connection.write(`GET /peer HTTP/1.1\r\n${HOST}\r\n`);

    const [response] = await connection.responses(1);
    const view = JSON.parse(response?.body ?? '{}') as PeerView;
    assert.deepEqual([view.authorized, view.subject], [false, null]);
  });

  it('answers 400 and closes on ambiguous framing', async () => {
    connection = await RawConnection.openTls(server.port, trusting());
    await connection.write(
      `POST /v1/front HTTP/1.1\r\n${HOST}Content-Length: 5\r\n` +
        'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );

    const responses = await connection.untilClosed();
    assert.deepEqual(responses.map((response) => response.status), [400]);
    assert.deepEqual(server.hits, []);
    const error = server.clientErrors[0] as FramingError;
    assert.equal(error.fault, 'content-length-with-transfer-encoding');
  });

  {
    it('answers LIST sent by the curl binary with a client certificate', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'coffer-list-'));
      try {
        const file = (name: string, pem: string): string => {
          writeFileSync(path.join(dir, name), pem, { mode: 0o600 });
          return path.join(dir, name);
        };
        const url = `https://127.0.0.1:${server.port}/v1/secret/metadata/`;
        const { stdout } = await promisify(execFile)(CURL, [
          '-sS',
          '-X',
          'LIST',
          '--cacert',
          file('ca.pem', ca.certPem),
          '--cert',
          file('cert.pem', clientCert.certPem),
          '--key',
          file('key.pem', clientCert.keyPem),
          url,
        ]);
        assert.equal(JSON.parse(stdout).method, 'LIST');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
