import assert from 'node:assert/strict';

import type { Backend } from '../../src/logical/index.js';
import { newMountEntry } from '../../src/vault/mount-table.js';
import { Router } from '../../src/vault/router.js';

const backend = (name: string): Backend & { name: string } => ({
  name,
  handleRequest: async () => ({ data: { name } }),
});

describe('Router', () => {
  const router = new Router([
    { entry: newMountEntry('secret/', 'kv', ''), backend: backend('outer') },
    { entry: newMountEntry('secret/team/', 'kv', ''), backend: backend('inner') },
    { entry: newMountEntry('kv/', 'kv', ''), backend: backend('kv') },
  ]);

  it('picks the longest mount path that prefixes the request path', () => {
    assert.equal(router.match('secret/team/data/x')?.entry.path, 'secret/team/');
    assert.equal(router.match('secret/team/data/x')?.relativePath, 'data/x');
    assert.equal(router.match('secret/teamwork/x')?.entry.path, 'secret/');
    assert.equal(router.match('secret/teamwork/x')?.relativePath, 'teamwork/x');
  });

  it('routes a mount path without its slash to the mount root', () => {
    assert.equal(router.match('kv')?.relativePath, '');
    assert.equal(router.match('kv')?.entry.path, 'kv/');
  });

  it('matches no mount for other paths, including look-alike prefixes', () => {
    assert.equal(router.match('kvx/data'), null);
    assert.equal(router.match('secre'), null);
    assert.equal(router.match(''), null);
  });
});
