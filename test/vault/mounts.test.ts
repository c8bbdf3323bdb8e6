import assert from 'node:assert/strict';

import {
  ConflictError,
  decodeJson,
  encodeJson,
  InmemStorage,
  InvalidRequestError,
} from '../../src/logical/index.js';
import { MemoryStore } from '../../src/physical/index.js';
import {
  addMount,
  moveMount,
  normaliseMountPath,
  storeTable,
  TABLE_STAMP_PATH,
} from '../../src/vault/mount-admin.js';
import { defaultMountTable } from '../../src/vault/mount-table.js';
import { coreHarness, initAndUnseal, type CoreHarness } from './support.js';

const KV2 = { type: 'kv-v2' };

async function unsealedCore(physical?: MemoryStore): Promise<CoreHarness & { token: string }> {
  const h = coreHarness(physical === undefined ? {} : { physical });
  const { rootToken } = await initAndUnseal(h.core);
  return { ...h, token: rootToken };
}

function mountsOf(response: Awaited<ReturnType<CoreHarness['call']>>): Record<string, unknown> {
  return (response?.data ?? {}) as Record<string, unknown>;
}

describe('sys/mounts', () => {
  it('enables a KV v2 mount that serves writes and reads and shows in the list', async () => {
    const h = await unsealedCore();
    await h.call('update', 'sys/mounts/team', { token: h.token, data: KV2 });

    const listed = mountsOf(await h.call('read', 'sys/mounts', { token: h.token }));
    const team = listed['team/'] as { type: string; options: Record<string, string> };
    assert.equal(team.type, 'kv');
    assert.deepEqual(team.options, { version: '2' });

    await h.call('update', 'team/data/app', { token: h.token, data: { data: { pw: 'x1' } } });
    const read = await h.call('read', 'team/data/app', { token: h.token });
    assert.deepEqual((read?.data as { data: unknown }).data, { pw: 'x1' });
  });

  it('refuses reserved paths, overlapping mounts and unknown engine types', async () => {
    const h = await unsealedCore();
    for (const path of ['sys/mounts/sys', 'sys/mounts/auth/x', 'sys/mounts/cubbyhole']) {
      await assert.rejects(h.call('update', path, { token: h.token, data: KV2 }), /reserved/);
    }
    await assert.rejects(
      h.call('update', 'sys/mounts/secret/inner', { token: h.token, data: KV2 }),
      /already in use at secret\//,
    );
    await assert.rejects(
      h.call('update', 'sys/mounts/x', { token: h.token, data: { type: 'nosuch' } }),
      InvalidRequestError,
    );
    const listed = mountsOf(await h.call('read', 'sys/mounts', { token: h.token }));
    assert.deepEqual(Object.keys(listed).sort(), ['cubbyhole/', 'secret/', 'sys/']);
  });

  it('tunes lease TTLs and reads them back, refusing a default above the maximum', async () => {
    const h = await unsealedCore();
    await h.call('update', 'sys/mounts/secret/tune', {
      token: h.token,
      data: { default_lease_ttl: '1h', max_lease_ttl: 7200 },
    });
    const tune = await h.call('read', 'sys/mounts/secret/tune', { token: h.token });
    assert.equal(tune?.data?.default_lease_ttl, 3600);
    assert.equal(tune?.data?.max_lease_ttl, 7200);
    await assert.rejects(
      h.call('update', 'sys/mounts/secret/tune', {
        token: h.token,
        data: { default_lease_ttl: '3h' },
      }),
      /greater than max_lease_ttl/,
    );
  });

  it('moves a mount with sys/remount and keeps its data', async () => {
    const h = await unsealedCore();
    await h.call('update', 'secret/data/app', { token: h.token, data: { data: { k: 'v' } } });
    const moved = await h.call('update', 'sys/remount', {
      token: h.token,
      data: { from: 'secret', to: 'moved' },
    });
    const id = moved?.data?.migration_id as string;
    const status = await h.call('read', `sys/remount/status/${id}`, { token: h.token });
    assert.equal((status?.data?.migration_info as { status: string }).status, 'success');

    const read = await h.call('read', 'moved/data/app', { token: h.token });
    assert.deepEqual((read?.data as { data: unknown }).data, { k: 'v' });
    await assert.rejects(h.call('read', 'secret/data/app', { token: h.token }), /no handler/);
  });

  it('disables a mount and deletes everything it stored', async () => {
    const h = await unsealedCore();
    await h.call('update', 'sys/mounts/gone', { token: h.token, data: KV2 });
    for (const name of ['a', 'b/c', 'b/d']) {
      await h.call('update', `gone/data/${name}`, { token: h.token, data: { data: { n: name } } });
    }
    const uuid = (mountsOf(await h.call('read', 'sys/mounts', { token: h.token }))['gone/'] as {
      uuid: string;
    }).uuid;
    assert.ok((await h.physical.list(`logical/${uuid}/`)).length > 0);

    await h.call('delete', 'sys/mounts/gone', { token: h.token });
    assert.deepEqual(await h.physical.list(`logical/${uuid}/`), []);
    await assert.rejects(h.call('read', 'gone/data/a', { token: h.token }), /no handler/);
  });

  it('lets another node on the same storage see a mount at its next request', async () => {
    const physical = new MemoryStore();
    const first = coreHarness({ physical });
    const { keys, rootToken } = await initAndUnseal(first.core);
    const second = coreHarness({ physical });
    for (const key of keys.slice(0, 3)) await second.core.unseal(key);

    await first.call('update', 'sys/mounts/shared', { token: rootToken, data: KV2 });
    await first.call('update', 'shared/data/x', { token: rootToken, data: { data: { a: 1 } } });
    const read = await second.call('read', 'shared/data/x', { token: rootToken });
    assert.deepEqual((read?.data as { data: unknown }).data, { a: 1 });
  });
});

describe('mount-admin', () => {
  it('normalises paths and refuses empty or dotted ones', () => {
    assert.equal(normaliseMountPath('/a/b//'), 'a/b/');
    for (const bad of ['', '/', 'a/../b', 'a/./b']) {
      assert.throws(() => normaliseMountPath(bad), InvalidRequestError, bad);
    }
  });

  it('stores a table only over the bytes it was read as, and rewrites the stamp', async () => {
    const storage = new InmemStorage();
    const first = encodeJson(defaultMountTable());
    await storage.put('mounts', first);
    await assert.rejects(
      storeTable(storage, 'mounts', encodeJson({ other: true }), defaultMountTable()),
      ConflictError,
    );
    assert.equal(await storage.get(TABLE_STAMP_PATH), undefined);

    await storeTable(storage, 'mounts', first, { replaced: true });
    assert.deepEqual(decodeJson(await storage.get('mounts') as Uint8Array), { replaced: true });
    assert.equal((await storage.get(TABLE_STAMP_PATH))?.byteLength, 16);
  });

  it('refuses to move a mount onto or under another one', () => {
    const table = addMount(defaultMountTable(), 'kv', mountRequest(), kvTypes).table;
    assert.throws(() => moveMount(table, 'kv', 'secret/sub'), /already in use/);
    assert.throws(() => moveMount(table, 'nothing', 'x'), /no mount/);
    const moved = moveMount(table, 'kv', 'kv2');
    assert.deepEqual(moved.entries.map((e) => e.path).sort(), ['kv2/', 'secret/']);
  });
});

const kvTypes = new Set(['kv']);

function mountRequest() {
  return {
    type: 'kv-v2',
    description: '',
    options: {},
    defaultLeaseTtl: 0,
    maxLeaseTtl: 0,
    forceNoCache: false,
    local: false,
    sealWrap: false,
  };
}
