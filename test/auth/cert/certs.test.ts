import assert from 'node:assert/strict';

import { LogicalError, makeRequest } from '../../../src/logical/index.js';
import { issue, pem, type Issued } from './pki.js';
import { certHarness, type CertHarness } from './support.js';

/** Rejects with a 400 whose message matches `message`. */
async function badRequest(call: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof LogicalError, `expected a 400, got ${String(error)}`);
    assert.equal(error.httpStatus, 400);
    assert.match(error.message, message);
    return true;
  });
}

describe('cert auth roles (certs/)', () => {
  let cert: CertHarness;
  let ca: Issued;

  beforeEach(() => {
    cert = certHarness();
    ca = issue({ cn: 'Root CA', ca: true });
  });

  describe('writing and reading', () => {
    it('reads a role back in Vault shape, token fields included', async () => {
      await cert.role('web', ca, {
        allowed_common_names: 'a.example.com, *.b.example.com',
        allowed_dns_sans: ['x.example.com'],
        allowed_organizational_units: 'eng',
        required_extensions: ['1.2.3.4:foo*'],
        token_policies: ['Dev', 'ops'],
        token_ttl: '10m',
        display_name: 'Web Clients',
      });
      const data = (await cert.call('read', 'certs/web'))?.data;
      assert.equal(data?.certificate, ca.pem);
      assert.equal(data?.display_name, 'Web Clients');
      assert.deepEqual(data?.allowed_common_names, ['a.example.com', '*.b.example.com']);
      assert.deepEqual(data?.allowed_dns_sans, ['x.example.com']);
      assert.deepEqual(data?.allowed_email_sans, []);
      assert.deepEqual(data?.allowed_uri_sans, []);
      assert.deepEqual(data?.allowed_names, []);
      assert.deepEqual(data?.allowed_organizational_units, ['eng']);
      assert.deepEqual(data?.required_extensions, ['1.2.3.4:foo*']);
      assert.deepEqual(data?.allowed_metadata_extensions, []);
      assert.equal(data?.ocsp_enabled, false);
      assert.deepEqual(data?.token_policies, ['dev', 'ops']);
      assert.deepEqual(data?.policies, ['dev', 'ops']);
      assert.equal(data?.token_ttl, 600);
      assert.equal(data?.token_type, 'default');
    });

    it('lower-cases role names and defaults the display name to the name', async () => {
      await cert.role('Web', ca);
      const data = (await cert.call('read', 'certs/WEB'))?.data;
      assert.equal(data?.display_name, 'web');
      assert.deepEqual((await cert.call('list', 'certs/'))?.data, { keys: ['web'] });
    });

    it('keeps the fields an update does not carry', async () => {
      await cert.role('web', ca, { allowed_dns_sans: 'a.example.com', token_ttl: 60 });
      await cert.call('update', 'certs/web', { token_max_ttl: 120 });
      const data = (await cert.call('read', 'certs/web'))?.data;
      assert.equal(data?.certificate, ca.pem);
      assert.deepEqual(data?.allowed_dns_sans, ['a.example.com']);
      assert.equal(data?.token_ttl, 60);
      assert.equal(data?.token_max_ttl, 120);
    });

    it('accepts the deprecated lease, ttl and max_ttl fields', async () => {
      await cert.role('a', ca, { lease: 30 });
      await cert.role('b', ca, { ttl: '2m', max_ttl: '5m' });
      assert.equal((await cert.call('read', 'certs/a'))?.data?.token_ttl, 30);
      const b = (await cert.call('read', 'certs/b'))?.data;
      assert.equal(b?.token_ttl, 120);
      assert.equal(b?.token_max_ttl, 300);
    });

    it('stores the certificate in canonical PEM, whatever the line breaks', async () => {
      const body = ca.der.toString('base64');
      const oneLine = `-----BEGIN CERTIFICATE-----${body}-----END CERTIFICATE-----`;
      await cert.role('web', oneLine);
      assert.equal((await cert.call('read', 'certs/web'))?.data?.certificate, ca.pem);
    });

    it('answers the existence check for the ACL', async () => {
      const exists = (path: string): Promise<boolean | undefined> | undefined =>
        cert.backend.existenceCheck?.(makeRequest({ operation: 'update', path }, () => 'id'));
      assert.equal(await exists('certs/web'), false);
      await cert.role('web', ca);
      assert.equal(await exists('certs/web'), true);
    });

    it('deletes a role', async () => {
      await cert.role('web', ca);
      assert.equal(await cert.call('delete', 'certs/web'), null);
      assert.equal(await cert.call('read', 'certs/web'), null);
      assert.deepEqual((await cert.call('list', 'certs/'))?.data, { keys: [] });
    });
  });

  describe('refusing bad input with a 400', () => {
    it('refuses a new role without a certificate', async () => {
      await badRequest(cert.call('update', 'certs/web', {}), /missing certificate/);
    });

    it('refuses text that holds no PEM block', async () => {
      await badRequest(cert.role('web', 'hello'), /certificate: no PEM block found/);
    });

    it('refuses a PEM block whose body is not base64', async () => {
      const broken = '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n';
      await badRequest(cert.role('web', broken), /not valid base64/);
    });

    it('refuses a PEM block whose labels disagree', async () => {
      const mixed = ca.pem.replace('END CERTIFICATE', 'END X509 CRL');
      await badRequest(cert.role('web', mixed), /ends as/);
    });

    it('refuses base64 that is not a certificate', async () => {
      await badRequest(
        cert.role('web', pem('CERTIFICATE', Buffer.from('not der at all'))),
        /certificate: not a valid X.509 certificate/,
      );
    });

    it('refuses a private key pasted along with the certificate, storing nothing', async () => {
      const key = ca.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await badRequest(cert.role('web', ca.pem + key), /found "PRIVATE KEY"/);
      assert.deepEqual(cert.storage.paths(), []);
    });

    it('refuses a bundle of several certificates', async () => {
      const other = issue({ cn: 'Other CA', ca: true });
      await badRequest(cert.role('web', ca.pem + other.pem), /exactly one "CERTIFICATE"/);
    });

    it('refuses a certificate that has already expired', async () => {
      const old = issue({ cn: 'Old', ca: true, notAfter: '2023-06-01T00:00:00Z' });
      await badRequest(cert.role('web', old), /has expired/);
    });

    it('refuses a certificate with a critical extension logins cannot honour', async () => {
      // Name constraints (2.5.29.30) are not enforced, so a CA carrying them is refused.
      const constrained = issue({
        cn: 'Constrained',
        ca: true,
        extensions: [{ oid: '2.5.29.30', critical: true, value: Buffer.from([0x30, 0x00]) }],
      });
      await badRequest(cert.role('web', constrained), /unsupported critical extension 2.5.29.30/);
    });

    it('refuses a CA certificate that may not sign certificates', async () => {
      const noSign = issue({ cn: 'No sign', ca: true, keyUsage: 1 });
      await badRequest(cert.role('web', noSign), /does not allow signing certificates/);
    });

    it('refuses malformed required_extensions and allowed_metadata_extensions', async () => {
      await badRequest(cert.role('web', ca, { required_extensions: 'nocolon' }), /required_ext/);
      await badRequest(cert.role('web', ca, { required_extensions: 'a.b:c' }), /required_ext/);
      await badRequest(
        cert.role('web', ca, { allowed_metadata_extensions: '1.2.x' }),
        /allowed_metadata_extensions/,
      );
    });

    it('refuses ocsp_enabled, which Coffer does not support', async () => {
      await badRequest(cert.role('web', ca, { ocsp_enabled: true }), /OCSP/);
      await cert.role('web', ca, { ocsp_enabled: false });
    });

    it('refuses bad token fields', async () => {
      await badRequest(cert.role('web', ca, { token_ttl: '2h', token_max_ttl: '1h' }), /token_ttl/);
      await badRequest(cert.role('web', ca, { token_bound_cidrs: 'nope' }), /CIDR/);
      await badRequest(cert.role('web', ca, { lease: -1 }), /negative/);
    });

    it('leaves a role unchanged when an update is refused', async () => {
      await cert.role('web', ca, { token_ttl: 60 });
      await badRequest(cert.call('update', 'certs/web', { certificate: 'junk' }), /PEM/);
      assert.equal((await cert.call('read', 'certs/web'))?.data?.certificate, ca.pem);
    });
  });
});
