import assert from 'node:assert/strict';
import path from 'node:path';

import {
  AuditBroker,
  AuditFailedError,
  isAuditedPath,
  type AuditDevice,
} from '../../src/audit/index.js';
import { InvalidRequestError } from '../../src/logical/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { fileDevice, readLines, requestEntry, responseEntry, tempDir } from './support.js';

/** A device that records what it was asked to log, or fails every write. */
function fakeDevice(fails = false): AuditDevice & { logged: string[] } {
  const logged: string[] = [];
  const write = async (kind: string) => {
    if (fails) throw new Error('disk on fire');
    logged.push(kind);
  };
  return {
    type: 'fake',
    logged,
    logRequest: () => write('request'),
    logResponse: () => write('response'),
    hash: async (input) => `hashed:${input}`,
    reopen: async () => undefined,
    close: async () => undefined,
  };
}

describe('AuditBroker', () => {
  it('resolves with nothing to do when no device is enabled', async () => {
    const broker = new AuditBroker(silentLogger);
    await broker.logRequest(requestEntry());
    await broker.logResponse(responseEntry());
  });

  it('succeeds when one device fails and another writes', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = path.join(dir, 'audit.log');
      const { device } = await fileDevice(file);
      const broker = new AuditBroker(silentLogger);
      broker.register('broken/', fakeDevice(true));
      broker.register('file/', device);
      await broker.logRequest(requestEntry());
      await broker.logResponse(responseEntry());
      await device.close();
      assert.equal((await readLines(file)).length, 2);
    } finally {
      await cleanup();
    }
  });

  it('fails closed with AuditFailedError when every device fails', async () => {
    const broker = new AuditBroker(silentLogger);
    broker.register('a/', fakeDevice(true));
    broker.register('b/', fakeDevice(true));
    await assert.rejects(broker.logRequest(requestEntry()), (err: unknown) => {
      assert.ok(err instanceof AuditFailedError);
      assert.equal(err.httpStatus, 500);
      assert.equal(err.code, 'audit_failed');
      assert.equal(err.message, 'no audit backend succeeded in logging the request');
      assert.deepEqual(err.fields.devices, ['a/', 'b/']);
      return true;
    });
    await assert.rejects(
      broker.logResponse(responseEntry()),
      /no audit backend succeeded in logging the response/,
    );
  });

  it('does not wait for a hung device once another has written', async () => {
    const broker = new AuditBroker(silentLogger);
    const hung: AuditDevice = {
      ...fakeDevice(),
      logRequest: () => new Promise<void>(() => undefined),
    };
    const working = fakeDevice();
    broker.register('hung/', hung);
    broker.register('ok/', working);
    await broker.logRequest(requestEntry());
    assert.deepEqual(working.logged, ['request']);
  });

  it('hashes through the device at a path and refuses an unknown path', async () => {
    const broker = new AuditBroker(silentLogger);
    broker.register('file/', fakeDevice());
    assert.equal(await broker.hash('file/', 'x'), 'hashed:x');
    await assert.rejects(broker.hash('other/', 'x'), InvalidRequestError);
  });

  it('stops logging to a deregistered device', async () => {
    const broker = new AuditBroker(silentLogger);
    const device = fakeDevice();
    broker.register('file/', device);
    assert.equal(broker.deregister('file/'), device);
    await broker.logRequest(requestEntry());
    assert.deepEqual(device.logged, []);
    assert.equal(broker.size, 0);
  });
});

describe('isAuditedPath', () => {
  it('skips init, seal and status paths, raft join and bootstrap', () => {
    for (const path of [
      'sys/init',
      'sys/seal-status',
      'sys/seal',
      'sys/unseal',
      'sys/leader',
      'sys/health',
      '/sys/health/',
      'sys/storage/raft/join',
      'sys/storage/raft/bootstrap/challenge',
      'sys/storage/raft/bootstrap/answer',
    ]) {
      assert.equal(isAuditedPath(path), false, path);
    }
  });

  it('audits everything else, including look-alike paths', () => {
    for (const path of [
      'secret/data/sys/init',
      'sys/mounts',
      'sys/audit/file',
      'sys/step-down',
      'sys/sealed',
      'sys/storage/raft/configuration',
      'auth/token/lookup-self',
    ]) {
      assert.equal(isAuditedPath(path), true, path);
    }
  });
});
