import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { AuditManager, verifyAuditChain } from '../../src/audit/index.js';
import {
  InmemStorage,
  InvalidRequestError,
  makeRequest,
  PathBackend,
  type Operation,
} from '../../src/logical/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { auditPaths } from '../../src/vault/sys/audit-paths.js';

describe('sys/audit paths', () => {
  let dir: string;
  let file: string;
  let manager: AuditManager;
  let backend: PathBackend;

  const call = (operation: Operation, path: string, data: Record<string, unknown> = {}) =>
    backend.handleRequest(makeRequest({ operation, path, data }, randomUUID));

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'coffer-audit-paths-'));
    file = path.join(dir, 'audit.log');
    const views = new Map<string, InmemStorage>();
    manager = new AuditManager({
      storage: new InmemStorage(),
      deviceStorage: (uuid) => {
        if (!views.has(uuid)) views.set(uuid, new InmemStorage());
        return views.get(uuid) as InmemStorage;
      },
      logger: silentLogger,
      now: () => Date.parse('2024-01-01T00:00:00Z'),
    });
    backend = new PathBackend(auditPaths(manager));
  });

  afterEach(async () => {
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists nothing before a device is enabled', async () => {
    assert.deepEqual(await call('read', 'audit'), { data: {}, dataAtTopLevel: true });
  });

  it('enables a file device and lists it keyed by path/', async () => {
    const enabled = await call('update', 'audit/file', {
      type: 'file',
      description: 'main log',
      options: { file_path: file, hmac_accessor: false },
    });
    assert.equal(enabled, null);
    const listed = await call('read', 'audit');
    assert.deepEqual(listed?.data, {
      'file/': {
        type: 'file',
        description: 'main log',
        options: { file_path: file, hmac_accessor: 'false' },
        local: false,
        path: 'file/',
      },
    });
    assert.equal(listed?.dataAtTopLevel, true);
  });

  it('refuses a bad type, a missing type, an executable mode and a duplicate', async () => {
    await call('update', 'audit/file', { type: 'file', options: { file_path: file } });
    const other = path.join(dir, 'other.log');
    const bad: Array<[string, Record<string, unknown>]> = [
      ['audit/x', { type: 'socket', options: { file_path: other } }],
      ['audit/x', { options: { file_path: other } }],
      ['audit/x', { type: 'file', options: { file_path: other, mode: '0744' } }],
      ['audit/x', { type: 'file', options: { file_path: other, nested: { a: 1 } } }],
      ['audit/file', { type: 'file', options: { file_path: other } }],
    ];
    for (const [at, data] of bad) {
      await assert.rejects(call('update', at, data), InvalidRequestError, JSON.stringify(data));
    }
  });

  it('disables a device, and disabling an absent one also succeeds', async () => {
    await call('update', 'audit/file', { type: 'file', options: { file_path: file } });
    assert.equal(await call('delete', 'audit/file'), null);
    assert.deepEqual((await call('read', 'audit'))?.data, {});
    assert.equal(await call('delete', 'audit/file'), null);
  });

  it('hashes an input as the device logs it', async () => {
    await call('update', 'audit/file', { type: 'file', options: { file_path: file } });
    const answer = await call('update', 'audit-hash/file', { input: 'hunter2' });
    const hash = answer?.data?.hash as string;
    assert.match(hash, /^hmac-sha256:[0-9a-f]{64}$/);

    await manager.logRequest({
      request: { id: 'r1', operation: 'update', path: 'secret/x', data: { password: 'hunter2' } },
    });
    const line = JSON.parse((await readFile(file, 'utf8')).trim());
    assert.equal(line.request.data.password, hash);
    assert.equal(verifyAuditChain(await readFile(file)).ok, true);
  });

  it('refuses audit-hash without input or for an unknown device', async () => {
    await call('update', 'audit/file', { type: 'file', options: { file_path: file } });
    await assert.rejects(call('update', 'audit-hash/file', {}), InvalidRequestError);
    await assert.rejects(call('update', 'audit-hash/nope', { input: 'x' }), InvalidRequestError);
  });
});
