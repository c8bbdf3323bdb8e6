import assert from 'node:assert/strict';

import { InvalidRequestError, UnsupportedOperationError } from '../../../src/logical/index.js';
import { kvHarness, type KvHarness } from './support.js';

describe('KV v1', () => {
  let kv: KvHarness;

  beforeEach(() => {
    kv = kvHarness({ version: '1' });
  });

  it('is what a mount with no version gets', async () => {
    const unversioned = kvHarness({});
    await unversioned.call('update', 'app', { password: 'p1' });
    assert.deepEqual((await unversioned.call('read', 'app'))?.data, { password: 'p1' });
    assert.deepEqual(unversioned.storage.paths(), ['app']);
  });

  it('stores the body as the secret and reads it back whole', async () => {
    assert.equal(await kv.call('update', 'team/app', { user: 'u', nested: { a: [1, 2] } }), null);
    const response = await kv.call('read', 'team/app');
    assert.deepEqual(response?.data, { user: 'u', nested: { a: [1, 2] } });
    assert.equal(response?.lease, undefined);
    assert.equal(response?.warnings, undefined);
  });

  it('replaces the whole secret on a second write', async () => {
    await kv.call('update', 'app', { a: 1, b: 2 });
    await kv.call('create', 'app', { c: 3 });
    assert.deepEqual((await kv.call('read', 'app'))?.data, { c: 3 });
  });

  it('keeps a "path" key in the secret as data', async () => {
    await kv.call('update', 'app', { path: '/etc/app' });
    assert.deepEqual((await kv.call('read', 'app'))?.data, { path: '/etc/app' });
  });

  it('turns a ttl (or lease) key into lease_duration, with no lease id', async () => {
    await kv.call('update', 'ttl', { ttl: '1h', v: 1 });
    await kv.call('update', 'lease', { lease: 90 });
    await kv.call('update', 'bad', { ttl: 'soon' });
    const ttl = await kv.call('read', 'ttl');
    assert.deepEqual(ttl?.lease, { leaseId: '', leaseDuration: 3600, renewable: false });
    assert.deepEqual(ttl?.data, { ttl: '1h', v: 1 });
    assert.equal((await kv.call('read', 'lease'))?.lease?.leaseDuration, 90);
    assert.equal((await kv.call('read', 'bad'))?.lease, undefined);
  });

  it('answers null (a 404) for a missing secret, a folder and the mount root', async () => {
    await kv.call('update', 'dir/app', { a: 1 });
    assert.equal(await kv.call('read', 'missing'), null);
    assert.equal(await kv.call('read', 'dir/'), null);
    assert.equal(await kv.call('read', ''), null);
  });

  it('refuses an empty secret and a folder or the root as a key', async () => {
    await assert.rejects(kv.call('update', 'app', {}), /missing data fields/);
    await assert.rejects(kv.call('update', 'dir/', { a: 1 }), InvalidRequestError);
    await assert.rejects(kv.call('update', '', { a: 1 }), InvalidRequestError);
    await assert.rejects(kv.call('delete', ''), InvalidRequestError);
    assert.deepEqual(kv.storage.paths(), []);
  });

  it('deletes a secret, and deleting a missing one succeeds', async () => {
    await kv.call('update', 'app', { a: 1 });
    assert.equal(await kv.call('delete', 'app'), null);
    assert.equal(await kv.call('read', 'app'), null);
    assert.equal(await kv.call('delete', 'app'), null);
  });

  it('lists keys and folders below a folder and the mount root', async () => {
    for (const key of ['a', 'team/x', 'team/y', 'team/sub/z']) {
      await kv.call('update', key, { k: key });
    }
    assert.deepEqual((await kv.call('list', ''))?.data, { keys: ['a', 'team/'] });
    assert.deepEqual((await kv.call('list', 'team/'))?.data, { keys: ['sub/', 'x', 'y'] });
    assert.deepEqual((await kv.call('list', 'team'))?.data, { keys: ['sub/', 'x', 'y'] });
    assert.deepEqual((await kv.call('list', 'none/'))?.data, { keys: [] });
  });

  it('tells a new secret (create) from an existing one (update)', async () => {
    assert.equal(await kv.exists('app'), false);
    await kv.call('update', 'app', { a: 1 });
    assert.equal(await kv.exists('app'), true);
    assert.equal(await kv.exists(''), false);
  });

  it('has no patch operation', async () => {
    await kv.call('update', 'app', { a: 1 });
    await assert.rejects(kv.call('patch', 'app', { b: 2 }), UnsupportedOperationError);
  });

  it('serves none of the KV v2 paths specially', async () => {
    await kv.call('update', 'data/app', { data: { a: 1 } });
    assert.deepEqual((await kv.call('read', 'data/app'))?.data, { data: { a: 1 } });
    assert.equal(await kv.call('read', 'config'), null);
  });
});
