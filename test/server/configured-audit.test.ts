/**
 * Audit devices from the server configuration: each `audit "file"` block becomes a device the
 * leader enables after unseal when the audit table lacks it, once, whatever the number of
 * unseals, and without doubling a device the operator already enabled for the same file. Until
 * it is enabled, no audited request is served.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { FastifyInstance } from 'fastify';

import { parseServerConfig } from '../../src/server/config.js';
import { auditEnableConfig } from '../../src/server/server.js';
import { initAndUnsealOverHttp, startNode, type Node } from '../http/support.js';
import { apiCaller } from '../vault/http-call.js';

/** The fields of an audit line these tests look at. */
interface AuditLine {
  readonly type: string;
  readonly request: { readonly path: string };
}

describe('Configured audit devices', () => {
  let dir: string;
  let node: Node;
  const call = apiCaller(() => node.app as FastifyInstance);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'coffer-config-audit-'));
  });

  afterEach(async () => {
    node.core.sealNode();
    await node.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function configured(...files: string[]) {
    const blocks = files.map((file) => `audit "file" {\n  file_path = "${file}"\n  mode = "0640"\n}`);
    const text = [
      'storage "raft" {\n  path = "/var/lib/coffer"\n  node_id = "node1"\n}',
      'listener "tcp" {\n  tls_disable = true\n}',
      ...blocks,
    ].join('\n');
    const config = await parseServerConfig('/etc/coffer/coffer.hcl', text);
    return config.audit.map(auditEnableConfig);
  }

  async function devices(root: string): Promise<Record<string, { options: { file_path: string } }>> {
    const listed = await call('GET', 'sys/audit', { token: root });
    assert.equal(listed.status, 200);
    return listed.json.data as Record<string, { options: { file_path: string } }>;
  }

  it('enables each configured device on the leader after unseal, and logs to it', async () => {
    const first = path.join(dir, 'a.log');
    const second = path.join(dir, 'b.log');
    node = startNode({ clockBeaconMs: 0, configuredAudit: await configured(first, second) });
    const { rootToken } = await initAndUnsealOverHttp(node.app);
    await node.core.ensureConfiguredAudit();

    const enabled = await devices(rootToken);
    assert.deepEqual(Object.keys(enabled).sort(), ['file-2/', 'file/']);
    assert.equal(enabled['file/']?.options.file_path, first);
    assert.equal(enabled['file-2/']?.options.file_path, second);
    await call('GET', 'auth/token/lookup-self', { token: rootToken });
    assert.match(readFileSync(first, 'utf8'), /auth\/token\/lookup-self/);
    assert.equal(statSync(first).mode & 0o777, 0o640);
  });

  /** Unseals `node` with the first three shares. */
  async function unseal(keys: readonly string[]): Promise<void> {
    for (const key of keys.slice(0, 3)) {
      await node.app.inject({ method: 'PUT', url: '/v1/sys/unseal', payload: { key } });
    }
  }

  /**
   * A cluster set up without any configured device: initialised, with `secret/data/app` written
   * and whatever `prepare` does, then sealed and stopped. Resolves to its storage and secrets.
   */
  async function earlierLife(prepare: (root: string) => Promise<void> = async () => undefined) {
    node = startNode({ clockBeaconMs: 0 });
    const { rootToken, keys } = await initAndUnsealOverHttp(node.app);
    const body = { data: { password: 'hunter2' } };
    assert.equal((await call('PUT', 'secret/data/app', { token: rootToken, body })).status, 200);
    await prepare(rootToken);
    node.core.sealNode();
    await node.app.close();
    return { physical: node.physical, rootToken, keys };
  }

  it('enables nothing twice across unseals, nor what the operator enabled already', async () => {
    const file = path.join(dir, 'audit.log');
    const body = { type: 'file', options: { file_path: file } };
    const earlier = await earlierLife(async (token) => {
      assert.equal((await call('PUT', 'sys/audit/mine', { token, body })).status, 204);
    });

    const configuredAudit = await configured(file);
    node = startNode({ physical: earlier.physical, clockBeaconMs: 0, configuredAudit });
    await unseal(earlier.keys);
    await node.core.ensureConfiguredAudit();
    assert.deepEqual(Object.keys(await devices(earlier.rootToken)), ['mine/']);

    node.core.sealNode();
    await unseal(earlier.keys);
    await node.core.ensureConfiguredAudit();
    assert.deepEqual(Object.keys(await devices(earlier.rootToken)), ['mine/']);
  });

  it('answers 500, no secret, while the directory is missing; serves once it exists', async () => {
    const earlier = await earlierLife();
    const file = path.join(dir, 'missing', 'audit.log');
    const configuredAudit = await configured(file);
    node = startNode({ physical: earlier.physical, clockBeaconMs: 0, configuredAudit });
    await unseal(earlier.keys);
    await node.core.ensureConfiguredAudit();

    const token = earlier.rootToken;
    for (const [method, url] of [['GET', 'secret/data/app'], ['GET', 'sys/audit']] as const) {
      const refused = await call(method, url, { token });
      assert.equal(refused.status, 500, url);
      assert.deepEqual(refused.json, {
        errors: ['no audit backend succeeded in logging the request'],
      });
    }
    const health = await node.app.inject({ method: 'GET', url: '/v1/sys/health' });
    assert.equal(health.statusCode, 200);

    mkdirSync(path.dirname(file));
    await node.core.ensureConfiguredAudit();
    const served = await call('GET', 'secret/data/app', { token });
    assert.equal(served.status, 200);
    assert.deepEqual((served.json.data as { data: unknown }).data, { password: 'hunter2' });
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as AuditLine);
    const responses = entries.filter(
      (entry) => entry.type === 'response' && entry.request.path === 'secret/data/app',
    );
    assert.equal(responses.length, 1);
    assert.equal(lines.join('\n').includes('hunter2'), false);
  });

  it('retries at every clock beacon round until the device can be enabled', async () => {
    const earlier = await earlierLife();
    const file = path.join(dir, 'missing', 'audit.log');
    const configuredAudit = await configured(file);
    node = startNode({ physical: earlier.physical, clockBeaconMs: 20, configuredAudit });
    await unseal(earlier.keys);
    const token = earlier.rootToken;
    assert.equal((await call('GET', 'secret/data/app', { token })).status, 500);

    mkdirSync(path.dirname(file));
    let status = 0;
    for (let attempt = 0; attempt < 250 && status !== 200; attempt += 1) {
      await sleep(20);
      status = (await call('GET', 'secret/data/app', { token })).status;
    }
    assert.equal(status, 200);
    assert.match(readFileSync(file, 'utf8'), /"secret\/data\/app"/);
  });
});
