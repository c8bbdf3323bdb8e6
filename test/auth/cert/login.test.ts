import assert from 'node:assert/strict';

import { ParsedCertificate } from '../../../src/auth/cert/x509.js';
import { LoginFailedError } from '../../../src/logical/index.js';
import { issue, issueCrl, newKeys, pem, SERVER_AUTH, type Issued } from './pki.js';
import { certHarness, START, type CertHarness } from './support.js';

/** Rejects with a LoginFailedError, whose alias is `alias`. */
async function refused(login: Promise<unknown>, alias: string | null = null): Promise<void> {
  await assert.rejects(login, (error: unknown) => {
    assert.ok(error instanceof LoginFailedError, `expected LoginFailedError, got ${String(error)}`);
    assert.equal(error.httpStatus, 400);
    assert.equal(error.alias, alias);
    return true;
  });
}

describe('cert auth login', () => {
  let cert: CertHarness;
  let root: Issued;
  let intermediate: Issued;
  let client: Issued;

  beforeEach(() => {
    cert = certHarness();
    root = issue({ cn: 'Root CA', ca: true });
    intermediate = issue({ cn: 'Intermediate CA', ca: true, issuer: root });
    client = issue({ cn: 'app.example.com', issuer: root, dns: ['app.example.com'] });
  });

  describe('a CA role', () => {
    it('logs in a client certificate the CA issued, aliased to the role', async () => {
      await cert.role('web', root, { token_policies: 'app', token_ttl: '1h' });
      const auth = await cert.login([client]);
      assert.equal(auth.alias, 'web');
      assert.deepEqual(auth.token.policies, ['app']);
      assert.equal(auth.token.ttl, 3600);
      assert.equal(auth.metadata.cert_name, 'web');
      assert.equal(auth.metadata.common_name, 'app.example.com');
      assert.equal(auth.metadata.serial_number, client.serial.toString(10));
      assert.match(auth.metadata.subject_key_id ?? '', /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
      assert.equal(
        auth.metadata.authority_key_id,
        (root.subjectKeyId.toString('hex').match(/../g) ?? []).join(':'),
      );
    });

    it('logs in through an intermediate the client sends along', async () => {
      const leaf = issue({ cn: 'deep', issuer: intermediate });
      await cert.role('web', root);
      assert.equal((await cert.login([leaf, intermediate])).alias, 'web');
    });

    it('finds the chain whatever order the client sends intermediates in', async () => {
      const second = issue({ cn: 'Second CA', ca: true, issuer: intermediate });
      const leaf = issue({ cn: 'deeper', issuer: second });
      const stranger = issue({ cn: 'Stranger CA', ca: true });
      await cert.role('web', root);
      assert.equal((await cert.login([leaf, stranger, intermediate, second])).alias, 'web');
    });

    it('refuses a leaf issued by an intermediate the client does not send', async () => {
      await cert.role('web', root);
      await refused(cert.login([issue({ issuer: intermediate })]));
    });

    it('anchors on an intermediate role certificate without its root', async () => {
      await cert.role('inter', intermediate);
      assert.equal((await cert.login([issue({ issuer: intermediate })])).alias, 'inter');
      await refused(cert.login([client]));
    });

    it('refuses a client certificate from another CA', async () => {
      const other = issue({ cn: 'Other CA', ca: true });
      await cert.role('web', root);
      await refused(cert.login([issue({ cn: 'app.example.com', issuer: other })]));
    });

    it('refuses a certificate naming the CA as issuer but signed by another key', async () => {
      await cert.role('web', root);
      const forged = issue({ issuer: root, signingKey: newKeys().privateKey });
      await refused(cert.login([forged]));
    });

    it('refuses a CA certificate whose name and key id copy the real one', async () => {
      // Same subject and key identifier as the root, another key: only the signature tells.
      const impostor = issue({ cn: 'Root CA', ca: true });
      const leaf = issue({ issuer: { ...impostor, subjectKeyId: root.subjectKeyId } });
      await cert.role('web', root);
      await refused(cert.login([leaf, impostor]));
    });

    it('refuses a chain through an intermediate that is not a CA', async () => {
      const notCa = issue({ cn: 'Not a CA', issuer: root, keyUsage: null, extKeyUsage: null });
      await cert.role('web', root);
      await refused(cert.login([issue({ issuer: notCa }), notCa]));
    });

    it('refuses a chain through an intermediate without keyCertSign', async () => {
      const noSign = issue({ cn: 'No sign', ca: true, issuer: root, keyUsage: 1 });
      await cert.role('web', root);
      await refused(cert.login([issue({ issuer: noSign }), noSign]));
    });

    it('refuses a chain longer than the CA path length constraint', async () => {
      const limited = issue({ cn: 'Limited Root', ca: true, pathLength: 0 });
      const below = issue({ cn: 'Below', ca: true, issuer: limited });
      await cert.role('limited', limited);
      assert.equal((await cert.login([issue({ issuer: limited })])).alias, 'limited');
      await refused(cert.login([issue({ issuer: below }), below]));
    });

    it('accepts the role CA certificate itself as the client certificate', async () => {
      // A self-signed certificate from `openssl req -x509` is marked CA:TRUE.
      await cert.role('web', root);
      assert.equal((await cert.login([root])).alias, 'web');
      await refused(cert.login([issue({ cn: 'Root CA', ca: true })]));
    });

    it('refuses a leaf whose extended key usage excludes client authentication', async () => {
      await cert.role('web', root);
      await refused(cert.login([issue({ issuer: root, extKeyUsage: [SERVER_AUTH] })]));
      assert.equal((await cert.login([issue({ issuer: root, extKeyUsage: null })])).alias, 'web');
    });

    it('refuses a leaf with a critical extension it does not understand', async () => {
      const critical = { oid: '1.3.6.1.4.1.99999.1', critical: true, value: Buffer.from([5, 0]) };
      await cert.role('web', root);
      await refused(cert.login([issue({ issuer: root, extensions: [critical] })]));
    });
  });

  describe('validity', () => {
    beforeEach(async () => {
      await cert.role('web', root);
    });

    it('refuses an expired client certificate', async () => {
      const expired = issue({ issuer: root, notAfter: '2023-12-31T23:59:59Z' });
      await refused(cert.login([expired]));
    });

    it('refuses a client certificate that is not valid yet', async () => {
      const early = issue({ issuer: root, notBefore: '2024-01-01T00:00:01Z' });
      await refused(cert.login([early]));
      cert.clock.now = START + 1000;
      assert.equal((await cert.login([early])).alias, 'web');
    });

    it('refuses a chain through an expired intermediate', async () => {
      const old = issue({ cn: 'Old CA', ca: true, issuer: root, notAfter: '2023-06-01T00:00:00Z' });
      await refused(cert.login([issue({ issuer: old }), old]));
    });

    it('refuses every login once the role CA certificate has expired', async () => {
      const shortRoot = issue({ cn: 'Short CA', ca: true, notAfter: '2024-06-01T00:00:00Z' });
      await cert.role('short', shortRoot);
      const leaf = issue({ issuer: shortRoot });
      assert.equal((await cert.login([leaf])).alias, 'short');
      cert.clock.now = Date.parse('2024-06-01T00:00:01Z');
      await refused(cert.login([leaf]));
    });
  });

  describe('revocation', () => {
    beforeEach(async () => {
      await cert.role('web', root);
    });

    it('refuses a client certificate a CRL of its issuer revokes', async () => {
      await cert.call('update', 'crls/root', { crl: issueCrl(root, [client]) });
      await refused(cert.login([client]));
      await cert.call('delete', 'crls/root');
      assert.equal((await cert.login([client])).alias, 'web');
    });

    it('refuses a chain through a revoked intermediate', async () => {
      const leaf = issue({ issuer: intermediate });
      await cert.call('update', 'crls/root', { crl: issueCrl(root, [intermediate]) });
      await refused(cert.login([leaf, intermediate]));
    });

    it('ignores a CRL of another issuer listing the same serial number', async () => {
      const other = issue({ cn: 'Other CA', ca: true });
      await cert.call('update', 'crls/other', { crl: issueCrl(other, [client.serial]) });
      assert.equal((await cert.login([client])).alias, 'web');
    });
  });

  describe('a pinned (non-CA) role', () => {
    let pinned: Issued;

    beforeEach(async () => {
      pinned = issue({ cn: 'pinned.example.com' });
      await cert.role('pinned', pinned);
    });

    it('logs in the identical certificate', async () => {
      assert.equal((await cert.login([pinned])).alias, 'pinned');
    });

    it('refuses a certificate with the same subject and key but another serial', async () => {
      const twin = issue({
        cn: 'pinned.example.com',
        keys: pinned.keys,
        serial: pinned.serial + 1n,
      });
      await refused(cert.login([twin]));
    });

    it('refuses the pinned certificate with a single byte changed', async () => {
      // One letter of the subject's common name (after the issuer's): still well-formed.
      const der = Buffer.from(pinned.der);
      const at = der.lastIndexOf('pinned.example.com') + 'pinned.example.co'.length;
      der[at] = 'n'.charCodeAt(0);
      assert.equal(ParsedCertificate.fromDer(der, 'test').commonNames[0], 'pinned.example.con');
      await refused(cert.login([pem('CERTIFICATE', der)]));
    });

    it('refuses a certificate the pinned certificate issued', async () => {
      await refused(cert.login([issue({ issuer: pinned })]));
    });

    it('refuses the pinned certificate once it has expired', async () => {
      cert.clock.now = Date.parse('2030-01-01T00:00:01Z');
      await refused(cert.login([pinned]));
    });

    it('refuses the pinned certificate once revoked', async () => {
      const issuer = issue({ cn: 'Issuer CA', ca: true });
      const issuedLeaf = issue({ cn: 'issued', issuer });
      await cert.role('issued', issuedLeaf);
      assert.equal((await cert.login([issuedLeaf])).alias, 'issued');
      await cert.call('update', 'crls/issuer', { crl: issueCrl(issuer, [issuedLeaf]) });
      await refused(cert.login([issuedLeaf]));
    });
  });

  describe('role selection', () => {
    it('tries only the role `name` picks, and counts failures against it', async () => {
      await cert.role('web', root, { allowed_common_names: 'other' });
      await cert.role('any', root);
      assert.equal((await cert.login([client])).alias, 'any');
      await refused(cert.login([client], { name: 'web' }), 'web');
      assert.equal((await cert.login([client], { name: 'ANY' })).alias, 'any');
    });

    it('refuses a `name` with no role behind it', async () => {
      await cert.role('web', root);
      await refused(cert.login([client], { name: 'nope' }), 'nope');
    });

    it('prefers a pinned role to a CA role, and then the first role by name', async () => {
      await cert.role('b-ca', root);
      await cert.role('a-ca', root);
      assert.equal((await cert.login([client])).alias, 'a-ca');
      await cert.role('z-pinned', client);
      assert.equal((await cert.login([client])).alias, 'z-pinned');
    });

    it('reports the alias of a login request only when it names a role', () => {
      const alias = (data: Record<string, unknown>, path = 'login'): string | null =>
        cert.backend.loginAlias?.({ path, data }) ?? null;
      assert.equal(alias({ name: ' Web ' }), 'web');
      assert.equal(alias({}), null);
      assert.equal(alias({ name: '' }), null);
      assert.equal(alias({ name: 'web' }, 'certs/web'), null);
    });

    it('serves only login without a token', () => {
      assert.equal(cert.backend.isLoginPath('login'), true);
      assert.equal(cert.backend.isLoginPath('certs/web'), false);
      assert.equal(cert.backend.isLoginPath('config'), false);
    });
  });

  describe('bad client input', () => {
    beforeEach(async () => {
      await cert.role('web', root);
    });

    it('refuses a login without a client certificate', async () => {
      await refused(cert.login([]));
    });

    it('refuses a client certificate that is not PEM or not a certificate', async () => {
      await refused(cert.login(['not a certificate']));
      await refused(cert.login(['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----']));
    });

    it('bounds the chain search when every certificate "issues" every other', async () => {
      // Same name and key: each of these passes the issuer check of each other one.
      const keys = newKeys();
      const tangle = Array.from({ length: 9 }, () => issue({ cn: 'Tangle', ca: true, keys }));
      const leaf = issue({ issuer: tangle[0] });
      const isIssuedBy = ParsedCertificate.prototype.isIssuedBy;
      let checks = 0;
      ParsedCertificate.prototype.isIssuedBy = function (this: ParsedCertificate, issuer) {
        checks += 1;
        return isIssuedBy.call(this, issuer);
      };
      try {
        await refused(cert.login([leaf, ...tangle]));
      } finally {
        ParsedCertificate.prototype.isIssuedBy = isIssuedBy;
      }
      assert.ok(checks <= 10 * 10, `${checks} issuer checks for 10 certificates`);
    });

    it('refuses a chain longer than ten certificates', async () => {
      await refused(cert.login([client, ...Array.from({ length: 10 }, () => intermediate)]));
    });
  });
});
