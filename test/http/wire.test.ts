import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';

import type { BackendFactory } from '../../src/logical/index.js';
import { generateCa, issueCertificate, type CertificateBundle } from '../../src/util/tls.js';
import { initAndUnsealOverHttp, startNode, wireRequest, type Node } from './support.js';

/** A "kv" engine that answers with what the pipeline told it about the connection. */
const echoEngine: BackendFactory = () => ({
  handleRequest: async (request) => ({
    data: {
      remoteAddress: request.connection.remoteAddress,
      tls: request.connection.tls,
      verified: request.connection.peerCertificateVerified,
      chain: request.connection.peerCertificates,
      headers: Object.keys(request.headers),
    },
  }),
});

describe('HTTP API over TLS sockets', () => {
  let ca: CertificateBundle;
  let serverCert: CertificateBundle;
  let clientCert: CertificateBundle;

  before(() => {
    ca = generateCa({ commonName: 'Coffer test CA' });
    serverCert = issueCertificate(ca, {
      commonName: '127.0.0.1',
      subjectAltNames: ['127.0.0.1'],
      usages: ['server'],
    });
    clientCert = issueCertificate(ca, { commonName: 'client-app', usages: ['client'] });
  });

  const startTls = async (
    options: Parameters<typeof startNode>[0] = {},
  ): Promise<{ node: Node; port: number }> => {
    const node = startNode(options, {
      tls: { cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem, requestCert: true },
    });
    const address = await node.server.listen({ host: '127.0.0.1', port: 0 });
    return { node, port: address.port };
  };

  describe('the KV v2 flow', () => {
    let node: Node;
    let port: number;
    let token: Record<string, string>;
    const call = (method: string, path: string, body?: unknown, headers = token) =>
      wireRequest({
        port,
        method,
        path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        ca: ca.certPem,
      });

    before(async () => {
      ({ node, port } = await startTls());
      const init = await call('PUT', '/v1/sys/init', { secret_shares: 5, secret_threshold: 3 }, {});
      assert.equal(init.status, 200);
      const { keys, root_token: rootToken } = JSON.parse(init.body) as {
        keys: string[];
        root_token: string;
      };
      for (const key of keys.slice(1, 4)) {
        const unsealed = await call('PUT', '/v1/sys/unseal', { key }, {});
        assert.equal(unsealed.status, 200);
      }
      token = { 'X-Vault-Token': rootToken };
    });

    after(async () => {
      await node.server.close();
    });

    it('writes without a Content-Type and reads back, with exact JSON headers', async () => {
      const written = await call('POST', '/v1/secret/data/team/app', { data: { pw: 'x' } });
      assert.equal(written.status, 200);
      assert.equal(written.headers['content-type'], 'application/json');
      assert.equal(written.headers['cache-control'], 'no-store');

      const read = await call('GET', '/v1/secret/data/team/app');
      assert.deepEqual((JSON.parse(read.body) as { data: { data: unknown } }).data.data, {
        pw: 'x',
      });
    });

    it('lists with a real LIST request and with GET ?list=true', async () => {
      await call('POST', '/v1/secret/data/team/other', { data: { pw: 'y' } });
      const listed = await call('LIST', '/v1/secret/metadata/team');
      assert.equal(listed.status, 200);
      assert.deepEqual((JSON.parse(listed.body) as { data: unknown }).data, {
        keys: ['app', 'other'],
      });
      const queried = await call('GET', '/v1/secret/metadata/?list=true');
      assert.deepEqual((JSON.parse(queried.body) as { data: unknown }).data, { keys: ['team/'] });
    });

    it('answers a delete with 204 and no body', async () => {
      await call('POST', '/v1/secret/data/gone', { data: { a: 1 } });
      const deleted = await call('DELETE', '/v1/secret/data/gone');
      assert.equal(deleted.status, 204);
      assert.equal(deleted.body, '');
      assert.equal((await call('GET', '/v1/secret/data/gone')).status, 404);
    });

    it('refuses encoded traversal that a proxy would not normalise', async () => {
      for (const path of ['/v1/secret/%2e%2e/sys/key-status', '/v1/secret/%2E./sys/mounts']) {
        const response = await call('GET', path);
        assert.equal(response.status, 400, path);
        assert.match(response.body, /invalid request path/);
      }
    });

    it('answers a missing and a wrong token with the same bytes', async () => {
      const missing = await call('GET', '/v1/secret/data/team/app', undefined, {});
      const wrong = await call('GET', '/v1/secret/data/team/app', undefined, {
        'X-Vault-Token': 'hvs.wrong',
      });
      assert.equal(missing.status, 403);
      assert.equal(wrong.status, 403);
      assert.equal(missing.body, wrong.body);
      assert.equal(missing.headers['content-type'], 'application/json');
    });

    it('answers a malformed request line in the errors envelope', async () => {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem }, () => {
          socket.write('NOT A REQUEST\r\n\r\n');
        });
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(reply, /^HTTP\/1\.1 400 /);
      assert.match(reply, /\r\nContent-Type: application\/json\r\n/);
      assert.match(reply, /\{"errors":\["bad request"\]\}$/);
    });
  });

  describe('connection details', () => {
    it('hands the engine the client address and verified certificate chain', async () => {
      const { node, port } = await startTls({ engines: { kv: echoEngine } });
      try {
        const { rootToken } = await initAndUnsealOverHttp(node.app);
        const response = await wireRequest({
          port,
          method: 'GET',
          path: '/v1/secret/anything',
          headers: { 'X-Vault-Token': rootToken },
          ca: ca.certPem,
          cert: clientCert.certPem,
          key: clientCert.keyPem,
        });
        const data = (JSON.parse(response.body) as { data: Record<string, unknown> }).data;
        assert.equal(data.remoteAddress, '127.0.0.1');
        assert.equal(data.tls, true);
        assert.equal(data.verified, true);
        const chain = data.chain as string[];
        assert.equal(chain.length >= 1, true);
        assert.equal(
          new X509Certificate(chain[0] as string).fingerprint256,
          new X509Certificate(clientCert.certPem).fingerprint256,
        );
        assert.equal((data.headers as string[]).includes('x-vault-token'), false);
      } finally {
        await node.server.close();
      }
    });
  });
});
