import assert from 'node:assert/strict';

import { InvalidRequestError } from '../../src/logical/index.js';
import { defaultRole, type TokenRole } from '../../src/tokens/index.js';
import { tokenHarness, type TokenHarness } from './support.js';

describe('Token roles', () => {
  let h: TokenHarness;

  beforeEach(async () => {
    h = await tokenHarness();
  });

  const role = (fields: Partial<TokenRole>): TokenRole => ({ ...defaultRole('r'), ...fields });

  describe('policies', () => {
    it('grants any subset of allowed_policies, even beyond the parent\'s', async () => {
      const parent = await h.child(h.root.entry, { policies: ['app'] });
      const r = role({ allowedPolicies: ['db', 'web'] });
      const a = await h.child(parent.entry, { role: r, policies: ['db'] });
      assert.deepEqual(a.entry.policies, ['db', 'default']);
      const b = await h.child(parent.entry, { role: r });
      assert.deepEqual(b.entry.policies, ['db', 'default', 'web']);
      await assert.rejects(h.child(parent.entry, { role: r, policies: ['app'] }), /allowed/);
    });

    it('matches allowed and disallowed globs', async () => {
      const r = role({ allowedPoliciesGlob: ['team-*'], disallowedPoliciesGlob: ['*-admin'] });
      const ok = await h.child(h.root.entry, { role: r, policies: ['team-blue'] });
      assert.deepEqual(ok.entry.policies, ['default', 'team-blue']);
      const admin = h.child(h.root.entry, { role: r, policies: ['team-admin'] });
      await assert.rejects(admin, /disallowed/);
      await assert.rejects(h.child(h.root.entry, { role: r, policies: ['other'] }), /allowed/);
    });

    it('refuses disallowed policies, and drops them from inherited ones', async () => {
      const parent = await h.child(h.root.entry, { policies: ['app', 'db'] });
      const r = role({ disallowedPolicies: ['db'] });
      await assert.rejects(h.child(parent.entry, { role: r, policies: ['db'] }), /disallowed/);
      const inherited = await h.child(parent.entry, { role: r });
      assert.deepEqual(inherited.entry.policies, ['app', 'default']);
    });

    it('leaves default out when the role disallows it or sets no default', async () => {
      const a = await h.child(h.root.entry, {
        role: role({ allowedPolicies: ['app'], disallowedPolicies: ['default'] }),
      });
      assert.deepEqual(a.entry.policies, ['app']);
      const b = await h.child(h.root.entry, {
        role: role({ allowedPolicies: ['app'], tokenNoDefaultPolicy: true }),
      });
      assert.deepEqual(b.entry.policies, ['app']);
    });

    it('never grants root through a role to a non-root parent', async () => {
      const parent = await h.child(h.root.entry, { policies: ['app'] });
      const r = role({ allowedPolicies: ['root'] });
      await assert.rejects(h.child(parent.entry, { role: r }), InvalidRequestError);
    });
  });

  describe('token settings', () => {
    it('applies orphan, period (without sudo), path suffix, uses and bound CIDRs', async () => {
      const r = role({
        name: 'ci',
        allowedPolicies: ['app'],
        orphan: true,
        tokenPeriod: 600,
        pathSuffix: 'v1',
        tokenNumUses: 5,
        tokenBoundCidrs: ['10.0.0.0/8'],
      });
      const { entry } = await h.child(h.root.entry, {
        role: r,
        path: 'auth/token/create/ci',
        numUses: 9,
      });
      assert.equal(entry.orphan, true);
      assert.equal(entry.period, 600);
      assert.equal(entry.ttl, 600);
      assert.equal(entry.path, 'auth/token/create/ci/v1');
      assert.equal(entry.numUses, 5);
      assert.equal(entry.role, 'ci');
      assert.deepEqual(entry.boundCidrs, ['10.0.0.0/8']);
    });

    it('defaults to token_ttl, capped by token_max_ttl and the smaller explicit max', async () => {
      const r = role({ allowedPolicies: ['app'], tokenTtl: 600, tokenMaxTtl: 900 });
      assert.equal((await h.child(h.root.entry, { role: r })).entry.ttl, 600);
      assert.equal((await h.child(h.root.entry, { role: r, ttl: 3600 })).entry.ttl, 900);
      const e = role({ allowedPolicies: ['app'], tokenExplicitMaxTtl: 300 });
      const capped = await h.child(h.root.entry, { role: e, explicitMaxTtl: 1200, ttl: 3600 });
      assert.equal(capped.entry.explicitMaxTtl, 300);
      assert.equal(capped.entry.ttl, 300);
    });

    it('forces service or batch, and lets default-* types be overridden', async () => {
      const batch = role({ allowedPolicies: ['app'], tokenType: 'batch' });
      assert.equal((await h.child(h.root.entry, { role: batch })).entry.type, 'batch');
      await assert.rejects(h.child(h.root.entry, { role: batch, type: 'service' }), /only issues/);
      const soft = role({ allowedPolicies: ['app'], tokenType: 'default-batch' });
      assert.equal((await h.child(h.root.entry, { role: soft })).entry.type, 'batch');
      const service = await h.child(h.root.entry, { role: soft, type: 'service' });
      assert.equal(service.entry.type, 'service');
    });

    it('makes tokens non-renewable when the role is', async () => {
      const r = role({ allowedPolicies: ['app'], renewable: false });
      const { entry } = await h.child(h.root.entry, { role: r, renewable: true });
      assert.equal(entry.renewable, false);
    });
  });

  describe('storage', () => {
    it('stores, lists, reads and deletes roles by lower-cased name', async () => {
      await h.store.roles.put(role({ name: 'Deploy', allowedPolicies: ['app'] }));
      assert.deepEqual(await h.store.roles.list(), ['deploy']);
      assert.deepEqual((await h.store.roles.get('DEPLOY'))?.allowedPolicies, ['app']);
      await h.store.roles.delete('deploy');
      assert.equal(await h.store.roles.get('deploy'), undefined);
    });

    it('refuses bad names, path suffixes and inconsistent TTLs', async () => {
      await assert.rejects(h.store.roles.put(role({ name: 'a/b' })), /invalid role name/);
      await assert.rejects(h.store.roles.put(role({ pathSuffix: '../x' })), /path_suffix/);
      await assert.rejects(
        h.store.roles.put(role({ tokenTtl: 900, tokenMaxTtl: 600 })),
        /token_ttl/,
      );
    });
  });
});
