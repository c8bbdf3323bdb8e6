/**
 * The TLS settings against an HTTPS server that asks for a client certificate: the CA to trust
 * (`-ca-cert`, VAULT_CACERT, COFFER_CACERT), the client certificate and key (`-client-cert`,
 * `-client-key`, VAULT_CLIENT_CERT, VAULT_CLIENT_KEY) and VAULT_SKIP_VERIFY / `-tls-skip-verify`,
 * each checked by what the TLS handshake saw.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, id_ce_subjectAltName, SubjectAlternativeName } from '@peculiar/asn1-x509';

import { issue, SERVER_AUTH, type Issued } from '../auth/cert/pki.js';
import { CliEnv } from './support.js';

function keyPem(cert: Issued): string {
  return cert.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

describe('coffer TLS settings (against an HTTPS server asking for a client certificate)', () => {
  let server: https.Server;
  let address: string;
  let cli: CliEnv;
  /** The common name of the verified client certificate of each request; '' for none. */
  let clients: string[];
  const files: Record<'ca' | 'otherCa' | 'cert' | 'key', string> = {
    ca: '',
    otherCa: '',
    cert: '',
    key: '',
  };

  before(async () => {
    const ca = issue({ cn: 'CLI Test CA', ca: true });
    const san = new SubjectAlternativeName([new GeneralName({ iPAddress: '127.0.0.1' })]);
    const serverCert = issue({
      cn: '127.0.0.1',
      issuer: ca,
      extKeyUsage: [SERVER_AUTH],
      extensions: [{ oid: id_ce_subjectAltName, value: new Uint8Array(AsnConvert.serialize(san)) }],
    });
    const client = issue({ cn: 'cli-client', issuer: ca });
    const otherCa = issue({ cn: 'Another CA', ca: true });
    server = https.createServer(
      {
        key: keyPem(serverCert),
        cert: serverCert.pem,
        ca: ca.pem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        const name = typeof peer.subject?.CN === 'string' ? peer.subject.CN : '';
        clients.push(socket.authorized ? name : '');
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ data: { answer: 'yes' } }));
      },
    );
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cli = new CliEnv(address, { VAULT_TOKEN: 'hvs.TOKEN' });
    files.ca = join(cli.home, 'ca.pem');
    files.otherCa = join(cli.home, 'other-ca.pem');
    files.cert = join(cli.home, 'client.pem');
    files.key = join(cli.home, 'client-key.pem');
    writeFileSync(files.ca, ca.pem);
    writeFileSync(files.otherCa, otherCa.pem);
    writeFileSync(files.cert, client.pem);
    writeFileSync(files.key, keyPem(client), { mode: 0o600 });
  });

  beforeEach(() => {
    clients = [];
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
    cli.cleanup();
  });

  const read = ['read', '-field=answer', 'sys/anything'];

  it('trusts the CA named by -ca-cert, VAULT_CACERT or COFFER_CACERT, and no other', async () => {
    const flag = await cli.run([...read, `-ca-cert=${files.ca}`]);
    assert.equal(flag.status, 0, flag.err);
    assert.equal(flag.out, 'yes');

    cli.env.VAULT_CACERT = files.ca;
    assert.equal((await cli.run(read)).status, 0);
    cli.env.VAULT_CACERT = files.otherCa;
    const wrong = await cli.run(read);
    assert.equal(wrong.status, 2, 'a server signed by another CA is refused');
    assert.match(wrong.err, /^Error reading sys\/anything: GET https:\/\/127\.0\.0\.1:\d+\/v1\//);
    cli.env.COFFER_CACERT = files.ca;
    assert.equal((await cli.run(read)).status, 0, 'COFFER_CACERT wins over VAULT_CACERT');
    delete cli.env.COFFER_CACERT;
    delete cli.env.VAULT_CACERT;
    assert.deepEqual(clients, ['', '', '']);
  });

  it('presents the client certificate of -client-cert/-client-key or the variables', async () => {
    const flags = [
      `-ca-cert=${files.ca}`,
      `-client-cert=${files.cert}`,
      `-client-key=${files.key}`,
    ];
    assert.equal((await cli.run([...read, ...flags])).status, 0);

    const env = new CliEnv(address, {
      VAULT_TOKEN: 'hvs.TOKEN',
      VAULT_CACERT: files.ca,
      VAULT_CLIENT_CERT: files.cert,
      VAULT_CLIENT_KEY: files.key,
    });
    try {
      const result = await env.run(read);
      assert.equal(result.status, 0, result.err);
    } finally {
      env.cleanup();
    }
    assert.deepEqual(clients, ['cli-client', 'cli-client']);

    const half = await cli.run([...read, `-ca-cert=${files.ca}`, `-client-cert=${files.cert}`]);
    assert.equal(half.status, 1);
    assert.match(half.err, /^A client certificate needs its key/);
    const missing = join(cli.home, 'nope.pem');
    const unreadable = await cli.run([...read, ...flags.slice(0, 2), `-client-key=${missing}`]);
    assert.equal(unreadable.status, 1);
    assert.equal(unreadable.err, `Error reading the client key file ${missing}\n`);
  });

  it('skips verification with VAULT_SKIP_VERIFY or -tls-skip-verify', async () => {
    const refused = await cli.run(read);
    assert.equal(refused.status, 2, 'the server is not trusted without its CA');
    cli.env.VAULT_SKIP_VERIFY = 'true';
    try {
      assert.equal((await cli.run(read)).status, 0);
    } finally {
      delete cli.env.VAULT_SKIP_VERIFY;
    }
    const flag = await cli.run([...read, '-tls-skip-verify']);
    assert.equal(flag.status, 0, flag.err);
    assert.equal(flag.out, 'yes');
    // Go's boolean flags take a value too.
    assert.equal((await cli.run([...read, '-tls-skip-verify=true'])).status, 0);
    assert.equal((await cli.run([...read, '-tls-skip-verify=false'])).status, 2);
  });
});
