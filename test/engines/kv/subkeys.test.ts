import assert from 'node:assert/strict';

import { subkeys } from '../../../src/engines/kv/path-subkeys.js';
import { InvalidRequestError } from '../../../src/logical/index.js';
import { kvHarness, type KvHarness } from './support.js';

const SECRET = {
  foo: 'abc',
  bar: { baz: 'def', deep: { x: 1 } },
  quux: {},
  list: [1, { a: 2 }],
};

describe('KV v2 subkeys', () => {
  let kv: KvHarness;

  beforeEach(async () => {
    kv = kvHarness();
    await kv.call('update', 'data/app', { data: SECRET });
  });

  it('answers the keys with every leaf value replaced by null, in Vault shape', async () => {
    const response = await kv.call('read', 'subkeys/app');
    assert.deepEqual(response?.data, {
      subkeys: { foo: null, bar: { baz: null, deep: { x: null } }, quux: null, list: null },
      metadata: {
        created_time: '2024-01-01T00:00:00.000Z',
        custom_metadata: null,
        deletion_time: '',
        destroyed: false,
        version: 1,
      },
    });
  });

  it('stops at ?depth=, treating the objects there as leaves', async () => {
    const depth1 = await kv.call('read', 'subkeys/app', { depth: '1' });
    assert.deepEqual(depth1?.data?.subkeys, { foo: null, bar: null, quux: null, list: null });
    const depth2 = await kv.call('read', 'subkeys/app', { depth: 2 });
    assert.deepEqual(depth2?.data?.subkeys, {
      foo: null,
      bar: { baz: null, deep: null },
      quux: null,
      list: null,
    });
  });

  it('reads an older version with ?version=', async () => {
    await kv.call('update', 'data/app', { data: { other: 1 } });
    const response = await kv.call('read', 'subkeys/app', { version: 1 });
    assert.equal((response?.data?.metadata as { version: number }).version, 1);
    assert.deepEqual(Object.keys(response?.data?.subkeys as object), Object.keys(SECRET));
  });

  it('answers 404 with the metadata and null subkeys for a deleted version', async () => {
    await kv.call('delete', 'data/app');
    const response = await kv.call('read', 'subkeys/app');
    assert.equal(response?.status, 404);
    assert.equal(response?.data?.subkeys, null);
    const metadata = response?.data?.metadata as { deletion_time: string };
    assert.equal(metadata.deletion_time, '2024-01-01T00:00:00.000Z');
  });

  it('answers null for a missing key or version, and refuses a negative depth', async () => {
    assert.equal(await kv.call('read', 'subkeys/none'), null);
    assert.equal(await kv.call('read', 'subkeys/app', { version: 7 }), null);
    await assert.rejects(kv.call('read', 'subkeys/app', { depth: -1 }), InvalidRequestError);
  });

  it('never returns a secret value and never modifies its input', () => {
    const input = JSON.parse('{"a":{"b":"secret"},"__proto__":{"c":"v"}}') as Record<
      string,
      unknown
    >;
    const result = subkeys(input, 0);
    assert.equal(JSON.stringify(result).includes('secret'), false);
    assert.deepEqual(Object.keys(result), ['a', '__proto__']);
    assert.deepEqual(input.a, { b: 'secret' });
  });
});
