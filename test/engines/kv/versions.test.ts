import assert from 'node:assert/strict';

import { InvalidRequestError } from '../../../src/logical/index.js';
import { kvHarness, secretOf, type KvHarness } from './support.js';

interface VersionState {
  deletion_time: string;
  destroyed: boolean;
}

describe('KV v2 delete, undelete and destroy', () => {
  let kv: KvHarness;

  const versionsOf = async (key: string): Promise<Record<string, VersionState>> =>
    (await kv.call('read', `metadata/${key}`))?.data?.versions as Record<string, VersionState>;

  beforeEach(async () => {
    kv = kvHarness();
    for (let n = 1; n <= 3; n++) await kv.call('update', 'data/app', { data: { n } });
  });

  describe('delete', () => {
    it('soft-deletes the versions named, leaving the others readable', async () => {
      kv.clock.now += 2000;
      assert.equal(await kv.call('update', 'delete/app', { versions: [1, 3] }), null);
      const versions = await versionsOf('app');
      assert.equal(versions['1']?.deletion_time, '2024-01-01T00:00:02.000Z');
      assert.equal(versions['2']?.deletion_time, '');
      assert.equal(versions['3']?.deletion_time, '2024-01-01T00:00:02.000Z');
      assert.equal((await kv.call('read', 'data/app'))?.status, 404);
      assert.deepEqual(secretOf(await kv.call('read', 'data/app', { version: 2 })), { n: 2 });
    });

    it('keeps the first deletion time when a version is deleted twice', async () => {
      await kv.call('update', 'delete/app', { versions: [1] });
      kv.clock.now += 5000;
      await kv.call('update', 'delete/app', { versions: '1,2' });
      const versions = await versionsOf('app');
      assert.equal(versions['1']?.deletion_time, '2024-01-01T00:00:00.000Z');
      assert.equal(versions['2']?.deletion_time, '2024-01-01T00:00:05.000Z');
    });

    it('skips versions the key does not hold and leaves a missing key alone', async () => {
      const before = kv.storage.batches;
      assert.equal(await kv.call('update', 'delete/app', { versions: [9] }), null);
      assert.equal(await kv.call('update', 'delete/none', { versions: [1] }), null);
      assert.equal(kv.storage.batches, before);
      assert.equal(await kv.call('read', 'metadata/none'), null);
    });

    it('refuses an empty or malformed list of versions', async () => {
      await assert.rejects(kv.call('update', 'delete/app', {}), /no version number provided/);
      await assert.rejects(kv.call('update', 'delete/app', { versions: [] }), /no version/);
      for (const versions of [[-1], ['x'], [1.5], { a: 1 }, true]) {
        await assert.rejects(
          kv.call('update', 'delete/app', { versions }),
          InvalidRequestError,
          JSON.stringify(versions),
        );
      }
    });
  });

  describe('undelete', () => {
    it('restores soft-deleted versions', async () => {
      await kv.call('update', 'delete/app', { versions: [2, 3] });
      assert.equal(await kv.call('update', 'undelete/app', { versions: ['3'] }), null);
      assert.deepEqual(secretOf(await kv.call('read', 'data/app')), { n: 3 });
      assert.equal((await kv.call('read', 'data/app', { version: 2 }))?.status, 404);
    });

    it('clears a deletion scheduled by delete_version_after', async () => {
      await kv.call('update', 'metadata/timed', { delete_version_after: '10s' });
      await kv.call('update', 'data/timed', { data: { n: 1 } });
      await kv.call('update', 'undelete/timed', { versions: [1] });
      kv.clock.now += 60_000;
      assert.deepEqual(secretOf(await kv.call('read', 'data/timed')), { n: 1 });
    });

    it('cannot bring back a destroyed version', async () => {
      await kv.call('update', 'destroy/app', { versions: [3] });
      await kv.call('update', 'undelete/app', { versions: [3] });
      const read = await kv.call('read', 'data/app');
      assert.equal(read?.status, 404);
      assert.equal((read?.data?.metadata as VersionState).destroyed, true);
    });
  });

  describe('destroy', () => {
    it('marks the versions destroyed and erases their data', async () => {
      const versionRecords = (): string[] =>
        kv.storage.paths().filter((path) => path.startsWith('versions/'));
      assert.equal(versionRecords().length, 3);

      assert.equal(await kv.call('update', 'destroy/app', { versions: [1, 2] }), null);
      assert.deepEqual(versionRecords().map((path) => path.split('/').at(-1)), ['3']);
      const versions = await versionsOf('app');
      assert.equal(versions['1']?.destroyed, true);
      assert.equal(versions['2']?.destroyed, true);
      assert.equal(versions['3']?.destroyed, false);
    });

    it('answers reads of a destroyed version with 404 and its metadata', async () => {
      await kv.call('update', 'destroy/app', { versions: [2] });
      const read = await kv.call('read', 'data/app', { version: 2 });
      assert.equal(read?.status, 404);
      assert.deepEqual(read?.data, {
        data: null,
        metadata: {
          created_time: '2024-01-01T00:00:00.000Z',
          custom_metadata: null,
          deletion_time: '',
          destroyed: true,
          version: 2,
        },
      });
    });

    it('destroys a soft-deleted version too, and a missing key is left alone', async () => {
      await kv.call('update', 'delete/app', { versions: [1] });
      await kv.call('update', 'destroy/app', { versions: [1] });
      assert.equal((await versionsOf('app'))['1']?.destroyed, true);
      assert.equal(await kv.call('update', 'destroy/none', { versions: [1] }), null);
    });

    it('lets a later write continue the version sequence', async () => {
      await kv.call('update', 'destroy/app', { versions: [3] });
      const written = await kv.call('update', 'data/app', { data: { n: 4 } });
      assert.equal(written?.data?.version, 4);
      assert.deepEqual(secretOf(await kv.call('read', 'data/app')), { n: 4 });
    });
  });
});
