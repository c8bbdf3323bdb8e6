import assert from 'node:assert/strict';

import { DEFAULT_CONFIG } from '../../../src/engines/kv/types.js';
import { encodeJson, InvalidRequestError, NotFoundError } from '../../../src/logical/index.js';
import { kvHarness, secretOf, type KvHarness } from './support.js';

const T0 = '2024-01-01T00:00:00.000Z';

describe('KV v2 data', () => {
  let kv: KvHarness;

  beforeEach(() => {
    kv = kvHarness();
  });

  describe('write and read', () => {
    it('answers a write with the new version metadata in Vault shape', async () => {
      const response = await kv.call('update', 'data/app', { data: { password: 'p1' } });
      assert.deepEqual(response?.data, {
        created_time: T0,
        custom_metadata: null,
        deletion_time: '',
        destroyed: false,
        version: 1,
      });
    });

    it('reads the latest version as data.data and data.metadata', async () => {
      await kv.call('update', 'data/app', { data: { password: 'p1' } });
      kv.clock.now += 1000;
      await kv.call('update', 'data/app', { data: { password: 'p2' } });

      const response = await kv.call('read', 'data/app');
      assert.deepEqual(response?.data, {
        data: { password: 'p2' },
        metadata: {
          created_time: '2024-01-01T00:00:01.000Z',
          custom_metadata: null,
          deletion_time: '',
          destroyed: false,
          version: 2,
        },
      });
    });

    it('reads an older version with ?version=, given as a query string', async () => {
      await kv.call('update', 'data/app', { data: { n: 1 } });
      await kv.call('update', 'data/app', { data: { n: 2 } });
      const response = await kv.call('read', 'data/app', { version: '1' });
      assert.deepEqual((response?.data as { data: unknown }).data, { n: 1 });
    });

    it('answers null (a 404) for a missing key or a version never written', async () => {
      assert.equal(await kv.call('read', 'data/missing'), null);
      await kv.call('update', 'data/app', { data: { n: 1 } });
      assert.equal(await kv.call('read', 'data/app', { version: 9 }), null);
    });

    it('refuses a write without data, a negative version and a folder as a key', async () => {
      await assert.rejects(kv.call('update', 'data/app', {}), /no data provided/);
      await assert.rejects(kv.call('read', 'data/app', { version: -1 }), InvalidRequestError);
      await assert.rejects(kv.call('update', 'data/dir/', { data: {} }), InvalidRequestError);
    });

    it('keeps __proto__ and constructor keys as plain data', async () => {
      const data = JSON.parse('{"__proto__":{"polluted":true},"constructor":"x"}') as object;
      await kv.call('update', 'data/odd', { data });
      const response = await kv.call('read', 'data/odd');
      const stored = (response?.data as { data: Record<string, unknown> }).data;
      assert.deepEqual(Object.keys(stored).sort(), ['__proto__', 'constructor']);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('stores nothing but the metadata record and one record per version', async () => {
      await kv.call('update', 'data/team/app', { data: { n: 1 } });
      await kv.call('update', 'data/team/app', { data: { n: 2 } });
      const paths = kv.storage.paths();
      assert.equal(paths.filter((path) => path === 'metadata/team/app').length, 1);
      assert.equal(paths.filter((path) => /^versions\/[0-9a-f]{64}\/[12]$/.test(path)).length, 2);
      assert.equal(paths.length, 3);
    });
  });

  describe('check-and-set', () => {
    it('writes a new key only with cas 0, and an existing one only with its version', async () => {
      await kv.call('update', 'data/app', { data: { n: 1 }, options: { cas: 0 } });
      await assert.rejects(
        kv.call('update', 'data/app', { data: { n: 2 }, options: { cas: 0 } }),
        /check-and-set parameter did not match the current version/,
      );
      const response = await kv.call('update', 'data/app', { data: { n: 2 }, options: { cas: 1 } });
      assert.equal(response?.data?.version, 2);
    });

    it('requires cas when the mount or the key says so', async () => {
      await kv.call('update', 'config', { cas_required: true });
      await assert.rejects(
        kv.call('update', 'data/app', { data: { n: 1 } }),
        /check-and-set parameter required for this call/,
      );
      await kv.call('update', 'config', { cas_required: false });
      await kv.call('update', 'metadata/app', { cas_required: true });
      await assert.rejects(kv.call('update', 'data/app', { data: {} }), /required/);
    });

    it('lets exactly one of two concurrent writers with the same cas win', async () => {
      await kv.call('update', 'data/app', { data: { n: 1 } });
      const results = await Promise.allSettled([
        kv.call('update', 'data/app', { data: { by: 'a' }, options: { cas: 1 } }),
        kv.call('update', 'data/app', { data: { by: 'b' }, options: { cas: 1 } }),
      ]);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result) => result.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.match(String((lost[0] as PromiseRejectedResult).reason), /did not match/);
      const meta = await kv.call('read', 'metadata/app');
      assert.equal(meta?.data?.current_version, 2);
    });

    it('refuses a cas that is not a non-negative integer', async () => {
      for (const cas of [-1, 1.5, 'x', true]) {
        await assert.rejects(
          kv.call('update', 'data/app', { data: {}, options: { cas } }),
          InvalidRequestError,
          `${cas}`,
        );
      }
    });
  });

  describe('delete', () => {
    it('soft-deletes the latest version: a 404 that still carries the metadata', async () => {
      await kv.call('update', 'data/app', { data: { n: 1 } });
      kv.clock.now += 5000;
      assert.equal(await kv.call('delete', 'data/app'), null);

      const response = await kv.call('read', 'data/app');
      assert.equal(response?.status, 404);
      assert.deepEqual(response?.data, {
        data: null,
        metadata: {
          created_time: T0,
          custom_metadata: null,
          deletion_time: '2024-01-01T00:00:05.000Z',
          destroyed: false,
          version: 1,
        },
      });
    });

    it('leaves older versions readable and a missing key alone', async () => {
      await kv.call('update', 'data/app', { data: { n: 1 } });
      await kv.call('update', 'data/app', { data: { n: 2 } });
      await kv.call('delete', 'data/app');
      const old = await kv.call('read', 'data/app', { version: 1 });
      assert.deepEqual((old?.data as { data: unknown }).data, { n: 1 });
      assert.equal(await kv.call('delete', 'data/never'), null);
    });
  });

  describe('patch', () => {
    it('merges the patch into the latest data as a new version', async () => {
      await kv.call('update', 'data/app', { data: { a: 1, b: { c: 2, d: 3 }, e: 4 } });
      const changes = { b: { c: 20, d: null }, e: null };
      const response = await kv.call('patch', 'data/app', { data: changes });
      assert.equal(response?.data?.version, 2);
      const read = await kv.call('read', 'data/app');
      assert.deepEqual((read?.data as { data: unknown }).data, { a: 1, b: { c: 20 } });
    });

    it('answers 404 when the key does not exist or has no version yet', async () => {
      await assert.rejects(kv.call('patch', 'data/none', { data: { a: 1 } }), NotFoundError);
      await kv.call('update', 'metadata/bare', { max_versions: 3 });
      await assert.rejects(kv.call('patch', 'data/bare', { data: { a: 1 } }), NotFoundError);
    });

    it('answers 404 with metadata when the latest version is deleted or destroyed', async () => {
      await kv.call('update', 'data/app', { data: { a: 1 } });
      kv.clock.now += 1000;
      await kv.call('delete', 'data/app');
      const deleted = await kv.call('patch', 'data/app', { data: { a: 2 } });
      assert.equal(deleted?.status, 404);
      assert.deepEqual(deleted?.data, {
        created_time: T0,
        custom_metadata: null,
        deletion_time: '2024-01-01T00:00:01.000Z',
        destroyed: false,
        version: 1,
      });

      await kv.call('update', 'data/gone', { data: { a: 1 } });
      await kv.call('update', 'destroy/gone', { versions: [1] });
      const destroyed = await kv.call('patch', 'data/gone', { data: { a: 2 } });
      assert.equal(destroyed?.status, 404);
      assert.equal(destroyed?.data?.destroyed, true);
      assert.equal((await kv.call('read', 'metadata/gone'))?.data?.current_version, 1);
    });

    it('honours cas and cas_required like a write', async () => {
      await kv.call('update', 'data/app', { data: { a: 1 } });
      await assert.rejects(
        kv.call('patch', 'data/app', { data: { a: 2 }, options: { cas: 0 } }),
        /check-and-set parameter did not match the current version/,
      );
      const ok = await kv.call('patch', 'data/app', { data: { b: 2 }, options: { cas: 1 } });
      assert.equal(ok?.data?.version, 2);

      await kv.call('update', 'metadata/app', { cas_required: true });
      await assert.rejects(
        kv.call('patch', 'data/app', { data: { c: 3 } }),
        /check-and-set parameter required for this call/,
      );
      assert.deepEqual(secretOf(await kv.call('read', 'data/app')), { a: 1, b: 2 });
    });

    it('refuses a patch without data', async () => {
      await kv.call('update', 'data/app', { data: { a: 1 } });
      await assert.rejects(kv.call('patch', 'data/app', {}), /no data provided/);
      await assert.rejects(kv.call('patch', 'data/app', { data: 'x' }), InvalidRequestError);
    });

    it('lets exactly one of two concurrent patches with the same cas win', async () => {
      await kv.call('update', 'data/app', { data: { n: 0 } });
      const results = await Promise.allSettled([
        kv.call('patch', 'data/app', { data: { a: 1 }, options: { cas: 1 } }),
        kv.call('patch', 'data/app', { data: { b: 1 }, options: { cas: 1 } }),
      ]);
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      assert.equal((await kv.call('read', 'metadata/app'))?.data?.current_version, 2);
    });
  });

  describe('delete_version_after', () => {
    it('uses the smaller of the mount and key settings for new versions', async () => {
      await kv.call('update', 'config', { delete_version_after: '1h' });
      await kv.call('update', 'data/mount', { data: { n: 1 } });
      await kv.call('update', 'metadata/short', { delete_version_after: '10s' });
      await kv.call('update', 'data/short', { data: { n: 1 } });
      await kv.call('update', 'metadata/long', { delete_version_after: '2h' });
      await kv.call('update', 'data/long', { data: { n: 1 } });

      const deletionTime = async (key: string): Promise<string> => {
        const metadata = (await kv.call('read', `data/${key}`))?.data?.metadata;
        return (metadata as { deletion_time: string }).deletion_time;
      };
      assert.equal(await deletionTime('mount'), '2024-01-01T01:00:00.000Z');
      assert.equal(await deletionTime('short'), '2024-01-01T00:00:10.000Z');
      assert.equal(await deletionTime('long'), '2024-01-01T01:00:00.000Z');
    });

    it('reads a version as deleted once its deletion time has passed, not before', async () => {
      await kv.call('update', 'metadata/app', { delete_version_after: '10s' });
      await kv.call('update', 'data/app', { data: { n: 1 } });
      kv.clock.now += 9_999;
      assert.deepEqual(secretOf(await kv.call('read', 'data/app')), { n: 1 });
      kv.clock.now += 1;
      const gone = await kv.call('read', 'data/app');
      assert.equal(gone?.status, 404);
      assert.equal(secretOf(gone), null);
    });

    it('is switched off for every key by a negative mount setting', async () => {
      await kv.call('update', 'metadata/app', { delete_version_after: '10s' });
      await kv.call('update', 'config', { delete_version_after: '-1s' });
      await kv.call('update', 'data/app', { data: { n: 1 } });
      kv.clock.now += 60_000;
      assert.deepEqual(secretOf(await kv.call('read', 'data/app')), { n: 1 });
    });
  });

  describe('existence check', () => {
    it('tells a new key (create) from an existing one (update)', async () => {
      assert.equal(await kv.exists('data/app'), false);
      await kv.call('update', 'data/app', { data: { n: 1 } });
      assert.equal(await kv.exists('data/app'), true);
      assert.equal(await kv.exists('data/other'), false);
    });
  });

  describe('races', () => {
    it('re-checks cas_required when the config changes between read and batch', async () => {
      kv.storage.beforeBatch = async () => {
        await kv.storage.put('config', encodeJson({ ...DEFAULT_CONFIG, cas_required: true }));
      };
      await assert.rejects(
        kv.call('update', 'data/app', { data: { n: 1 } }),
        /check-and-set parameter required for this call/,
      );
      assert.equal(await kv.call('read', 'metadata/app'), null);
    });

    it('retries a write whose key changed between the read and the batch', async () => {
      await kv.call('update', 'data/app', { data: { n: 1 } });
      kv.storage.beforeBatch = async () => {
        await kv.call('update', 'data/app', { data: { n: 2 } });
      };
      const response = await kv.call('update', 'data/app', { data: { n: 3 } });
      assert.equal(response?.data?.version, 3);
      assert.deepEqual(secretOf(await kv.call('read', 'data/app', { version: 2 })), { n: 2 });
    });
  });
});
