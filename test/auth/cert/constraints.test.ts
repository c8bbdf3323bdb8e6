import assert from 'node:assert/strict';

import { globMatch } from '../../../src/auth/cert/constraints.js';
import { LoginFailedError } from '../../../src/logical/index.js';
import { issue, utf8String, type CertificateOptions, type Issued } from './pki.js';
import { certHarness, type CertHarness } from './support.js';

describe('cert auth constraints', () => {
  describe('globMatch (Vault glob: * matches any run, dots included)', () => {
    const cases: [string, string, boolean][] = [
      ['app.example.com', 'app.example.com', true],
      ['app.example.com', 'App.example.com', false],
      ['*.example.com', 'a.example.com', true],
      ['*.example.com', 'a.b.example.com', true],
      ['*.example.com', 'example.com', false],
      ['*.example.com', 'a.example.com.evil', false],
      ['a*z', 'az', true],
      ['a*b*c', 'a-b-c', true],
      ['a*b*c', 'a-c-b', false],
      ['ab*ba', 'aba', false],
      ['a*bc*c', 'abc', false],
      ['a*bc*c', 'abcc', true],
      ['*', '', true],
      ['', '', true],
      ['', 'x', false],
      ['**', 'anything', true],
    ];
    for (const [pattern, value, expected] of cases) {
      it(`${expected ? 'matches' : 'does not match'} "${value}" with "${pattern}"`, () => {
        assert.equal(globMatch(pattern, value), expected);
      });
    }
  });

  describe('role constraints on the client certificate', () => {
    let cert: CertHarness;
    let ca: Issued;
    const leaf = (options: CertificateOptions): Issued => issue({ issuer: ca, ...options });
    const accepts = async (fields: Record<string, unknown>, client: Issued): Promise<boolean> => {
      await cert.role('web', ca, fields);
      try {
        await cert.login([client]);
        return true;
      } catch (error) {
        if (error instanceof LoginFailedError) return false;
        throw error;
      }
    };

    beforeEach(() => {
      cert = certHarness();
      ca = issue({ cn: 'Root CA', ca: true });
    });

    it('allowed_common_names globs the common name', async () => {
      const fields = { allowed_common_names: ['*.example.com', 'exact'] };
      assert.equal(await accepts(fields, leaf({ cn: 'a.example.com' })), true);
      assert.equal(await accepts(fields, leaf({ cn: 'exact' })), true);
      assert.equal(await accepts(fields, leaf({ cn: 'a.example.org' })), false);
    });

    it('allowed_common_names needs every common name of the subject to match', async () => {
      const fields = { allowed_common_names: '*.example.com' };
      assert.equal(await accepts(fields, leaf({ cn: ['evil', 'a.example.com'] })), false);
    });

    it('allowed_dns_sans needs one DNS SAN to match', async () => {
      const fields = { allowed_dns_sans: '*.svc.local' };
      assert.equal(await accepts(fields, leaf({ dns: ['x.example.com', 'api.svc.local'] })), true);
      assert.equal(await accepts(fields, leaf({ dns: ['x.example.com'] })), false);
      assert.equal(await accepts(fields, leaf({ cn: 'api.svc.local' })), false);
    });

    it('allowed_email_sans needs one email SAN to match', async () => {
      const fields = { allowed_email_sans: '*@example.com' };
      assert.equal(await accepts(fields, leaf({ email: ['ops@example.com'] })), true);
      assert.equal(await accepts(fields, leaf({ email: ['ops@example.org'] })), false);
    });

    it('allowed_uri_sans needs one URI SAN to match', async () => {
      const fields = { allowed_uri_sans: 'spiffe://prod/*' };
      assert.equal(await accepts(fields, leaf({ uri: ['spiffe://prod/api'] })), true);
      assert.equal(await accepts(fields, leaf({ uri: ['spiffe://dev/api'] })), false);
    });

    it('allowed_organizational_units needs one OU to match', async () => {
      const fields = { allowed_organizational_units: 'eng-*' };
      assert.equal(await accepts(fields, leaf({ ou: ['sales', 'eng-core'] })), true);
      assert.equal(await accepts(fields, leaf({ ou: ['sales'] })), false);
      assert.equal(await accepts(fields, leaf({})), false);
    });

    it('allowed_names (deprecated) matches the common name, a DNS or an email SAN', async () => {
      const fields = { allowed_names: 'match*' };
      assert.equal(await accepts(fields, leaf({ cn: 'match-cn' })), true);
      assert.equal(await accepts(fields, leaf({ dns: ['match.dns'] })), true);
      assert.equal(await accepts(fields, leaf({ email: ['match@mail'] })), true);
      assert.equal(await accepts(fields, leaf({ uri: ['match://uri'] })), false);
    });

    it('applies every constraint the role sets', async () => {
      const fields = { allowed_common_names: 'a', allowed_dns_sans: 'b' };
      assert.equal(await accepts(fields, leaf({ cn: 'a', dns: ['b'] })), true);
      assert.equal(await accepts(fields, leaf({ cn: 'a', dns: ['c'] })), false);
    });

    it('constrains a pinned certificate too', async () => {
      const pinned = issue({ cn: 'pinned' });
      await cert.role('pinned', pinned, { allowed_common_names: 'other' });
      await assert.rejects(cert.login([pinned]), LoginFailedError);
    });

    describe('required_extensions', () => {
      const team = (value: string, critical = false) => ({
        oid: '1.3.6.1.4.1.99999.7',
        critical,
        value: utf8String(value),
      });

      it('requires a string extension whose value matches the glob', async () => {
        const fields = { required_extensions: '1.3.6.1.4.1.99999.7:team-*' };
        assert.equal(await accepts(fields, leaf({ extensions: [team('team-a')] })), true);
        assert.equal(await accepts(fields, leaf({ extensions: [team('other')] })), false);
        assert.equal(await accepts(fields, leaf({})), false);
      });

      it('requires every listed extension', async () => {
        const fields = {
          required_extensions: ['1.3.6.1.4.1.99999.7:*', '1.3.6.1.4.1.99999.8:*'],
        };
        assert.equal(await accepts(fields, leaf({ extensions: [team('x')] })), false);
      });

      it('matches hex:<oid>:<glob> against the hex of the DER value', async () => {
        const raw = leaf({
          extensions: [{ oid: '1.3.6.1.4.1.99999.9', value: Buffer.from([0x02, 0x01, 0x2a]) }],
        });
        const requiring = (entry: string) => ({ required_extensions: entry });
        assert.equal(await accepts(requiring('hex:1.3.6.1.4.1.99999.9:02012A'), raw), true);
        assert.equal(await accepts(requiring('hex:1.3.6.1.4.1.99999.9:0201*'), raw), true);
        assert.equal(await accepts(requiring('hex:1.3.6.1.4.1.99999.9:0202*'), raw), false);
        // An INTEGER is not a string, so the string form never matches it.
        assert.equal(await accepts(requiring('1.3.6.1.4.1.99999.9:*'), raw), false);
      });

      it('lets a required extension be critical', async () => {
        const fields = { required_extensions: '1.3.6.1.4.1.99999.7:team-a' };
        assert.equal(await accepts(fields, leaf({ extensions: [team('team-a', true)] })), true);
        const critical = leaf({ extensions: [team('team-a', true)] });
        assert.equal(await accepts({ required_extensions: [] }, critical), false);
      });
    });

    it('copies allowed_metadata_extensions into the login metadata', async () => {
      await cert.role('web', ca, { allowed_metadata_extensions: ['1.3.6.1.4.1.99999.7', '1.2.3'] });
      const client = leaf({
        extensions: [{ oid: '1.3.6.1.4.1.99999.7', value: utf8String('team-a') }],
      });
      const auth = await cert.login([client]);
      assert.equal(auth.metadata['1-3-6-1-4-1-99999-7'], 'team-a');
      assert.equal(auth.metadata['1-2-3'], undefined);
      assert.equal(auth.metadata.cert_name, 'web');
    });
  });
});
