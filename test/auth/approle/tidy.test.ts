import assert from 'node:assert/strict';

import { ConflictError, type StorageOp } from '../../../src/logical/index.js';
import { appRoleHarness, type AppRoleHarness } from './support.js';

describe('AppRole tidy/secret-id', () => {
  let ar: AppRoleHarness;
  let roleId: string;

  beforeEach(async () => {
    ar = appRoleHarness();
    roleId = await ar.role('app');
  });

  const tidy = () => ar.call('update', 'tidy/secret-id');

  /** The storage paths of the record and accessor entry of each secret ID of the mount. */
  const secretPaths = (): string[] =>
    ar.storage.paths().filter((path) => /^(secret-id|accessor)\//.test(path));

  it('deletes expired secret IDs with their accessors and keeps the rest', async () => {
    const expiring = await ar.secretId('app', { ttl: 60 });
    const lasting = await ar.secretId('app');
    ar.clock.now += 60_000;

    const response = await tidy();
    assert.equal(response?.status, 202);
    assert.deepEqual(response?.warnings, [
      'Tidy of secret IDs finished: removed 1 secret IDs and 0 dangling accessors.',
    ]);
    assert.equal(secretPaths().length, 2);
    assert.equal(await ar.lookup('app', expiring.secret_id), null);
    assert.ok((await ar.login(roleId, lasting.secret_id))?.login);
  });

  it('deletes secret IDs left under a role that no longer exists', async () => {
    await ar.secretId('app');
    const leftovers = secretPaths();
    const saved = await Promise.all(leftovers.map((path) => ar.storage.get(path)));
    await ar.call('delete', 'role/app');
    await Promise.all(leftovers.map((path, i) => ar.storage.put(path, saved[i] as Uint8Array)));
    ar.clock.now += 1;

    await tidy();
    assert.deepEqual(secretPaths(), []);
  });

  it('keeps a secret ID of an unknown role issued after the tidy started', async () => {
    await ar.secretId('app');
    const leftovers = secretPaths();
    const saved = await Promise.all(leftovers.map((path) => ar.storage.get(path)));
    await ar.call('delete', 'role/app');
    await Promise.all(leftovers.map((path, i) => ar.storage.put(path, saved[i] as Uint8Array)));

    // Same instant: the record could belong to a role created after the roles were listed.
    await tidy();
    assert.equal(secretPaths().length, 2);
  });

  it('deletes accessor entries whose secret ID is gone', async () => {
    await ar.secretId('app');
    const record = secretPaths().find((path) => path.startsWith('secret-id/'));
    assert.ok(record);
    await ar.storage.delete(record);

    const response = await tidy();
    assert.match(response?.warnings?.[0] ?? '', /removed 0 secret IDs and 1 dangling accessors/);
    assert.deepEqual(secretPaths(), []);
  });

  it('refuses a second tidy while one is running', async () => {
    await ar.secretId('app', { ttl: 1 });
    ar.clock.now += 1000;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const batch = ar.storage.batch.bind(ar.storage);
    ar.storage.batch = async (ops: readonly StorageOp[]) => {
      await held;
      return batch(ops);
    };

    const first = tidy();
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(tidy(), ConflictError);
    release();
    await first;
    assert.ok(await tidy());
  });
});
