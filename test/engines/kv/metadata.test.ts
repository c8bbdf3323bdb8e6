import assert from 'node:assert/strict';

import { InvalidRequestError, UnsupportedPathError } from '../../../src/logical/index.js';
import { kvHarness, type KvHarness } from './support.js';

describe('KV v2 metadata and config', () => {
  let kv: KvHarness;

  beforeEach(() => {
    kv = kvHarness();
  });

  describe('metadata', () => {
    it('reads the key history in Vault shape', async () => {
      await kv.call('update', 'data/app', { data: { n: 1 } });
      kv.clock.now += 1000;
      await kv.call('update', 'data/app', { data: { n: 2 } });

      const response = await kv.call('read', 'metadata/app');
      assert.deepEqual(response?.data, {
        cas_required: false,
        created_time: '2024-01-01T00:00:00.000Z',
        current_version: 2,
        custom_metadata: null,
        delete_version_after: '0s',
        max_versions: 0,
        oldest_version: 0,
        updated_time: '2024-01-01T00:00:01.000Z',
        versions: {
          '1': { created_time: '2024-01-01T00:00:00.000Z', deletion_time: '', destroyed: false },
          '2': { created_time: '2024-01-01T00:00:01.000Z', deletion_time: '', destroyed: false },
        },
      });
    });

    it('lists keys and folders below a folder, and the mount root', async () => {
      for (const key of ['a', 'team/x', 'team/y', 'team/sub/z']) {
        await kv.call('update', `data/${key}`, { data: { k: key } });
      }
      assert.deepEqual((await kv.call('list', 'metadata/'))?.data, { keys: ['a', 'team/'] });
      assert.deepEqual((await kv.call('list', 'metadata/team/'))?.data, {
        keys: ['sub/', 'x', 'y'],
      });
      assert.deepEqual((await kv.call('list', 'metadata/nothing/'))?.data, { keys: [] });
    });

    it('deletes a key with every version', async () => {
      await kv.call('update', 'data/app', { data: { n: 1 } });
      await kv.call('update', 'data/app', { data: { n: 2 } });
      assert.equal(await kv.call('delete', 'metadata/app'), null);
      assert.equal(await kv.call('read', 'metadata/app'), null);
      assert.equal(await kv.call('read', 'data/app', { version: 1 }), null);
      assert.deepEqual(kv.storage.paths(), []);
    });

    it('keeps max_versions versions, dropping the oldest and moving oldest_version', async () => {
      await kv.call('update', 'metadata/app', { max_versions: 2 });
      for (let n = 1; n <= 4; n++) await kv.call('update', 'data/app', { data: { n } });
      const meta = await kv.call('read', 'metadata/app');
      assert.deepEqual(Object.keys(meta?.data?.versions as object), ['3', '4']);
      assert.equal(meta?.data?.oldest_version, 3);
      assert.equal(await kv.call('read', 'data/app', { version: 2 }), null);
      assert.equal(kv.storage.paths().filter((path) => path.startsWith('versions/')).length, 2);
    });

    it('applies the mount max_versions when the key has none', async () => {
      await kv.call('update', 'config', { max_versions: 1 });
      await kv.call('update', 'data/app', { data: { n: 1 } });
      await kv.call('update', 'data/app', { data: { n: 2 } });
      const meta = await kv.call('read', 'metadata/app');
      assert.deepEqual(Object.keys(meta?.data?.versions as object), ['2']);
    });

    it('stores custom_metadata and reports it with every version', async () => {
      await kv.call('update', 'metadata/app', { custom_metadata: { owner: 'ops' } });
      await kv.call('update', 'data/app', { data: { n: 1 } });
      const read = await kv.call('read', 'data/app');
      assert.deepEqual((read?.data as { metadata: { custom_metadata: unknown } }).metadata, {
        created_time: '2024-01-01T00:00:00.000Z',
        custom_metadata: { owner: 'ops' },
        deletion_time: '',
        destroyed: false,
        version: 1,
      });
      await assert.rejects(
        kv.call('update', 'metadata/app', { custom_metadata: { n: 1 } }),
        InvalidRequestError,
      );
    });

    it('schedules deletion of new versions with delete_version_after', async () => {
      await kv.call('update', 'metadata/app', { delete_version_after: '10s' });
      await kv.call('update', 'data/app', { data: { n: 1 } });
      assert.equal((await kv.call('read', 'data/app'))?.status, undefined);
      kv.clock.now += 10_000;
      assert.equal((await kv.call('read', 'data/app'))?.status, 404);
    });
  });

  describe('config', () => {
    it('reads the defaults, then what was written', async () => {
      assert.deepEqual((await kv.call('read', 'config'))?.data, {
        cas_required: false,
        delete_version_after: '0s',
        max_versions: 0,
      });
      await kv.call('update', 'config', { max_versions: 5, delete_version_after: '1h' });
      assert.deepEqual((await kv.call('read', 'config'))?.data, {
        cas_required: false,
        delete_version_after: '1h0m0s',
        max_versions: 5,
      });
    });

    it('refuses a negative max_versions', async () => {
      await assert.rejects(kv.call('update', 'config', { max_versions: -1 }), InvalidRequestError);
    });
  });

  it('answers 404 for paths outside config, data and metadata', async () => {
    await assert.rejects(kv.call('read', ''), UnsupportedPathError);
    await assert.rejects(kv.call('read', 'other/thing'), UnsupportedPathError);
  });
});
