/**
 * The tokens an auth method's login asks for: they live only while the mount that issued them
 * is enabled, on every path that looks them up, and each renewal applies the terms the method
 * gives at that moment.
 */
import assert from 'node:assert/strict';

import { InvalidRequestError, PermissionDeniedError } from '../../src/logical/index.js';
import type {
  LoginRenewalTerms,
  LoginTokenParams,
  TokenEntry,
  TokenType,
} from '../../src/tokens/index.js';
import { HOUR, T0, tokenHarness, type TokenHarness } from './support.js';

const ISSUER = 'auth_userpass_0a1b2c3d';

function loginParams(overrides: Partial<LoginTokenParams> = {}): LoginTokenParams {
  return {
    path: 'auth/userpass/login/ann',
    mountName: 'userpass',
    login: { mountAccessor: ISSUER, alias: 'ann', internal: {}, maxTtl: 0 },
    policies: ['app'],
    noDefaultPolicy: false,
    meta: { username: 'ann' },
    type: 'service',
    ttl: HOUR,
    maxTtl: 0,
    explicitMaxTtl: 0,
    period: 0,
    numUses: 0,
    boundCidrs: [],
    ...overrides,
  };
}

describe('TokenStore login tokens', () => {
  describe('issuer', () => {
    let h: TokenHarness;
    let enabled: Set<string>;

    beforeEach(async () => {
      enabled = new Set([ISSUER]);
      h = await tokenHarness({ isIssuerLive: (accessor) => enabled.has(accessor) });
    });

    async function login(type: TokenType): Promise<{ clientToken: string; entry: TokenEntry }> {
      return h.store.createLogin(loginParams({ type }));
    }

    it('finds login tokens while their auth mount is enabled', async () => {
      const service = await login('service');
      const batch = await login('batch');
      assert.notEqual(await h.store.lookup(service.clientToken), null);
      assert.notEqual(await h.store.lookup(batch.clientToken), null);
      assert.notEqual(await h.store.lookupByAccessor(service.entry.accessor), null);
    });

    it('finds no login token, batch or service, once its auth mount is disabled', async () => {
      const service = await login('service');
      const batch = await login('batch');
      enabled.delete(ISSUER);
      assert.equal(await h.store.lookup(service.clientToken), null);
      assert.equal(await h.store.lookup(batch.clientToken), null);
      assert.equal(await h.store.lookup(service.clientToken, { inFlight: true }), null);
      assert.equal(await h.store.lookupByAccessor(service.entry.accessor), null);
      assert.equal(await h.store.lookupByHashedId(service.entry.hashedId), null);
      // Tokens no method issued are none of its business.
      assert.notEqual(await h.store.lookup(h.root.clientToken), null);
    });

    it('refuses a dead batch token named in the body of lookup and renew', async () => {
      const batch = await login('batch');
      const root = h.root.clientToken;
      const found = await h.call('update', 'lookup', root, { token: batch.clientToken });
      assert.equal((found?.data as { id: string }).id, batch.clientToken);

      enabled.delete(ISSUER);
      await assert.rejects(
        h.call('update', 'lookup', root, { token: batch.clientToken }),
        PermissionDeniedError,
      );
      await assert.rejects(
        h.call('update', 'renew', root, { token: batch.clientToken }),
        (err) => err instanceof InvalidRequestError && err.message === 'token not found',
      );
      // The caller's own token, when a login token, is refused the same way.
      await assert.rejects(h.call('read', 'lookup-self', batch.clientToken), PermissionDeniedError);
    });
  });

  describe('renew', () => {
    let h: TokenHarness;
    let terms: LoginRenewalTerms;
    let asked: number;

    beforeEach(async () => {
      terms = { maxTtl: 0, ttl: 0, period: 0 };
      asked = 0;
      h = await tokenHarness({
        onRenewLogin: async () => {
          asked += 1;
          return terms;
        },
      });
    });

    it("grants the method's TTL now in force when no increment is asked for", async () => {
      const { entry } = await h.store.createLogin(loginParams({ ttl: HOUR }));
      terms = { maxTtl: 0, ttl: 2 * HOUR, period: 0 };
      h.clock.now += 600_000;
      const renewed = await h.store.renew(entry, 0);
      assert.equal(asked, 1);
      assert.equal(renewed.entry.ttl, 2 * HOUR);
      assert.equal(renewed.entry.expireTime, h.clock.now + 2 * HOUR * 1000);
      // An increment asked for wins over the method's TTL, as Vault's renewals do.
      assert.equal((await h.store.renew(entry, 600)).entry.ttl, 600);
    });

    it('falls back to the default TTL when the method names none', async () => {
      const store = await tokenHarness({
        defaultTtlSeconds: 3 * HOUR,
        onRenewLogin: async () => ({ maxTtl: 0, ttl: 0, period: 0 }),
      });
      const { entry } = await store.store.createLogin(loginParams({ ttl: HOUR }));
      assert.equal((await store.store.renew(entry, 0)).entry.ttl, 3 * HOUR);
    });

    it("applies the method's period now in force, and drops one it no longer sets", async () => {
      const { entry } = await h.store.createLogin(loginParams({ ttl: HOUR }));
      terms = { maxTtl: 0, ttl: HOUR, period: 30 * 60 };
      const periodic = await h.store.renew(entry, 5 * HOUR);
      assert.equal(periodic.entry.ttl, 30 * 60);
      assert.equal(periodic.entry.period, 30 * 60);

      terms = { maxTtl: 0, ttl: HOUR, period: 0 };
      const plain = await h.store.renew(entry, 0);
      assert.equal(plain.entry.ttl, HOUR);
      assert.equal(plain.entry.period, 0);
    });

    it("caps the method's TTL by its max TTL and the login's explicit max TTL", async () => {
      const { entry } = await h.store.createLogin(
        loginParams({ ttl: HOUR, explicitMaxTtl: 3 * HOUR }),
      );
      terms = { maxTtl: 2 * HOUR, ttl: 5 * HOUR, period: 0 };
      const byMax = await h.store.renew(entry, 0);
      assert.equal(byMax.entry.ttl, 2 * HOUR);
      assert.equal(byMax.warnings.length, 1);

      terms = { maxTtl: 0, ttl: 5 * HOUR, period: 0 };
      h.clock.now = T0 + 1000 * 1000;
      const byExplicit = await h.store.renew(entry, 0);
      assert.equal(byExplicit.entry.ttl, 3 * HOUR - 1000);

      // A period renews past the max TTL counted from creation, never past the explicit one.
      h.clock.now = T0 + 2 * HOUR * 1000;
      terms = { maxTtl: HOUR, ttl: 0, period: 30 * 60 };
      assert.equal((await h.store.renew(entry, 0)).entry.ttl, 30 * 60);
      terms = { maxTtl: 0, ttl: 0, period: 2 * HOUR };
      assert.equal((await h.store.renew(entry, 0)).entry.ttl, HOUR);
    });

    it('keeps the terms of the login when no method is asked', async () => {
      const store = await tokenHarness();
      const { entry } = await store.store.createLogin(loginParams({ ttl: HOUR, period: 0 }));
      store.clock.now += 600_000;
      const renewed = await store.store.renew(entry, 0);
      assert.equal(renewed.entry.ttl, HOUR);
      assert.equal(renewed.entry.period, 0);
    });
  });
});
