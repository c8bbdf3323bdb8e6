import assert from 'node:assert/strict';

import {
  InvalidRequestError,
  NotFoundError,
  UnsupportedPathError,
} from '../../../src/logical/index.js';
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

    it('writes nothing when the request names no setting', async () => {
      assert.equal(await kv.call('update', 'metadata/app', {}), null);
      assert.deepEqual(kv.storage.paths(), []);
    });

    it('prunes the oldest versions at once when max_versions is lowered', async () => {
      for (let n = 1; n <= 3; n++) await kv.call('update', 'data/app', { data: { n } });
      await kv.call('update', 'metadata/app', { max_versions: 1 });
      const meta = await kv.call('read', 'metadata/app');
      assert.deepEqual(Object.keys(meta?.data?.versions as object), ['3']);
      assert.equal(meta?.data?.oldest_version, 3);
      assert.equal(kv.storage.paths().filter((path) => path.startsWith('versions/')).length, 1);
    });

    it('warns when a key turns cas_required off while the mount requires it', async () => {
      await kv.call('update', 'config', { cas_required: true });
      const response = await kv.call('update', 'metadata/app', { cas_required: false });
      assert.match(String(response?.warnings?.[0]), /mount config requires check-and-set/);
      await assert.rejects(kv.call('update', 'data/app', { data: {} }), /required/);
    });

    it('tells a new key (create) from an existing one (update)', async () => {
      assert.equal(await kv.exists('metadata/app'), false);
      await kv.call('update', 'metadata/app', { max_versions: 2 });
      assert.equal(await kv.exists('metadata/app'), true);
    });

    it('schedules deletion of new versions with delete_version_after', async () => {
      await kv.call('update', 'metadata/app', { delete_version_after: '10s' });
      await kv.call('update', 'data/app', { data: { n: 1 } });
      assert.equal((await kv.call('read', 'data/app'))?.status, undefined);
      kv.clock.now += 10_000;
      assert.equal((await kv.call('read', 'data/app'))?.status, 404);
    });
  });

  describe('custom_metadata limits', () => {
    const refuses = async (custom: Record<string, unknown>, pattern: RegExp): Promise<void> => {
      await assert.rejects(
        kv.call('update', 'metadata/app', { custom_metadata: custom }),
        (err: unknown) => err instanceof InvalidRequestError && pattern.test(err.message),
      );
    };

    it('accepts 64 keys, 128-byte keys and 512-byte values', async () => {
      const custom: Record<string, string> = {};
      for (let i = 0; i < 63; i++) custom[`k${i}`] = 'v';
      custom['k'.repeat(128)] = 'é'.repeat(256);
      await kv.call('update', 'metadata/app', { custom_metadata: custom });
      const meta = await kv.call('read', 'metadata/app');
      assert.equal(Object.keys(meta?.data?.custom_metadata as object).length, 64);
    });

    it('refuses 65 keys, long keys or values (in bytes), empty and unprintable ones', async () => {
      const many: Record<string, string> = {};
      for (let i = 0; i < 65; i++) many[`k${i}`] = 'v';
      await refuses(many, /at most 64 keys/);
      await refuses({ ['k'.repeat(129)]: 'v' }, /keys must be 1 to 128 bytes/);
      await refuses({ k: 'é'.repeat(257) }, /values must be 1 to 512 bytes/);
      await refuses({ k: '' }, /values must be 1 to 512 bytes/);
      await refuses({ k: 'a\u0007b' }, /printable/);
      await refuses({ k: 7 }, /must be strings/);
      assert.equal(await kv.call('read', 'metadata/app'), null);
    });
  });

  describe('metadata patch', () => {
    beforeEach(async () => {
      await kv.call('update', 'metadata/app', {
        max_versions: 5,
        cas_required: true,
        custom_metadata: { owner: 'ops', team: 'core' },
      });
    });

    it('changes only the settings named and merges custom_metadata key by key', async () => {
      kv.clock.now += 1000;
      const response = await kv.call('patch', 'metadata/app', {
        max_versions: 7,
        custom_metadata: { team: null, tier: 'gold' },
      });
      assert.equal(response, null);
      const meta = await kv.call('read', 'metadata/app');
      assert.equal(meta?.data?.max_versions, 7);
      assert.equal(meta?.data?.cas_required, true);
      assert.deepEqual(meta?.data?.custom_metadata, { owner: 'ops', tier: 'gold' });
      assert.equal(meta?.data?.updated_time, '2024-01-01T00:00:01.000Z');
    });

    it('resets a setting or all custom_metadata given null', async () => {
      await kv.call('patch', 'metadata/app', { cas_required: null, custom_metadata: null });
      const meta = await kv.call('read', 'metadata/app');
      assert.equal(meta?.data?.cas_required, false);
      assert.equal(meta?.data?.custom_metadata, null);
      assert.equal(meta?.data?.max_versions, 5);
    });

    it('answers 404 for a key without metadata and checks the merged custom_metadata', async () => {
      await assert.rejects(kv.call('patch', 'metadata/none', { max_versions: 1 }), NotFoundError);
      assert.equal(await kv.call('read', 'metadata/none'), null);
      const extra: Record<string, string> = {};
      for (let i = 0; i < 63; i++) extra[`x${i}`] = 'v';
      await assert.rejects(
        kv.call('patch', 'metadata/app', { custom_metadata: extra }),
        /at most 64 keys/,
      );
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

    it('reports a negative delete_version_after as disabled, "-1s"', async () => {
      await kv.call('update', 'config', { delete_version_after: -5 });
      assert.equal((await kv.call('read', 'config'))?.data?.delete_version_after, '-1s');
      await kv.call('update', 'config', { delete_version_after: '0s' });
      assert.equal((await kv.call('read', 'config'))?.data?.delete_version_after, '0s');
      await assert.rejects(
        kv.call('update', 'config', { delete_version_after: '-x' }),
        InvalidRequestError,
      );
    });

    it('keeps both of two concurrent writes of different settings', async () => {
      await Promise.all([
        kv.call('update', 'config', { max_versions: 3 }),
        kv.call('update', 'config', { cas_required: true }),
      ]);
      const config = await kv.call('read', 'config');
      assert.equal(config?.data?.max_versions, 3);
      assert.equal(config?.data?.cas_required, true);
    });

    it('writes nothing for an empty request, and always exists for the ACL', async () => {
      assert.equal(await kv.call('update', 'config', {}), null);
      assert.deepEqual(kv.storage.paths(), []);
      assert.equal(await kv.exists('config'), true);
    });
  });

  it('refuses a mount version other than 1 or 2', () => {
    assert.throws(() => kvHarness({ version: '3' }), /unsupported kv version "3"/);
  });

  it('answers 404 for paths outside config, data and metadata', async () => {
    await assert.rejects(kv.call('read', ''), UnsupportedPathError);
    await assert.rejects(kv.call('read', 'other/thing'), UnsupportedPathError);
  });
});
