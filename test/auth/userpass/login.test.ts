import assert from 'node:assert/strict';

import {
  DEFAULT_TOKEN_FIELDS,
  InvalidRequestError,
  LOCAL_CONNECTION,
  LoginFailedError,
  PermissionDeniedError,
  type LoginRenewal,
} from '../../../src/logical/index.js';
import { userpassHarness, type UserpassHarness } from './support.js';

/** Asserts `attempt` fails as a bad password does: the same error, message and alias. */
async function rejectsAsLoginFailure(
  attempt: Promise<unknown>,
  alias: string | null,
): Promise<void> {
  await assert.rejects(attempt, (err: unknown) => {
    assert.ok(err instanceof LoginFailedError, `expected LoginFailedError, got ${String(err)}`);
    assert.equal(err.message, 'invalid username or password');
    assert.equal(err.alias, alias);
    assert.equal(err.httpStatus, 400);
    return true;
  });
}

describe('userpass login', () => {
  let up: UserpassHarness;

  beforeEach(async () => {
    up = userpassHarness();
    await up.addUser('mitchellh', 'foo', { token_policies: 'admins', token_ttl: 600 });
  });

  describe('a good password', () => {
    it('resolves to the login the core turns into a token, and never makes a token', async () => {
      const response = await up.login('mitchellh', 'foo');
      assert.deepEqual(response, {
        login: {
          alias: 'mitchellh',
          token: { ...DEFAULT_TOKEN_FIELDS, ttl: 600, policies: ['admins'] },
          metadata: { username: 'mitchellh' },
        },
      });
    });

    it('logs in whatever the case of the name, as the lower-case user', async () => {
      const response = await up.login('MitchellH', 'foo');
      assert.equal(response?.login?.alias, 'mitchellh');
      assert.deepEqual(response?.login?.metadata, { username: 'mitchellh' });
    });

    it('checks the password against the user record, once', async () => {
      const before = up.hasher.verified.length;
      await up.login('mitchellh', 'foo');
      assert.equal(up.hasher.verified.length, before + 1);
      assert.deepEqual(up.hasher.verified.at(-1), up.hasher.hashed[1]);
    });
  });

  describe('refusals', () => {
    it('refuses a wrong password with LoginFailedError counted against the user', async () => {
      await rejectsAsLoginFailure(up.login('mitchellh', 'bar'), 'mitchellh');
      await rejectsAsLoginFailure(up.login('MITCHELLH', 'FOO'), 'mitchellh');
    });

    it('refuses an unknown user exactly as a wrong password, alias and message alike', async () => {
      await rejectsAsLoginFailure(up.login('Nobody', 'foo'), 'nobody');
    });

    it('does the same work for an unknown user: one hash check, of the dummy', async () => {
      const dummy = await up.dummy();
      const users = up.hasher.hashed.slice(1);
      up.hasher.verified.length = 0;

      await assert.rejects(up.login('nobody', 'foo'), LoginFailedError);
      assert.deepEqual(up.hasher.verified, [dummy]);
      assert.notDeepEqual(up.hasher.verified[0], users[0]);

      await assert.rejects(up.login('mitchellh', 'bar'), LoginFailedError);
      assert.equal(up.hasher.verified.length, 2);
      assert.deepEqual(up.hasher.verified[1], users[0]);

      // Same cost: the dummy was hashed with the parameters a real user's record has.
      const { n, r, p } = users[0] ?? dummy;
      assert.deepEqual({ n: dummy.n, r: dummy.r, p: dummy.p }, { n, r, p });
      assert.equal(Buffer.from(dummy.hash, 'base64').length, 32);
    });

    it('hashes even for a name no user can have, and counts it against no alias', async () => {
      up.hasher.verified.length = 0;
      await rejectsAsLoginFailure(up.login('-bad name', 'foo'), null);
      assert.equal(up.hasher.verified.length, 1);
    });

    it('refuses a login without a password with a 400 before any check', async () => {
      up.hasher.verified.length = 0;
      await assert.rejects(up.call('update', 'login/mitchellh', {}), (err: unknown) => {
        assert.ok(err instanceof InvalidRequestError);
        assert.match(err.message, /missing password/);
        return true;
      });
      assert.equal(up.hasher.verified.length, 0);
    });

    it('refuses a good password from outside the token_bound_cidrs with a 403', async () => {
      await up.addUser('boxed', 'pw', { token_bound_cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
      await assert.rejects(up.login('boxed', 'pw', '192.168.1.1'), PermissionDeniedError);
      await assert.rejects(up.login('boxed', 'pw', 'not-an-address'), PermissionDeniedError);
      // A wrong password from outside is still a login failure, so it is counted.
      await rejectsAsLoginFailure(up.login('boxed', 'nope', '192.168.1.1'), 'boxed');

      assert.ok((await up.login('boxed', 'pw', '10.1.2.3'))?.login);
      assert.ok((await up.login('boxed', 'pw', '::ffff:10.1.2.3'))?.login);
      assert.ok((await up.login('boxed', 'pw', '2001:db8::7'))?.login);
    });
  });

  describe('the auth method contract', () => {
    it('serves login/<name> without a token, and nothing else', () => {
      assert.equal(up.backend.isLoginPath('login/mitchellh'), true);
      assert.equal(up.backend.isLoginPath('users/mitchellh'), false);
      assert.equal(up.backend.isLoginPath('users'), false);
    });

    it('names the canonical lockout alias before any check, so case variants share it', () => {
      const alias = (path: string): string | null =>
        up.backend.loginAlias?.({ path, data: {} }) ?? null;
      assert.equal(alias('login/MitchellH'), 'mitchellh');
      assert.equal(alias('login/mitchellh'), 'mitchellh');
      assert.equal(alias('login/-bad'), null);
      assert.equal(alias('users/mitchellh'), null);
      assert.equal(alias('login/'), null);
    });
  });

  describe('renewal', () => {
    const renewal = (policies: string[]): LoginRenewal => ({
      alias: 'mitchellh',
      metadata: { username: 'mitchellh' },
      internal: {},
      policies,
    });
    const renew = (policies: string[]): Promise<unknown> => {
      const renewLogin = up.backend.renewLogin;
      assert.ok(renewLogin);
      return renewLogin.call(up.backend, renewal(policies), LOCAL_CONNECTION);
    };

    it("answers with the user's token fields as they are now", async () => {
      await up.call('update', 'users/mitchellh', { token_ttl: 1200, token_max_ttl: 3600 });
      const token = await renew(['admins', 'default']);
      assert.deepEqual(token, {
        ...DEFAULT_TOKEN_FIELDS,
        ttl: 1200,
        maxTtl: 3600,
        policies: ['admins'],
      });
    });

    it('refuses once the user is deleted', async () => {
      await up.call('delete', 'users/mitchellh');
      await assert.rejects(renew(['admins']), /no longer exists/);
    });

    it("refuses once the user's policies changed", async () => {
      await up.call('update', 'users/mitchellh/policies', { token_policies: 'admins,more' });
      await assert.rejects(renew(['admins', 'default']), /policies have changed/);
    });
  });
});
