import assert from 'node:assert/strict';

import {
  UnsupportedOperationError,
  UnsupportedPathError,
} from '../../../src/logical/index.js';
import { storedText } from '../support.js';
import { userpassHarness, type UserpassHarness } from './support.js';

const DEFAULT_READ = {
  token_ttl: 0,
  token_max_ttl: 0,
  token_explicit_max_ttl: 0,
  token_period: 0,
  token_policies: [],
  token_no_default_policy: false,
  token_num_uses: 0,
  token_bound_cidrs: [],
  token_type: 'default',
  policies: [],
};

describe('userpass users', () => {
  let up: UserpassHarness;

  beforeEach(() => {
    up = userpassHarness();
  });

  describe('users/<name>', () => {
    it('creates a user and reads its token fields in seconds, never the password', async () => {
      await up.addUser('mitchellh', 'foo', {
        token_policies: ['Admin', 'default'],
        token_ttl: '1h',
        token_max_ttl: 7200,
        token_bound_cidrs: '127.0.0.1, 128.252.0.0/16',
      });
      const response = await up.call('read', 'users/mitchellh');
      assert.deepEqual(response?.data, {
        ...DEFAULT_READ,
        token_ttl: 3600,
        token_max_ttl: 7200,
        token_policies: ['admin', 'default'],
        policies: ['admin', 'default'],
        token_bound_cidrs: ['127.0.0.1', '128.252.0.0/16'],
      });
    });

    it('answers null (a 404) for a user that does not exist', async () => {
      assert.equal(await up.call('read', 'users/nobody'), null);
      assert.equal(await up.call('read', 'users/-not-a-name'), null);
    });

    it('treats names case-insensitively: stored, read, listed and deleted lower-case', async () => {
      await up.addUser('Mary', 'pw');
      assert.ok(await up.call('read', 'users/MARY'));
      assert.deepEqual((await up.call('list', 'users/'))?.data, { keys: ['mary'] });
      assert.ok(up.storage.paths().includes('user/mary'));
      await up.call('delete', 'users/mArY');
      assert.equal(await up.call('read', 'users/mary'), null);
    });

    it('keeps what an update does not name: the password and other token fields', async () => {
      await up.addUser('alice', 'secret', { token_ttl: 60, token_policies: 'a' });
      await up.call('update', 'users/alice', { token_num_uses: 3 });
      const data = (await up.call('read', 'users/alice'))?.data;
      assert.equal(data?.token_ttl, 60);
      assert.deepEqual(data?.token_policies, ['a']);
      assert.equal(data?.token_num_uses, 3);
      assert.ok((await up.login('alice', 'secret'))?.login);
    });

    it('accepts the legacy policies, ttl, max_ttl and bound_cidrs names', async () => {
      await up.addUser('old', 'pw', {
        policies: 'p1,p2',
        ttl: '10m',
        max_ttl: '1h',
        bound_cidrs: ['10.0.0.0/8'],
      });
      const data = (await up.call('read', 'users/old'))?.data;
      assert.deepEqual(data?.token_policies, ['p1', 'p2']);
      assert.equal(data?.token_ttl, 600);
      assert.equal(data?.token_max_ttl, 3600);
      assert.deepEqual(data?.token_bound_cidrs, ['10.0.0.0/8']);
    });

    it('prefers the token_* name when a legacy name is sent too', async () => {
      await up.addUser('both', 'pw', { ttl: 10, token_ttl: 20 });
      assert.equal((await up.call('read', 'users/both'))?.data?.token_ttl, 20);
    });

    it('tells create from update for the ACL through its existence check', async () => {
      assert.equal(await up.exists('users/bob'), false);
      await up.addUser('Bob', 'pw');
      assert.equal(await up.exists('users/BOB'), true);
    });
  });

  describe('refusing bad input with a 400', () => {
    const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
      ['a new user without a password', {}, /missing password/],
      ['an empty password', { password: '' }, /password cannot be empty/],
      ['a bcrypt password_hash', { password_hash: '$2a$10$abc' }, /password_hash is not supported/],
      ['an unknown token_type', { password: 'pw', token_type: 'weird' }, /invalid token_type/],
      ['a negative token_num_uses', { password: 'pw', token_num_uses: -1 }, /cannot be negative/],
      ['a bad CIDR block', { password: 'pw', token_bound_cidrs: '10.0.0.0/33' }, /CIDR/],
      ['a TTL above the max', { password: 'pw', token_ttl: 20, token_max_ttl: 10 }, /greater/],
      ['a negative duration', { password: 'pw', token_ttl: '-5s' }, /invalid duration/],
      ['a non-list of policies', { password: 'pw', token_policies: { a: 1 } }, /token_policies/],
    ];
    for (const [what, data, message] of refusals) {
      it(`refuses ${what}`, async () => {
        const attempt = up.call('update', 'users/dave', data);
        await assert.rejects(attempt, (err: unknown) => {
          assert.equal((err as { httpStatus?: number }).httpStatus, 400);
          assert.match((err as Error).message, message);
          return true;
        });
        assert.equal(await up.call('read', 'users/dave'), null);
      });
    }

    for (const name of ['-dash', '.dot', 'dot.', 'with space', 'semi;colon', 'ünï']) {
      it(`refuses the user name ${JSON.stringify(name)}`, async () => {
        await assert.rejects(
          up.call('update', `users/${name}`, { password: 'pw' }),
          /invalid username/,
        );
      });
    }

    it('accepts names with digits, "_", "-" and inner "."', async () => {
      await up.addUser('a.b-c_9', 'pw');
      assert.ok(await up.call('read', 'users/a.b-c_9'));
    });
  });

  describe('users (LIST)', () => {
    it('lists user names sorted, and nothing when there are none', async () => {
      assert.deepEqual((await up.call('list', 'users/'))?.data, { keys: [] });
      await up.addUser('zed', 'pw');
      await up.addUser('amy', 'pw');
      assert.deepEqual((await up.call('list', 'users'))?.data, { keys: ['amy', 'zed'] });
    });
  });

  describe('users/<name>/password', () => {
    it('changes the password: the old one stops working, the new one works', async () => {
      await up.addUser('erin', 'old-pw');
      await up.call('update', 'users/ERIN/password', { password: 'new-pw' });
      await assert.rejects(up.login('erin', 'old-pw'), /invalid username or password/);
      assert.ok((await up.login('erin', 'new-pw'))?.login);
    });

    it('refuses an unknown user and a missing password', async () => {
      await assert.rejects(
        up.call('update', 'users/ghost/password', { password: 'x' }),
        /username does not exist/,
      );
      await up.addUser('erin', 'pw');
      await assert.rejects(up.call('update', 'users/erin/password', {}), /missing password/);
    });
  });

  describe('users/<name>/policies', () => {
    it('replaces the token policies and leaves everything else', async () => {
      await up.addUser('fay', 'pw', { token_policies: 'a', token_ttl: 30 });
      await up.call('update', 'users/fay/policies', { token_policies: ['B', 'c'] });
      const data = (await up.call('read', 'users/fay'))?.data;
      assert.deepEqual(data?.token_policies, ['b', 'c']);
      assert.equal(data?.token_ttl, 30);

      await up.call('update', 'users/fay/policies', { policies: 'legacy' });
      assert.deepEqual((await up.call('read', 'users/fay'))?.data?.token_policies, ['legacy']);
    });

    it('refuses an unknown user', async () => {
      await assert.rejects(
        up.call('update', 'users/ghost/policies', { token_policies: 'a' }),
        /username does not exist/,
      );
    });
  });

  describe('storage', () => {
    it('stores only a salted scrypt hash, salted differently for each user', async () => {
      await up.addUser('u1', 'same-password');
      await up.addUser('u2', 'same-password');
      assert.equal((await storedText(up.storage)).includes('same-password'), false);
      const [first, second] = up.hasher.hashed.slice(1);
      assert.equal(first?.algorithm, 'scrypt');
      assert.notEqual(first?.salt, second?.salt);
      assert.notEqual(first?.hash, second?.hash);
    });

    it('deletes a user, after which it cannot log in', async () => {
      await up.addUser('gus', 'pw');
      assert.equal(await up.call('delete', 'users/gus'), null);
      assert.equal(await up.call('delete', 'users/gus'), null);
      await assert.rejects(up.login('gus', 'pw'), /invalid username or password/);
    });
  });

  describe('routing', () => {
    it('answers 404 for an unknown path and 405 for an unsupported operation', async () => {
      await assert.rejects(up.call('read', 'nothing/here'), UnsupportedPathError);
      await assert.rejects(up.call('read', 'login/alice'), UnsupportedOperationError);
      await assert.rejects(up.call('read', 'users/a/password'), UnsupportedOperationError);
    });
  });
});
