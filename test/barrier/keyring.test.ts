import assert from 'node:assert/strict';

import { IntegrityError } from '../../src/barrier/errors.js';
import { Keyring } from '../../src/barrier/keyring.js';
import { InvariantError } from '../../src/util/assert.js';

const isZero = (key: Uint8Array): boolean => key.every((byte) => byte === 0);

describe('Keyring', () => {
  it('starts with term 1 active, holding a random 32-byte key', () => {
    const keyring = Keyring.create(1_000);
    assert.equal(keyring.activeTerm, 1);
    assert.equal(keyring.active().term, 1);
    assert.equal(keyring.active().installTime, 1_000);
    assert.equal(keyring.active().key.length, 32);
    assert.ok(!isZero(keyring.active().key));
    assert.notDeepEqual(Keyring.create(0).active().key, keyring.active().key);
  });

  it('adds term N+1 on rotation and keeps the old terms with their keys', () => {
    const first = Keyring.create(1_000);
    const second = first.withNewTerm(2_000);
    assert.equal(second.activeTerm, 2);
    assert.equal(second.active().installTime, 2_000);
    assert.deepEqual(second.key(1), first.key(1));
    assert.notDeepEqual(second.key(2), second.key(1));
    assert.equal(first.activeTerm, 1);
    assert.equal(first.key(2), undefined);
  });

  it('has no key for term 0, negative, fractional or future terms', () => {
    const keyring = Keyring.create(0).withNewTerm(0);
    for (const term of [0, -1, 1.5, 3, Number.NaN]) assert.equal(keyring.key(term), undefined);
  });

  it('gives a rotated keyring its own key buffers', () => {
    const first = Keyring.create(0);
    const second = first.withNewTerm(0);
    const kept = Buffer.from(second.key(1) as Buffer);
    first.wipe();
    assert.deepEqual(second.key(1), kept);
  });

  it('encodes and decodes every term, key and install time', () => {
    const keyring = Keyring.create(1_500).withNewTerm(2_500).withNewTerm(3_500);
    const encoded = keyring.encode();
    const decoded = Keyring.decode(encoded);
    assert.equal(decoded.activeTerm, 3);
    assert.deepEqual(decoded.describe(), keyring.describe());
    for (const term of [1, 2, 3]) assert.deepEqual(decoded.key(term), keyring.key(term));
    encoded.fill(0);
    assert.ok(!isZero(decoded.key(1) as Buffer), 'decode must copy keys out of its input');
  });

  it('refuses encodings of another version or with a wrong length or term', () => {
    const encoded = Keyring.create(0).withNewTerm(0).encode();
    const badVersion = Buffer.from(encoded);
    badVersion[0] = 9;
    assert.throws(() => Keyring.decode(badVersion), IntegrityError);
    assert.throws(() => Keyring.decode(encoded.subarray(0, encoded.length - 1)), IntegrityError);
    const badTerm = Buffer.from(encoded);
    badTerm.writeUInt32BE(7, 9 + 44);
    assert.throws(() => Keyring.decode(badTerm), IntegrityError);
  });

  it('zeroes every key on wipe and refuses to be used afterwards', () => {
    const keyring = Keyring.create(0).withNewTerm(0);
    const keys = [keyring.key(1) as Buffer, keyring.key(2) as Buffer];
    keyring.wipe();
    for (const key of keys) assert.ok(isZero(key));
    assert.throws(() => keyring.active(), InvariantError);
    assert.throws(() => keyring.encode(), InvariantError);
  });
});
