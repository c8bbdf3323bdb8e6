/**
 * Audit devices from the server configuration: each `audit "file"` block becomes a device the
 * leader enables after unseal when the audit table lacks it, once, whatever the number of
 * unseals, and without doubling a device the operator already enabled for the same file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { FastifyInstance } from 'fastify';

import { parseServerConfig } from '../../src/server/config.js';
import { auditEnableConfig } from '../../src/server/server.js';
import { initAndUnsealOverHttp, startNode, type Node } from '../http/support.js';
import { apiCaller } from '../vault/http-call.js';

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

  it('enables nothing twice across unseals, nor what the operator enabled already', async () => {
    const file = path.join(dir, 'audit.log');
    node = startNode({ clockBeaconMs: 0, configuredAudit: await configured(file) });
    const { rootToken, keys } = await initAndUnsealOverHttp(node.app);
    await node.core.ensureConfiguredAudit();
    // The operator moves the device: the file is audited at another path now.
    assert.equal((await call('DELETE', 'sys/audit/file', { token: rootToken })).status, 204);
    const body = { type: 'file', options: { file_path: file } };
    assert.equal((await call('PUT', 'sys/audit/mine', { token: rootToken, body })).status, 204);

    node.core.sealNode();
    for (const key of keys.slice(0, 3)) {
      await node.app.inject({ method: 'PUT', url: '/v1/sys/unseal', payload: { key } });
    }
    await node.core.ensureConfiguredAudit();
    assert.deepEqual(Object.keys(await devices(rootToken)), ['mine/']);
  });
});
