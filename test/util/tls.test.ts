import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  TlsMaterialError,
  certificateCommonName,
  generateCa,
  isValidNodeId,
  issueCertificate,
  issueNodeCertificate,
  peerNodeId,
} from '../../src/util/tls.js';
import type { CertificateBundle } from '../../src/util/tls.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Connects a TLS client with `client` to a server with `server`; returns what the server saw. */
async function handshake(
  ca: CertificateBundle,
  server: CertificateBundle,
  client: CertificateBundle,
): Promise<string | null> {
  let seen: string | null = null;
  // The server lets unverified clients through so peerNodeId itself must tell them apart.
  const options = { ca: ca.certPem, cert: server.certPem, key: server.keyPem, requestCert: true };
  const listener = createServer(
    { ...options, rejectUnauthorized: false },
    (socket: TLSSocket) => {
      seen = peerNodeId(socket);
      socket.end();
    },
  );
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as AddressInfo).port;
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca: ca.certPem,
        cert: client.certPem,
        key: client.keyPem,
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
      socket.resume();
    });
  } finally {
    await new Promise((resolve) => listener.close(resolve));
  }
  return seen;
}

describe('tls', () => {
  let ca: CertificateBundle;
  let node: CertificateBundle;

  before(() => {
    ca = generateCa({ commonName: 'unit CA' });
    node = issueNodeCertificate(ca, {
      nodeId: 'node1',
      subjectAltNames: ['10.1.2.3', 'coffer-1.internal'],
    });
  });

  describe('generateCa', () => {
    it('creates a self-signed CA certificate allowed to sign certificates', () => {
      const cert = new X509Certificate(ca.certPem);
      assert.equal(cert.ca, true);
      assert.equal(cert.subject, 'CN=unit CA');
      assert.equal(cert.issuer, cert.subject);
      assert.ok(cert.verify(cert.publicKey));
      assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----/);
    });
  });

  describe('issueNodeCertificate', () => {
    it('names the node in the CN and covers loopback plus the extra SANs', () => {
      const cert = new X509Certificate(node.certPem);
      assert.equal(cert.subject, 'CN=node1');
      assert.equal(cert.ca, false);
      assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
      assert.equal(cert.checkHost('localhost'), 'localhost');
      assert.equal(cert.checkIP('10.1.2.3'), '10.1.2.3');
      assert.equal(cert.checkHost('coffer-1.internal'), 'coffer-1.internal');
      assert.equal(cert.checkHost('other.internal'), undefined);
    });

    it('is signed by the CA and usable for both server and client authentication', () => {
      const cert = new X509Certificate(node.certPem);
      const caCert = new X509Certificate(ca.certPem);
      assert.ok(cert.checkIssued(caCert));
      assert.ok(cert.verify(caCert.publicKey));
      assert.deepEqual([...(cert.keyUsage ?? [])].sort(), [SERVER_AUTH, CLIENT_AUTH]);
    });

    it('does not verify against another CA', () => {
      const other = generateCa({ commonName: 'unit CA' });
      const otherKey = new X509Certificate(other.certPem).publicKey;
      assert.equal(new X509Certificate(node.certPem).verify(otherKey), false);
    });

    it('reuses a given key instead of generating one', () => {
      const renewed = issueNodeCertificate(ca, { nodeId: 'node1', keyPem: node.keyPem });
      assert.equal(renewed.keyPem, node.keyPem);
      const renewedKey = new X509Certificate(renewed.certPem).publicKey;
      assert.ok(renewedKey.equals(new X509Certificate(node.certPem).publicKey));
    });

    it('refuses an invalid node id', () => {
      assert.throws(() => issueNodeCertificate(ca, { nodeId: 'node 1' }), TlsMaterialError);
      assert.throws(() => issueNodeCertificate(ca, { nodeId: '' }), TlsMaterialError);
      assert.equal(isValidNodeId('node-1.a_b'), true);
      assert.equal(isValidNodeId('-node'), false);
    });
  });

  describe('issueCertificate', () => {
    it('issues a client-only certificate when asked', () => {
      const client = issueCertificate(ca, {
        commonName: 'alice',
        usages: ['client'],
        keyPem: node.keyPem,
      });
      assert.deepEqual(new X509Certificate(client.certPem).keyUsage, [CLIENT_AUTH]);
    });

    it('refuses a CA bundle that does not parse', () => {
      const broken = { certPem: 'junk', keyPem: ca.keyPem };
      assert.throws(
        () => issueCertificate(broken, { commonName: 'x', keyPem: node.keyPem }),
        TlsMaterialError,
      );
    });
  });

  describe('certificateCommonName and peerNodeId', () => {
    it('reads the CN from PEM, X509Certificate and peer certificate shapes', () => {
      assert.equal(certificateCommonName(node.certPem), 'node1');
      assert.equal(certificateCommonName(new X509Certificate(node.certPem)), 'node1');
      type PeerShape = Parameters<typeof certificateCommonName>[0];
      const peer = { subject: { CN: 'node1' } } as unknown as PeerShape;
      assert.equal(certificateCommonName(peer), 'node1');
      const twoNames = { subject: { CN: ['a', 'b'] } } as unknown as PeerShape;
      assert.equal(certificateCommonName(twoNames), null);
    });

    it('returns the node id of a verified TLS peer and null for an unverified one', async () => {
      const peer2 = issueNodeCertificate(ca, { nodeId: 'node2', keyPem: node.keyPem });
      assert.equal(await handshake(ca, node, peer2), 'node2');

      const stranger = generateCa({ commonName: 'stranger' });
      const outsider = issueNodeCertificate(stranger, { nodeId: 'node2', keyPem: node.keyPem });
      assert.equal(await handshake(ca, node, outsider), null);
    });
  });
});
