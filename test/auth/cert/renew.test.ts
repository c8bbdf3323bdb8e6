import assert from 'node:assert/strict';

import { RenewalRefusedError } from '../../../src/auth/cert/index.js';
import type { LoginAuth } from '../../../src/logical/index.js';
import { issue, issueCrl, type Issued } from './pki.js';
import { certHarness, type CertHarness } from './support.js';

async function renewalRefused(renewal: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(renewal, (error: unknown) => {
    assert.ok(error instanceof RenewalRefusedError, `expected a refusal, got ${String(error)}`);
    assert.equal(error.httpStatus, 400);
    assert.match(error.message, message);
    return true;
  });
}

describe('cert auth token renewal', () => {
  let cert: CertHarness;
  let root: Issued;
  let intermediate: Issued;
  let client: Issued;
  let auth: LoginAuth;

  beforeEach(async () => {
    cert = certHarness();
    root = issue({ cn: 'Root CA', ca: true });
    intermediate = issue({ cn: 'Intermediate CA', ca: true, issuer: root });
    client = issue({ cn: 'client', issuer: intermediate });
    await cert.role('web', root, { token_policies: 'app', token_ttl: '1h' });
    auth = await cert.login([client, intermediate]);
  });

  it('keeps what renewal needs in internal: role, leaf fingerprint, verified chain', () => {
    assert.deepEqual(Object.keys(auth.internal ?? {}).sort(), [
      'chain',
      'displayName',
      'fingerprint',
      'role',
    ]);
    assert.equal(auth.internal?.role, 'web');
    assert.deepEqual(auth.internal?.chain, [
      client.der.toString('base64'),
      intermediate.der.toString('base64'),
    ]);
  });

  it('renews over a connection presenting the login certificate, with the role TTLs', async () => {
    const token = await cert.renew(auth, [client, intermediate]);
    assert.equal(token.ttl, 3600);
    assert.deepEqual(token.policies, ['app']);
  });

  it('renews with the leaf alone, the login chain supplying the intermediate', async () => {
    assert.equal((await cert.renew(auth, [client])).ttl, 3600);
  });

  it('applies the role token fields in force at renewal', async () => {
    await cert.call('update', 'certs/web', { token_ttl: '5m' });
    assert.equal((await cert.renew(auth, [client])).ttl, 300);
  });

  it('refuses once the certificate is revoked by a CRL written after the login', async () => {
    await cert.call('update', 'crls/inter', { crl: issueCrl(intermediate, [client]) });
    await renewalRefused(cert.renew(auth, [client]), /no longer matches/);
  });

  it('refuses once the intermediate is revoked', async () => {
    await cert.call('update', 'crls/root', { crl: issueCrl(root, [intermediate]) });
    await renewalRefused(cert.renew(auth, [client]), /no longer matches/);
  });

  it('refuses once the certificate has expired', async () => {
    cert.clock.now = Date.parse('2030-01-01T00:00:01Z');
    await renewalRefused(cert.renew(auth, [client]), /no longer matches/);
  });

  it('refuses once the role is deleted', async () => {
    await cert.call('delete', 'certs/web');
    await renewalRefused(cert.renew(auth, [client]), /no longer exists/);
  });

  it('refuses once the role trusts another CA or gains a constraint the leaf fails', async () => {
    await cert.call('update', 'certs/web', { allowed_common_names: 'someone-else' });
    await renewalRefused(cert.renew(auth, [client]), /no longer matches/);
    await cert.call('update', 'certs/web', {
      allowed_common_names: [],
      certificate: issue({ cn: 'New CA', ca: true }).pem,
    });
    await renewalRefused(cert.renew(auth, [client]), /no longer matches/);
  });

  it('refuses once the role policies changed', async () => {
    await cert.call('update', 'certs/web', { token_policies: 'app,admin' });
    await renewalRefused(cert.renew(auth, [client]), /policies have changed/);
  });

  it('refuses a renewal presenting another certificate, or none', async () => {
    const other = issue({ cn: 'client', issuer: intermediate });
    await renewalRefused(cert.renew(auth, [other, intermediate]), /certificate used to log in/);
    await renewalRefused(cert.renew(auth, []), /certificate used to log in/);
  });

  it('renews without the certificate when config sets disable_binding', async () => {
    await cert.call('update', 'config', { disable_binding: true });
    assert.equal((await cert.renew(auth, [])).ttl, 3600);
    await cert.call('update', 'crls/inter', { crl: issueCrl(intermediate, [client]) });
    await renewalRefused(cert.renew(auth, []), /no longer matches/);
  });

  it('refuses a renewal whose internal data did not come from a cert login', async () => {
    const bogus = { ...auth, internal: { role: 'web' } };
    await renewalRefused(cert.renew(bogus, [client]), /not issued by a certificate login/);
    const swapped = { ...auth, internal: { ...auth.internal, fingerprint: '00' } };
    await renewalRefused(cert.renew(swapped, [client]), /not issued by a certificate login/);
  });

  it('renews a pinned login and refuses it once the pinned role is replaced', async () => {
    const pinned = issue({ cn: 'pinned' });
    await cert.role('pinned', pinned);
    const pinnedAuth = await cert.login([pinned], { name: 'pinned' });
    assert.equal((await cert.renew(pinnedAuth, [pinned])).ttl, 0);
    await cert.role('pinned', issue({ cn: 'pinned', keys: pinned.keys }));
    await renewalRefused(cert.renew(pinnedAuth, [pinned]), /no longer matches/);
  });
});
