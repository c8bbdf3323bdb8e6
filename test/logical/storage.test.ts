import assert from 'node:assert/strict';

import {
  InmemStorage,
  InvalidRequestError,
  StorageConditionFailedError,
  asFolder,
  assertRequestPath,
  decodeJson,
  encodeJson,
  listChildren,
} from '../../src/logical/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : new TextDecoder().decode(value);

describe('InmemStorage', () => {
  it('applies a batch whose conditions hold, in order', async () => {
    const storage = new InmemStorage();
    await storage.batch([
      { type: 'put', path: 'a', value: bytes('1'), condition: { ifAbsent: true } },
      { type: 'put', path: 'a', value: bytes('2'), condition: { ifValue: bytes('1') } },
      { type: 'put', path: 'b/c', value: bytes('3') },
    ]);
    assert.equal(text(await storage.get('a')), '2');
    assert.deepEqual(await storage.list(''), ['a', 'b/']);
  });

  it('writes nothing when any condition fails, and names the failed op', async () => {
    const storage = new InmemStorage();
    await storage.put('a', bytes('1'));
    await assert.rejects(
      storage.batch([
        { type: 'put', path: 'b', value: bytes('x') },
        { type: 'delete', path: 'a', condition: { ifValue: bytes('other') } },
      ]),
      (err: unknown) => err instanceof StorageConditionFailedError && err.index === 1,
    );
    assert.equal(await storage.get('b'), undefined);
    assert.equal(text(await storage.get('a')), '1');
  });

  it('hands out copies, so mutating a value does not change what is stored', async () => {
    const storage = new InmemStorage();
    const value = bytes('abc');
    await storage.put('k', value);
    value[0] = 0;
    const read = (await storage.get('k')) as Uint8Array;
    read[1] = 0;
    assert.equal(text(await storage.get('k')), 'abc');
  });

  it('refuses paths with a leading or trailing slash', async () => {
    const storage = new InmemStorage();
    await assert.rejects(storage.put('/a', bytes('x')), InvalidRequestError);
    await assert.rejects(storage.put('a/', bytes('x')), InvalidRequestError);
  });
});

describe('encodeJson and decodeJson', () => {
  const values: unknown[] = [
    { data: { value: 'x'.repeat(300) }, n: 3, ok: true, none: null },
    ['café', '日本', '\u{1F600}', 'lone \uD800 surrogate', '\u0000'],
    'plain',
    0,
    undefined,
  ];

  it('encodes the bytes TextEncoder gives for the JSON text, as a plain Uint8Array', () => {
    for (const value of values) {
      const encoded = encodeJson(value);
      assert.equal(Object.getPrototypeOf(encoded), Uint8Array.prototype);
      assert.deepEqual(encoded, new TextEncoder().encode(JSON.stringify(value) ?? ''));
    }
  });

  it('round-trips values and keeps each encoding to its own bytes', () => {
    const first = encodeJson({ a: 1 });
    const second = encodeJson({ b: 2 });
    first.fill(0);
    assert.deepEqual(decodeJson(second), { b: 2 });
    for (const value of values.slice(0, 4)) assert.deepEqual(decodeJson(encodeJson(value)), value);
  });
});

describe('listChildren', () => {
  it('folds keys into sorted leaves and folders, each once', () => {
    const keys = ['a/b', 'a/c/d', 'a/c/e', 'a', 'b'];
    assert.deepEqual(listChildren(keys, 'a/'), ['b', 'c/']);
    assert.deepEqual(listChildren(keys, ''), ['a', 'a/', 'b']);
    assert.deepEqual(listChildren(keys, 'zzz/'), []);
  });
});

describe('assertRequestPath', () => {
  it('accepts ordinary paths, a trailing slash and the empty path', () => {
    for (const path of ['', 'secret/data/app', 'secret/metadata/', 'a b/c%d', 'sys']) {
      assert.doesNotThrow(() => assertRequestPath(path), path);
    }
  });

  it('refuses dot segments, empty segments, leading slashes and NUL', () => {
    for (const path of ['..', 'secret/../sys', './a', 'a//b', '/a', 'a/\0', 'a/./b', 'a//']) {
      assert.throws(() => assertRequestPath(path), InvalidRequestError, JSON.stringify(path));
    }
  });

  it('turns a path into a folder once', () => {
    assert.equal(asFolder('a/b'), 'a/b/');
    assert.equal(asFolder('a/b/'), 'a/b/');
    assert.equal(asFolder(''), '');
  });
});
