/**
 * A handful of commands run as real processes (`node --import tsx src/cli/main.ts`, what
 * bin/coffer.js runs once built), to check exit statuses and the exact bytes on stdout.
 */
import assert from 'node:assert/strict';

import { initAndUnsealOverHttp, type Node } from '../http/support.js';
import { coffer, type ProcessResult } from './process-support.js';
import { startHttpNode } from './support.js';

describe('coffer as a process', function () {
  this.timeout(30_000);
  let node: Node;
  let env: Record<string, string>;
  // The processes start together (each spends most of a second loading tsx), then each test
  // checks one of them.
  let results: Record<'field' | 'status' | 'flag' | 'token', ProcessResult>;

  before(async () => {
    const started = await startHttpNode();
    node = started.node;
    const { rootToken } = await initAndUnsealOverHttp(node.app);
    env = { VAULT_ADDR: started.address, VAULT_TOKEN: rootToken, HOME: '/nonexistent' };
    await node.app.inject({
      method: 'POST',
      url: '/v1/secret/data/app',
      headers: { 'x-vault-token': rootToken },
      payload: { data: { password: 's3cr3t' } },
    });
    const [field, status, flag, token] = await Promise.all([
      coffer(['kv', 'get', '-field=password', 'secret/app'], env),
      coffer(['status', '-format=json'], env),
      coffer(['kv', 'get', '-nope', 'secret/app'], env),
      coffer(['read', 'secret/data/app'], { ...env, VAULT_TOKEN: 'hvs.bad' }),
    ]);
    results = { field, status, flag, token };
  });

  after(async () => {
    await node.server.close();
  });

  it('prints a bare -field value with no newline and exits 0', async () => {
    const result = results.field;
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 's3cr3t');
  });

  it('prints status as JSON and exits 0 on an unsealed node', async () => {
    const result = results.status;
    assert.equal(result.status, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { sealed: boolean; initialized: boolean };
    assert.equal(json.sealed, false);
    assert.equal(json.initialized, true);
  });

  it('exits 1 with one line and a usage hint for an unknown flag', async () => {
    const result = results.flag;
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      "error: unknown option '-nope'\nRun 'coffer kv get -h' for usage.\n",
    );
  });

  it('exits 2 with the server error for a bad token', async () => {
    const result = results.token;
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Code: 403\. Errors:\n\n\* permission denied\n$/);
  });
});
