import assert from 'node:assert/strict';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

import {
  AUDIT_TABLE_KEY,
  AuditFailedError,
  AuditManager,
  SALT_PATH,
  type AuditEnableConfig,
} from '../../src/audit/index.js';
import { getJson, InmemStorage, InvalidRequestError } from '../../src/logical/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { NOW, readLines, requestEntry, tempDir } from './support.js';

/** A manager over a `core/` view and per-device views that outlive it, like the barrier. */
function harness() {
  const core = new InmemStorage();
  const views = new Map<string, InmemStorage>();
  let uuids = 0;
  const make = () =>
    new AuditManager({
      storage: core,
      deviceStorage: (uuid) => {
        if (!views.has(uuid)) views.set(uuid, new InmemStorage());
        return views.get(uuid) as InmemStorage;
      },
      logger: silentLogger,
      now: () => NOW,
      newUuid: () => `uuid-${++uuids}`,
    });
  return { core, views, make };
}

describe('AuditManager', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: string;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    file = path.join(dir, 'audit.log');
  });
  afterEach(() => cleanup());

  it('enables a device, stores the table and logs through it', async () => {
    const h = harness();
    const manager = h.make();
    await manager.enable('file', {
      type: 'file',
      description: 'main log',
      options: { file_path: file },
    });
    assert.deepEqual(manager.list(), [
      {
        path: 'file/',
        type: 'file',
        description: 'main log',
        options: { file_path: file },
        local: false,
        uuid: 'uuid-1',
      },
    ]);
    const stored = await getJson<{ entries: unknown[] }>(h.core, AUDIT_TABLE_KEY);
    assert.deepEqual(stored?.entries, manager.list());
    assert.deepEqual(h.views.get('uuid-1')?.paths(), [SALT_PATH]);

    await manager.logRequest(requestEntry());
    await manager.close();
    assert.equal((await readLines(file)).length, 1);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('reloads the table after a restart, with the same salt and the chain continued', async () => {
    const h = harness();
    const before = h.make();
    await before.enable('file/', { type: 'file', options: { file_path: file } });
    const hash = await before.hash('file', 'hunter2');
    await before.logRequest(requestEntry());
    await before.close();

    const after = h.make();
    await after.load();
    assert.deepEqual(
      after.list().map((entry) => entry.path),
      ['file/'],
    );
    assert.equal(await after.hash('file/', 'hunter2'), hash);
    await after.logRequest(requestEntry());
    await after.close();
    const lines = await readLines(file);
    assert.equal(lines.length, 2);
  });

  it('disables a device: gone from the table, storage and broker, its salt removed', async () => {
    const h = harness();
    const manager = h.make();
    await manager.enable('file', { type: 'file', options: { file_path: file } });
    assert.equal(await manager.disable('file/'), true);
    assert.deepEqual(manager.list(), []);
    assert.deepEqual(h.views.get('uuid-1')?.paths(), []);
    assert.equal(await manager.disable('file/'), false);
    await manager.logRequest(requestEntry()); // no device: nothing to do

    const reloaded = h.make();
    await reloaded.load();
    assert.deepEqual(reloaded.list(), []);
  });

  it('refuses a duplicate or nested path and a file another device writes', async () => {
    const manager = harness().make();
    await manager.enable('file', { type: 'file', options: { file_path: file } });
    const other = path.join(dir, 'other.log');
    for (const at of ['file', 'file/nested', '']) {
      await assert.rejects(
        manager.enable(at, { type: 'file', options: { file_path: other } }),
        InvalidRequestError,
        at,
      );
    }
    await assert.rejects(
      manager.enable('second', { type: 'file', options: { file_path: file } }),
      /already writes to that file/,
    );
    await manager.close();
  });

  it('refuses an unknown type, a bad option and an unwritable file, storing nothing', async () => {
    const h = harness();
    const manager = h.make();
    await chmod(dir, 0o500);
    try {
      const bad: AuditEnableConfig[] = [
        { type: 'syslog', options: { file_path: file } },
        { type: 'file', options: { file_path: file, mode: '0755' } },
        { type: 'file', options: { file_path: path.join(dir, 'missing', 'a.log') } },
        { type: 'file', options: { file_path: dir } },
      ];
      // Root writes through permission bits, so only other users can test a read-only dir.
      if (process.getuid?.() !== 0) {
        bad.push({ type: 'file', options: { file_path: path.join(dir, 'readonly.log') } });
      }
      for (const config of bad) {
        await assert.rejects(manager.enable('file', config), InvalidRequestError);
      }
    } finally {
      await chmod(dir, 0o700);
    }
    assert.deepEqual(manager.list(), []);
    assert.equal(await h.core.get(AUDIT_TABLE_KEY), undefined);
  });

  it('keeps a device whose file cannot be opened at load, so requests fail closed', async () => {
    const h = harness();
    const sub = path.join(dir, 'logs');
    const first = h.make();
    await mkdir(sub);
    await first.enable('file', { type: 'file', options: { file_path: path.join(sub, 'a.log') } });
    await first.close();
    await rm(sub, { recursive: true });

    const second = h.make();
    await second.load();
    assert.equal(second.list().length, 1);
    await assert.rejects(second.logRequest(requestEntry()), AuditFailedError);

    // The device opens its file on the next write once the directory is back.
    await mkdir(sub);
    await second.logRequest(requestEntry());
    await second.close();
    assert.equal((await readLines(path.join(sub, 'a.log'))).length, 1);
  });

  it('knows which device writes where, through enable, disable, load and close', async () => {
    const h = harness();
    const manager = h.make();
    assert.equal(manager.hasDevice('file', file), false);
    await manager.enable('file', { type: 'file', options: { file_path: file } });
    await manager.enable('out', { type: 'file', options: { path: 'stdout' } });
    assert.equal(manager.hasDevice('file', file), true);
    assert.equal(manager.hasDevice('file', 'stdout'), true);
    assert.equal(manager.hasDevice('syslog', file), false);
    assert.equal(manager.hasDevice('file', `${file}.other`), false);

    await manager.disable('out');
    assert.equal(manager.hasDevice('file', 'stdout'), false);
    await manager.close();
    assert.equal(manager.hasDevice('file', file), false);

    const restarted = h.make();
    await restarted.load();
    assert.equal(restarted.hasDevice('file', file), true);
    await restarted.close();
  });

  it('reopens every device for rotation', async () => {
    const manager = harness().make();
    await manager.enable('file', { type: 'file', options: { file_path: file } });
    await rename(file, `${file}.1`);
    await manager.reopen();
    await manager.logRequest(requestEntry());
    await manager.close();
    assert.equal((await readLines(file)).length, 1);
  });
});
