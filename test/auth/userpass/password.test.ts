import assert from 'node:assert/strict';

import {
  DEFAULT_SCRYPT_PARAMS,
  scryptHasher,
  type PasswordHash,
} from '../../../src/auth/userpass/index.js';
import { TEST_SCRYPT } from './support.js';

describe('userpass password hashing', () => {
  const hasher = scryptHasher(TEST_SCRYPT);

  it('matches the password it hashed and nothing else', async () => {
    const record = await hasher.hash('correct horse');
    assert.equal(await hasher.verify('correct horse', record), true);
    assert.equal(await hasher.verify('correct horse ', record), false);
    assert.equal(await hasher.verify('', record), false);
  });

  it('stores its parameters, so a record hashed at another cost still verifies', async () => {
    const record = await scryptHasher({ ...TEST_SCRYPT, n: 2048 }).hash('pw');
    assert.equal(record.n, 2048);
    assert.equal(await hasher.verify('pw', record), true);
  });

  it('uses N=2^15, r=8, p=1 and a 16-byte salt by default', async () => {
    const record = await scryptHasher().hash('pw');
    assert.deepEqual(
      { n: record.n, r: record.r, p: record.p },
      { n: DEFAULT_SCRYPT_PARAMS.n, r: 8, p: 1 },
    );
    assert.equal(Buffer.from(record.salt, 'base64').length, 16);
    assert.equal(await scryptHasher().verify('pw', record), true);
  });

  it('never matches a record it cannot trust, without throwing', async () => {
    const record = await hasher.hash('pw');
    const damaged: PasswordHash[] = [
      { ...record, n: 2 ** 30 },
      { ...record, n: 1000 },
      { ...record, r: 0 },
      { ...record, hash: '' },
      { ...record, algorithm: 'bcrypt' as 'scrypt' },
    ];
    for (const bad of damaged) assert.equal(await hasher.verify('pw', bad), false);
  });
});
