/**
 * The configuration files the repository ships (the local cluster's and the deployment example)
 * must stay valid as the config schema grows.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadServerConfig } from '../../src/server/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('Shipped server configs', () => {
  for (const n of [1, 2, 3]) {
    it(`parses cluster/node${n}.hcl with the local cluster's addresses`, async () => {
      const config = await loadServerConfig(path.join(root, 'cluster', `node${n}.hcl`));
      assert.equal(config.storage.nodeId, `node${n}`);
      assert.equal(config.storage.retryJoin.length, n === 1 ? 0 : 1);
      assert.equal(config.listeners[0]?.address, `127.0.0.1:${8190 + n * 10}`);
    });
  }

  it('parses deploy/coffer.hcl, the Ubuntu example', async () => {
    const config = await loadServerConfig(path.join(root, 'deploy', 'coffer.hcl'));
    assert.equal(config.storage.path, '/opt/raft');
    assert.equal(config.storage.nodeId, 'coffer-1');
  });
});
