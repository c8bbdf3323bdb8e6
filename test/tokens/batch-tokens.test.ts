import assert from 'node:assert/strict';

import { dumpStorage, HOUR, T0, tokenHarness, type TokenHarness } from './support.js';

describe('TokenStore batch tokens', () => {
  let h: TokenHarness;

  beforeEach(async () => {
    h = await tokenHarness();
  });

  it('seals the entry into the token and stores nothing for it', async () => {
    const before = await dumpStorage(h.storage);
    const { clientToken, entry } = await h.child(h.root.entry, {
      type: 'batch',
      policies: ['app'],
      ttl: 600,
      meta: { team: 'blue' },
    });
    assert.match(clientToken, /^hvb\.[A-Za-z0-9_-]+$/);
    assert.equal(await dumpStorage(h.storage), before);
    assert.equal(clientToken.includes('blue'), false);
    assert.deepEqual(h.expiry.calls, []);
    assert.equal(entry.accessor, '');
    assert.equal(entry.renewable, false);

    const found = await h.store.lookup(clientToken);
    assert.deepEqual(found, entry);
    assert.deepEqual(found?.policies, ['app', 'default']);
    assert.equal(found?.expireTime, T0 + 600_000);
  });

  it('opens to nothing when altered, expired, or sealed by another store', async () => {
    const params = { type: 'batch', policies: ['a'], ttl: 600 } as const;
    const { clientToken } = await h.child(h.root.entry, params);
    const body = clientToken.slice(4);
    const flipped = body.slice(0, 20) + (body[20] === 'A' ? 'B' : 'A') + body.slice(21);
    assert.equal(await h.store.lookup(`hvb.${flipped}`), null);
    assert.equal(await h.store.lookup(clientToken.slice(0, -4)), null);

    const other = await tokenHarness();
    assert.equal(await other.store.lookup(clientToken), null);

    h.clock.now += 600_000;
    assert.equal(await h.store.lookup(clientToken), null);
  });

  it('stops working when its parent is revoked, unless it is an orphan', async () => {
    const parent = await h.child(h.root.entry, { policies: ['app'] });
    const child = await h.child(parent.entry, { type: 'batch' });
    const orphan = await h.child(parent.entry, { type: 'batch', orphan: true });
    assert.notEqual(await h.store.lookup(child.clientToken), null);
    await h.store.revoke(parent.entry);
    assert.equal(await h.store.lookup(child.clientToken), null);
    assert.notEqual(await h.store.lookup(orphan.clientToken), null);
  });

  it('lives no longer than a non-periodic parent', async () => {
    const parent = await h.child(h.root.entry, { policies: ['app'], ttl: HOUR });
    const child = await h.child(parent.entry, { type: 'batch', ttl: 2 * HOUR });
    assert.equal(child.entry.expireTime, parent.entry.expireTime);
  });

  it('cannot be renewed, create tokens, be periodic, have a use limit or hold root', async () => {
    const { entry } = await h.child(h.root.entry, { type: 'batch', policies: ['app'] });
    await assert.rejects(h.store.renew(entry, 60), /batch tokens cannot be renewed/);
    await assert.rejects(h.child(entry, {}), /batch tokens cannot create more tokens/);
    await assert.rejects(
      h.child(h.root.entry, { type: 'batch', period: 60, sudo: true }),
      /periodic/,
    );
    await assert.rejects(h.child(h.root.entry, { type: 'batch', numUses: 2 }), /use limit/);
    await assert.rejects(h.child(h.root.entry, { type: 'batch', policies: ['root'] }), /root/);
  });

  it('needs no use bookkeeping and ignores revocation', async () => {
    const { clientToken, entry } = await h.child(h.root.entry, { type: 'batch', policies: ['a'] });
    assert.deepEqual(await h.store.use(entry), { entry, exhausted: false });
    await h.store.revoke(entry);
    assert.notEqual(await h.store.lookup(clientToken), null);
    assert.deepEqual(h.revoked, []);
  });
});
