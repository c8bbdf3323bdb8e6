/**
 * An API listener configured with `tls_require_and_verify_client_cert = true`: it completes a
 * request only for a client that presents a certificate from `tls_client_ca_file`, and refuses
 * a client with none or with one from another CA, as Vault's listener does. Without the setting
 * the listener asks for a certificate but serves a client that has none.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';

import { parseServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import {
  generateCa,
  issueCertificate,
  issueNodeCertificate,
  type CertificateBundle,
} from '../../src/util/tls.js';

/** What a client got: the HTTP status, or the error that ended the connection. */
type Outcome = { status: number } | { error: string };

/** How a TLS refusal reaches the client: an alert, or the connection closed under it. */
const REFUSED = /alert|certificate|socket hang up|ECONNRESET/iu;

/** Bounds every request, so a listener that neither answers nor hangs up fails the test. */
const REQUEST_TIMEOUT_MS = 10_000;

function get(port: number, ca: string, client?: CertificateBundle): Promise<Outcome> {
  return new Promise((resolve) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/sys/seal-status',
        method: 'GET',
        ca,
        ...(client === undefined ? {} : { cert: client.certPem, key: client.keyPem }),
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', (err) => resolve({ error: err.message }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', (err) => resolve({ error: err.message }));
    request.end();
  });
}

describe('API listener client certificates', () => {
  let dir: string;
  let server: RunningServer | null = null;
  let serverCa: CertificateBundle;
  let clientCa: CertificateBundle;
  let operator: CertificateBundle;
  let stranger: CertificateBundle;

  before(() => {
    serverCa = generateCa({ commonName: 'Listener CA' });
    clientCa = generateCa({ commonName: 'Client CA' });
    operator = issueCertificate(clientCa, { commonName: 'operator', usages: ['client'] });
    stranger = issueCertificate(generateCa({ commonName: 'Other CA' }), {
      commonName: 'stranger',
      usages: ['client'],
    });
  });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'coffer-listener-cert-'));
  });

  afterEach(async () => {
    await server?.stop();
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts an empty node (it listens, waiting for init) with `listenerKeys` on its listener. */
  async function start(listenerKeys: string): Promise<number> {
    const write = (name: string, pem: string): string => {
      const file = path.join(dir, name);
      writeFileSync(file, pem, { mode: 0o600 });
      return file;
    };
    const api = issueCertificate(serverCa, {
      commonName: 'api',
      subjectAltNames: ['127.0.0.1'],
      usages: ['server'],
    });
    const node = issueNodeCertificate(serverCa, { nodeId: 'node1' });
    const text = [
      `storage "raft" {\n  path = "${path.join(dir, 'data')}"\n  node_id = "node1"\n}`,
      'listener "tcp" {',
      '  address = "127.0.0.1:0"',
      '  cluster_address = "127.0.0.1:0"',
      `  tls_cert_file = "${write('api.pem', api.certPem)}"`,
      `  tls_key_file = "${write('api-key.pem', api.keyPem)}"`,
      `  tls_client_ca_file = "${write('client-ca.pem', clientCa.certPem)}"`,
      listenerKeys,
      '}',
      'cluster_tls {',
      `  ca_file = "${write('ca.pem', serverCa.certPem)}"`,
      `  cert_file = "${write('node.pem', node.certPem)}"`,
      `  key_file = "${write('node-key.pem', node.keyPem)}"`,
      '}',
      'api_addr = "https://127.0.0.1:8200"',
      'cluster_addr = "https://127.0.0.1:8201"',
      '',
    ].join('\n');
    const config = await parseServerConfig(path.join(dir, 'node1.hcl'), text);
    server = await startServer(config, { logger: pino({ level: 'silent' }) });
    const port = server.apiAddresses[0]?.port;
    assert.ok(port !== undefined && port > 0, 'the listener is bound');
    return port;
  }

  describe('with tls_require_and_verify_client_cert = true', () => {
    it('serves a client whose certificate the client CA issued', async () => {
      const port = await start('  tls_require_and_verify_client_cert = true');
      assert.deepEqual(await get(port, serverCa.certPem, operator), { status: 200 });
    });

    it('refuses a client that presents no certificate', async () => {
      const port = await start('  tls_require_and_verify_client_cert = true');
      const outcome = await get(port, serverCa.certPem);
      assert.ok('error' in outcome, `refused, not ${JSON.stringify(outcome)}`);
      assert.match(outcome.error, REFUSED);
    });

    it('refuses a client whose certificate another CA issued', async () => {
      const port = await start('  tls_require_and_verify_client_cert = true');
      const outcome = await get(port, serverCa.certPem, stranger);
      assert.ok('error' in outcome, `refused, not ${JSON.stringify(outcome)}`);
      assert.match(outcome.error, REFUSED);
    });
  });

  describe('without it', () => {
    it('serves a client with no certificate, and one from another CA', async () => {
      const port = await start('  tls_require_and_verify_client_cert = false');
      assert.deepEqual(await get(port, serverCa.certPem), { status: 200 });
      assert.deepEqual(await get(port, serverCa.certPem, stranger), { status: 200 });
    });
  });
});
