import assert from 'node:assert/strict';

import { globMatch, sanitizePolicies } from '../../src/tokens/token-policies.js';
import { calculateTtl, capToParent } from '../../src/tokens/token-ttl.js';

describe('token policies and TTL maths', () => {
  it('sanitizes policy lists, root swallowing the rest', () => {
    assert.deepEqual(sanitizePolicies([' B ', 'a', '', 'b']), ['a', 'b']);
    assert.deepEqual(sanitizePolicies(['app', 'ROOT']), ['root']);
  });

  it('matches globs with a * anywhere', () => {
    const cases: [string, string, boolean][] = [
      ['team-*', 'team-blue', true],
      ['team-*', 'team-', true],
      ['team-*', 'other', false],
      ['*-admin', 'ops-admin', true],
      ['a*b*c', 'aXbYc', true],
      ['a*b*c', 'acb', false],
      ['ab*ba', 'aba', false],
      ['exact', 'exact', true],
      ['exact', 'exactly', false],
    ];
    for (const [pattern, name, expected] of cases) {
      assert.equal(globMatch(pattern, name), expected, `${pattern} vs ${name}`);
    }
  });

  it('picks the request, then the fallback, within the smallest maximum', () => {
    const base = {
      now: 0,
      start: 0,
      requested: 0,
      fallback: 100,
      systemMax: 1000,
      roleMax: 0,
      explicitMax: 0,
      period: 0,
    };
    assert.equal(calculateTtl(base).ttl, 100);
    assert.equal(calculateTtl({ ...base, requested: 50 }).ttl, 50);
    assert.equal(calculateTtl({ ...base, requested: 5000, roleMax: 800 }).ttl, 800);
    const explicit = { ...base, requested: 5000, roleMax: 800, explicitMax: 300 };
    assert.equal(calculateTtl(explicit).ttl, 300);
    assert.equal(calculateTtl({ ...base, now: 900_000, requested: 500 }).ttl, 100);
    assert.throws(() => calculateTtl({ ...base, now: 1_000_000 }), /past the max TTL/);
  });

  it('ignores the start for periods unless there is an explicit max', () => {
    const base = {
      now: 10_000_000,
      start: 0,
      requested: 0,
      fallback: 100,
      systemMax: 1000,
      roleMax: 0,
      explicitMax: 0,
      period: 60,
    };
    assert.equal(calculateTtl(base).ttl, 60);
    assert.throws(() => calculateTtl({ ...base, explicitMax: 5000 }), /past the max TTL/);
  });

  it('caps to a parent\'s remaining life, and never for a parent that does not expire', () => {
    assert.equal(capToParent(600, 0, 300_000), 300);
    assert.equal(capToParent(0, 0, 300_000), 300);
    assert.equal(capToParent(100, 0, 300_000), 100);
    assert.equal(capToParent(600, 0, 0), 600);
  });
});
