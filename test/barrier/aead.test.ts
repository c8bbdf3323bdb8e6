import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import {
  decryptValue,
  encryptValue,
  FRAME_VERSION,
  frameTerm,
  MIN_FRAME_BYTES,
} from '../../src/barrier/aead.js';
import { IntegrityError } from '../../src/barrier/errors.js';
import { bytes, text } from './helpers.js';

function rejectsWith(reason: IntegrityError['reason']): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof IntegrityError, `expected IntegrityError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.equal(err.httpStatus, 500);
    return true;
  };
}

describe('aead', () => {
  const key = randomBytes(32);

  describe('encryptValue and decryptValue', () => {
    it('round-trips a value at its path', () => {
      const frame = encryptValue(key, 3, 'secret/app', bytes('s3cr3t'));
      assert.equal(text(decryptValue(key, 'secret/app', frame)), 's3cr3t');
    });

    it('round-trips an empty value', () => {
      const frame = encryptValue(key, 1, 'p', new Uint8Array(0));
      assert.equal(frame.length, MIN_FRAME_BYTES);
      assert.equal(decryptValue(key, 'p', frame).length, 0);
    });

    it('frames the value with the version byte and the key term', () => {
      const frame = encryptValue(key, 0x01020304, 'p', bytes('abc'));
      assert.equal(frame[0], FRAME_VERSION);
      assert.deepEqual([...frame.subarray(1, 5)], [1, 2, 3, 4]);
      assert.equal(frameTerm('p', frame), 0x01020304);
      assert.equal(frame.length, MIN_FRAME_BYTES + 3);
    });

    it('writes every byte of a frame, whatever the buffer pool held before', () => {
      for (let size = 0; size <= 600; size += 37) {
        Buffer.allocUnsafe(4000).fill(0xa5);
        const value = randomBytes(size);
        const frame = encryptValue(key, 2, 'pooled', value);
        assert.equal(frame.length, MIN_FRAME_BYTES + size);
        assert.deepEqual(decryptValue(key, 'pooled', frame), value);
        assert.equal(frameTerm('pooled', frame), 2);
      }
    });

    it('draws a fresh nonce for every encryption of the same value', () => {
      const a = encryptValue(key, 1, 'p', bytes('same'));
      const b = encryptValue(key, 1, 'p', bytes('same'));
      assert.notDeepEqual(a.subarray(5, 17), b.subarray(5, 17));
      assert.notDeepEqual(a, b);
    });
  });

  describe('integrity', () => {
    const frame = encryptValue(key, 1, 'secret/a', bytes('a value worth protecting'));

    it('fails when the frame is read at another path', () => {
      assert.throws(
        () => decryptValue(key, 'secret/b', frame),
        rejectsWith('authentication_failed'),
      );
    });

    it('fails with the wrong key', () => {
      assert.throws(
        () => decryptValue(randomBytes(32), 'secret/a', frame),
        rejectsWith('authentication_failed'),
      );
    });

    it('fails for a single flipped bit anywhere after the version byte', () => {
      for (let at = 1; at < frame.length; at++) {
        const tampered = Buffer.from(frame);
        tampered[at] = (tampered[at] as number) ^ (1 << at % 8);
        assert.throws(
          () => decryptValue(key, 'secret/a', tampered),
          rejectsWith('authentication_failed'),
          `flipped bit at byte ${at} went unnoticed`,
        );
      }
    });

    it('fails for an unknown version byte', () => {
      const tampered = Buffer.from(frame);
      tampered[0] = 2;
      assert.throws(() => decryptValue(key, 'secret/a', tampered), rejectsWith('unknown_version'));
    });

    it('fails for a frame shorter than header, nonce and tag', () => {
      assert.throws(
        () => decryptValue(key, 'secret/a', frame.subarray(0, MIN_FRAME_BYTES - 1)),
        rejectsWith('truncated'),
      );
    });

    it('fails when the tag is cut off a longer frame', () => {
      assert.throws(
        () => decryptValue(key, 'secret/a', frame.subarray(0, frame.length - 16)),
        rejectsWith('authentication_failed'),
      );
    });
  });
});
