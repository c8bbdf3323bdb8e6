import assert from 'node:assert/strict';

import { LogicalError } from '../../../src/logical/index.js';
import { issue, issueCrl, pem, type Issued } from './pki.js';
import { certHarness, type CertHarness } from './support.js';

async function badRequest(call: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof LogicalError, `expected a 400, got ${String(error)}`);
    assert.equal(error.httpStatus, 400);
    assert.match(error.message, message);
    return true;
  });
}

describe('cert auth CRLs (crls/) and config', () => {
  let cert: CertHarness;
  let ca: Issued;

  beforeEach(() => {
    cert = certHarness();
    ca = issue({ cn: 'Root CA', ca: true });
  });

  describe('crls/', () => {
    it('reads back the revoked serials in decimal, as Vault does', async () => {
      await cert.call('update', 'crls/Root', { crl: issueCrl(ca, [255n, 4096n]) });
      assert.deepEqual((await cert.call('read', 'crls/root'))?.data, {
        serials: { '255': {}, '4096': {} },
        this_update: '2024-01-01T00:00:00.000Z',
        next_update: '2024-02-01T00:00:00.000Z',
      });
    });

    it('lists and deletes CRLs', async () => {
      await cert.call('update', 'crls/a', { crl: issueCrl(ca, []) });
      await cert.call('update', 'crls/b', { crl: issueCrl(ca, [1n]) });
      assert.deepEqual((await cert.call('list', 'crls/'))?.data, { keys: ['a', 'b'] });
      await cert.call('delete', 'crls/a');
      assert.equal(await cert.call('read', 'crls/a'), null);
      assert.deepEqual((await cert.call('list', 'crls/'))?.data, { keys: ['b'] });
    });

    it('replaces a CRL written again under the same name', async () => {
      await cert.call('update', 'crls/root', { crl: issueCrl(ca, [1n]) });
      await cert.call('update', 'crls/root', { crl: issueCrl(ca, [2n]) });
      assert.deepEqual((await cert.call('read', 'crls/root'))?.data?.serials, { '2': {} });
    });

    it('refuses a write without a crl, or with one that is not a PEM CRL', async () => {
      await badRequest(cert.call('update', 'crls/x', {}), /missing crl/);
      await badRequest(cert.call('update', 'crls/x', { crl: 'junk' }), /no PEM block/);
      await badRequest(cert.call('update', 'crls/x', { crl: ca.pem }), /"X509 CRL"/);
      await badRequest(
        cert.call('update', 'crls/x', { crl: pem('X509 CRL', Buffer.from([0x30, 0x03, 1, 2, 3])) }),
        /not a valid X.509 CRL/,
      );
      assert.deepEqual(cert.storage.paths(), []);
    });
  });

  describe('config', () => {
    it('reads the defaults before any write', async () => {
      assert.deepEqual((await cert.call('read', 'config'))?.data, {
        disable_binding: false,
        enable_identity_alias_metadata: false,
        enable_metadata_on_failures: false,
        ocsp_cache_size: 100,
        role_cache_size: 200,
      });
    });

    it('changes only the settings a write names', async () => {
      await cert.call('update', 'config', { disable_binding: true });
      await cert.call('update', 'config', { enable_identity_alias_metadata: 'true' });
      const data = (await cert.call('read', 'config'))?.data;
      assert.equal(data?.disable_binding, true);
      assert.equal(data?.enable_identity_alias_metadata, true);
      assert.equal(data?.ocsp_cache_size, 100);
    });

    it('refuses cache sizes out of range', async () => {
      await badRequest(cert.call('update', 'config', { ocsp_cache_size: 1 }), /ocsp_cache_size/);
      await badRequest(cert.call('update', 'config', { role_cache_size: -2 }), /role_cache_size/);
      await badRequest(
        cert.call('update', 'config', { disable_binding: 'maybe' }),
        /expected bool/,
      );
    });
  });
});
