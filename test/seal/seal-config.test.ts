import assert from 'node:assert/strict';

import { InvalidSealConfigError, SealConfigCorruptError } from '../../src/seal/errors.js';
import {
  decodeSealConfig,
  encodeSealConfig,
  resolveSealConfig,
  type InitParams,
} from '../../src/seal/seal-config.js';

describe('resolveSealConfig', () => {
  it('defaults to 5 shares with a threshold of 3', () => {
    assert.deepEqual(resolveSealConfig(), { type: 'shamir', secretShares: 5, secretThreshold: 3 });
    assert.deepEqual(resolveSealConfig({ secretShares: 7 }).secretThreshold, 3);
  });

  const accepted: Array<[number, number]> = [
    [1, 1],
    [2, 2],
    [5, 3],
    [255, 2],
    [255, 255],
  ];
  for (const [shares, threshold] of accepted) {
    it(`accepts ${shares} shares with a threshold of ${threshold}`, () => {
      const config = resolveSealConfig({ secretShares: shares, secretThreshold: threshold });
      assert.equal(config.secretShares, shares);
      assert.equal(config.secretThreshold, threshold);
    });
  }

  const refused: Array<[InitParams, RegExp]> = [
    [{ secretShares: 0, secretThreshold: 1 }, /secret_shares must be at least 1/],
    [{ secretShares: -3, secretThreshold: 1 }, /secret_shares must be at least 1/],
    [{ secretShares: 3, secretThreshold: 0 }, /secret_threshold must be at least 1/],
    [{ secretShares: 256, secretThreshold: 3 }, /secret_shares must be at most 255/],
    [{ secretShares: 3, secretThreshold: 4 }, /threshold cannot be larger than secret_shares/],
    [{ secretShares: 1, secretThreshold: 3 }, /threshold cannot be larger than secret_shares/],
    [{ secretShares: 3, secretThreshold: 1 }, /at least 2 when secret_shares is more than 1/],
    [{ secretShares: 2.5, secretThreshold: 2 }, /secret_shares must be an integer/],
    [{ secretShares: Number.NaN, secretThreshold: 2 }, /secret_shares must be an integer/],
    [{ secretShares: '5' as unknown as number, secretThreshold: 3 }, /must be an integer/],
    [{ secretShares: 5, secretThreshold: Infinity }, /secret_threshold must be an integer/],
  ];
  for (const [params, message] of refused) {
    it(`refuses ${JSON.stringify(params)} with a 400 naming the field`, () => {
      assert.throws(
        () => resolveSealConfig(params),
        (err: unknown) => {
          assert.ok(err instanceof InvalidSealConfigError);
          assert.equal(err.httpStatus, 400);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});

describe('encodeSealConfig and decodeSealConfig', () => {
  it('round-trips a configuration with Vault field names', () => {
    const config = resolveSealConfig({ secretShares: 4, secretThreshold: 2 });
    const encoded = encodeSealConfig(config);
    const stored = JSON.parse(new TextDecoder().decode(encoded)) as Record<string, unknown>;
    assert.equal(stored.secret_shares, 4);
    assert.equal(stored.secret_threshold, 2);
    assert.deepEqual(decodeSealConfig(encoded), config);
  });

  const damaged: Array<[string, string]> = [
    ['not JSON', '{"version":1,'],
    ['not an object', '[1,2]'],
    ['another version', '{"version":2,"type":"shamir","secret_shares":5,"secret_threshold":3}'],
    ['another type', '{"version":1,"type":"awskms","secret_shares":5,"secret_threshold":3}'],
    ['missing fields', '{"version":1,"type":"shamir"}'],
    ['invalid values', '{"version":1,"type":"shamir","secret_shares":2,"secret_threshold":3}'],
  ];
  for (const [what, json] of damaged) {
    it(`refuses a stored configuration that is ${what}`, () => {
      const stored = new TextEncoder().encode(json);
      assert.throws(() => decodeSealConfig(stored), SealConfigCorruptError);
    });
  }
});
