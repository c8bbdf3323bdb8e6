import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { InmemStorage } from '../../src/logical/index.js';
import { SaltedTokenStore } from '../../src/vault/index.js';

describe('SaltedTokenStore', () => {
  const now = () => Date.parse('2024-01-01T00:00:00Z');

  it('creates a root token that looks up to a root entry', async () => {
    const store = await SaltedTokenStore.open(new InmemStorage(), now);
    const { clientToken, entry } = await store.createRoot();
    assert.match(clientToken, /^hvs\.[A-Za-z0-9]{32}$/);
    assert.deepEqual(entry.policies, ['root']);
    assert.equal(entry.ttl, 0);
    assert.deepEqual(await store.lookup(clientToken), entry);
  });

  it('resolves missing, unknown and near-miss tokens to null', async () => {
    const store = await SaltedTokenStore.open(new InmemStorage(), now);
    const { clientToken } = await store.createRoot();
    const nearMiss = clientToken.slice(0, -1) + (clientToken.endsWith('a') ? 'b' : 'a');
    for (const token of [undefined, '', nearMiss, `${clientToken} `, clientToken.slice(4)]) {
      assert.equal(await store.lookup(token), null, String(token));
    }
  });

  it('stores only a salted HMAC of the token, never the token or its plain hash', async () => {
    const storage = new InmemStorage();
    const store = await SaltedTokenStore.open(storage, now);
    const { clientToken } = await store.createRoot();
    const plainHash = createHash('sha256').update(clientToken).digest('hex');

    const paths = storage.paths();
    assert.ok(paths.includes('salt'));
    assert.equal(paths.filter((path) => /^id\/[0-9a-f]{64}$/.test(path)).length, 1);
    for (const path of paths) {
      const value = Buffer.from((await storage.get(path)) as Uint8Array).toString('latin1');
      for (const secret of [clientToken, clientToken.slice(4), plainHash]) {
        assert.equal(path.includes(secret) || value.includes(secret), false, path);
      }
    }
  });

  it('keeps one salt per cluster: a second open reuses it, another cluster differs', async () => {
    const storage = new InmemStorage();
    const first = await SaltedTokenStore.open(storage, now);
    const { clientToken } = await first.createRoot();
    const reopened = await SaltedTokenStore.open(storage, now);
    assert.notEqual(await reopened.lookup(clientToken), null);

    const otherStorage = new InmemStorage();
    const other = await SaltedTokenStore.open(otherStorage, now);
    await other.createRoot();
    const ids = (s: InmemStorage) => s.paths().filter((path) => path.startsWith('id/'));
    assert.notDeepEqual(ids(storage), ids(otherStorage));
    assert.equal(await other.lookup(clientToken), null);
  });
});
