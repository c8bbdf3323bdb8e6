import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { BackendFactory } from '../../src/logical/index.js';
import { initAndUnsealOverHttp, RecordingLogger, startNode, type Node } from './support.js';

/** A "kv" engine that fails like a bug would, with a message that must not reach the client. */
const failingEngine: BackendFactory = () => ({
  handleRequest: async () => {
    throw new TypeError('cannot read properties of undefined (internal detail 7f3a)');
  },
});

describe('HTTP request logging', () => {
  let node: Node;
  let log: RecordingLogger;

  beforeEach(() => {
    log = new RecordingLogger();
    node = startNode({ engines: { kv: failingEngine }, logger: log }, { logger: log });
  });

  afterEach(async () => {
    await node.server.close();
  });

  it('logs each request at debug with the token headers redacted', async () => {
    const { rootToken } = await initAndUnsealOverHttp(node.app);
    log.records.length = 0;
    await node.app.inject({
      method: 'GET',
      url: '/v1/sys/mounts?secret=value',
      headers: { 'x-vault-token': rootToken, authorization: `Bearer ${rootToken}` },
    });

    const received = log.records.find((record) => record.message === 'request received');
    const fields = received?.fields as { headers: Record<string, unknown>; path: string };
    assert.equal(received?.level, 'debug');
    assert.equal(fields.headers['x-vault-token'], '[REDACTED]');
    assert.equal(fields.headers.authorization, '[REDACTED]');
    assert.equal(fields.path, '/v1/sys/mounts');
    const completed = log.records.find((record) => record.message === 'request completed');
    assert.equal((completed?.fields as { status: number }).status, 200);

    const text = log.text();
    assert.equal(text.includes(rootToken), false);
    assert.equal(text.includes('value'), false);
  });

  it('never logs init secrets or unseal keys', async () => {
    const { keys, rootToken } = await initAndUnsealOverHttp(node.app);
    const text = log.text();
    for (const secret of [rootToken, ...keys]) assert.equal(text.includes(secret), false);
  });

  it('answers an internal failure with a bare 500 and logs its cause at error', async () => {
    const { rootToken } = await initAndUnsealOverHttp(node.app);
    const response = await node.app.inject({
      method: 'GET',
      url: '/v1/secret/data/app',
      headers: { 'x-vault-token': rootToken },
    });
    assert.equal(response.statusCode, 500);
    assert.equal(response.body, '{"errors":["internal error"]}');

    const failed = log.records.find((record) => record.message === 'request failed');
    assert.equal(failed?.level, 'error');
    assert.match(log.text(), /internal detail 7f3a/);
  });

  it('logs a refusal for want of a configured audit device at debug, once at error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coffer-http-audit-'));
    const audited = new RecordingLogger();
    // The device's directory does not exist, so it cannot be enabled.
    const file = path.join(dir, 'missing', 'audit.log');
    const configuredAudit = [{ type: 'file', options: { file_path: file } }];
    const refusing = startNode(
      { logger: audited, clockBeaconMs: 0, configuredAudit },
      { logger: audited },
    );
    try {
      const { rootToken } = await initAndUnsealOverHttp(refusing.app);
      await refusing.core.ensureConfiguredAudit();
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const response = await refusing.app.inject({
          method: 'GET',
          url: '/v1/sys/mounts',
          headers: { 'x-vault-token': rootToken },
        });
        assert.equal(response.statusCode, 500, response.body);
      }

      const served = audited.records.filter((record) => record.message === 'request not served');
      assert.deepEqual(served, [], audited.text());
      const refused = audited.records.filter(
        (record) => (record.fields as { code?: string }).code === 'audit_failed',
      );
      assert.equal(refused.length, 3, audited.text());
      for (const record of refused) assert.equal(record.level, 'debug', JSON.stringify(record));
      const errors = audited.records.filter((record) => record.level === 'error');
      assert.equal(
        errors.filter((record) => record.message.includes('refusing requests')).length,
        1,
        audited.text(),
      );
    } finally {
      refusing.core.sealNode();
      await refusing.server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs refused requests below error', async () => {
    await node.app.inject({ method: 'GET', url: '/v1/sys/mounts' });
    assert.equal(
      log.records.some((record) => record.level === 'error'),
      false,
    );
  });
});
