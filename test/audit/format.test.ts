import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

import {
  AuditSalt,
  DEFAULT_FORMAT_OPTIONS,
  formatRequest,
  formatResponse,
  hashStrings,
  hmacWith,
  SALT_PATH,
  type FormatOptions,
} from '../../src/audit/index.js';
import { InmemStorage } from '../../src/logical/index.js';
import { requestEntry, responseEntry } from './support.js';

const KEY = Buffer.from('test-salt');
const H = (value: string): string => hmacWith(KEY, value);
const TIME = '2024-01-01T00:00:00.000Z';

const options = (overrides: Partial<FormatOptions> = {}): FormatOptions => ({
  ...DEFAULT_FORMAT_OPTIONS,
  ...overrides,
});

/** A loosely typed view of a parsed line, for reading nested fields in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk arbitrary JSON
type Json = Record<string, any>;

/** The line as it would be written: through JSON, so prototype-less objects compare plainly. */
const asJson = (value: unknown): Json => JSON.parse(JSON.stringify(value));

describe('audit format', () => {
  describe('hashing', () => {
    it('hashes every string in request data, at any depth, and keeps the rest', () => {
      const line = asJson(formatRequest(requestEntry(), H, options(), TIME));
      assert.deepEqual(line.request.data, {
        data: { password: H('hunter2'), port: 5432, tags: [H('a'), [H('b'), 7]], on: true },
      });
    });

    it('writes hmac-sha256 of the value keyed by the salt, in hex', () => {
      const expected = createHmac('sha256', KEY).update('hunter2').digest('hex');
      assert.equal(H('hunter2'), `hmac-sha256:${expected}`);
    });

    it('hashes client tokens and, by default, accessors', () => {
      const line = asJson(formatRequest(requestEntry(), H, options(), TIME));
      assert.equal(line.auth.client_token, H('hvs.root-token'));
      assert.equal(line.auth.accessor, H('acc-123'));
      assert.equal(line.request.client_token, H('hvs.root-token'));
      assert.equal(line.request.client_token_accessor, H('acc-123'));
      assert.equal(line.request.mount_accessor, H('kv_1234'));
    });

    it('logs accessors in clear but still hashes tokens when hmac_accessor is off', () => {
      const line = asJson(formatRequest(requestEntry(), H, options({ hmacAccessor: false }), TIME));
      assert.equal(line.auth.accessor, 'acc-123');
      assert.equal(line.request.client_token_accessor, 'acc-123');
      assert.equal(line.auth.client_token, H('hvs.root-token'));
    });

    it('logs everything in clear with log_raw', () => {
      const line = asJson(formatRequest(requestEntry(), H, options({ logRaw: true }), TIME));
      assert.equal(line.auth.client_token, 'hvs.root-token');
      assert.equal(line.request.data.data.password, 'hunter2');
      assert.equal(JSON.stringify(line).includes('hmac-sha256:'), false);
    });

    it('keeps names, policies, metadata and the path in clear', () => {
      const line = asJson(formatRequest(requestEntry(), H, options(), TIME));
      assert.equal(line.auth.display_name, 'root');
      assert.deepEqual(line.auth.policies, ['root']);
      assert.deepEqual(line.auth.metadata, { team: 'ops' });
      assert.deepEqual(line.auth.policy_results, { allowed: true });
      assert.equal(line.request.path, 'secret/data/app');
      assert.equal(line.request.remote_address, '127.0.0.1');
    });

    it('never lets a secret value reach the line', () => {
      const text = JSON.stringify(formatResponse(responseEntry(), H, options(), TIME));
      for (const secret of ['hunter2', 'hvs.root-token', 'acc-123']) {
        assert.equal(text.includes(secret), false, secret);
      }
    });

    it('treats a __proto__ key as data and leaves Object.prototype alone', () => {
      const data = JSON.parse('{"__proto__":"s3cret","nested":{"__proto__":{"polluted":"yes"}}}');
      const entry = requestEntry();
      const line = formatRequest(
        { ...entry, request: { ...entry.request, data } },
        H,
        options(),
        TIME,
      );
      const text = JSON.stringify(line);
      assert.ok(text.includes(`"__proto__":"${H('s3cret')}"`), text);
      assert.ok(text.includes(`"nested":{"__proto__":{"polluted":"${H('yes')}"}}`), text);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('hashes request header values', () => {
      const entry = requestEntry();
      const headers = { 'x-forwarded-for': '10.0.0.1', 'x-multi': ['a', 'b'] };
      const line = asJson(
        formatRequest({ ...entry, request: { ...entry.request, headers } }, H, options(), TIME),
      );
      assert.deepEqual(line.request.headers, {
        'x-forwarded-for': H('10.0.0.1'),
        'x-multi': [H('a'), H('b')],
      });
    });

    it('copies null, bigint and dates the way JSON would, and refuses a cycle', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      assert.deepEqual(asJson(hashStrings({ a: null, b: 12n, c: undefined }, H)), {
        a: null,
        b: '12',
      });
      assert.equal(hashStrings(new Date(0), H), H('1970-01-01T00:00:00.000Z'));
      assert.throws(() => hashStrings(cyclic, H), TypeError);
    });
  });

  describe('lines', () => {
    it('shapes a request line as Vault does', () => {
      const entry = requestEntry({ error: 'permission denied' });
      const line = asJson(formatRequest(entry, H, options(), TIME));
      assert.deepEqual(Object.keys(line), ['time', 'type', 'auth', 'request', 'error']);
      assert.equal(line.type, 'request');
      assert.equal(line.time, TIME);
      assert.equal(line.error, 'permission denied');
      assert.deepEqual(Object.keys(line.request), [
        'id',
        'operation',
        'mount_point',
        'mount_type',
        'mount_accessor',
        'client_token',
        'client_token_accessor',
        'path',
        'data',
        'remote_address',
        'remote_port',
      ]);
    });

    it('adds the response block with hashed data and auth, clear lease id and warnings', () => {
      const entry = responseEntry({
        forwarded: true,
        response: {
          data: { value: 'x', count: 2 },
          secret: { leaseId: 'db/creds/1' },
          warnings: ['w'],
          auth: { clientToken: 'hvs.child', accessor: 'acc-child', policies: ['default'] },
          wrapInfo: {
            token: 'hvs.wrap',
            accessor: 'acc-wrap',
            ttl: 60,
            creationTime: TIME,
            creationPath: 'sys/wrapping/wrap',
          },
        },
      });
      const line = asJson(formatResponse(entry, H, options(), TIME));
      assert.equal(line.type, 'response');
      assert.equal(line.forwarded, true);
      assert.deepEqual(line.response.data, { value: H('x'), count: 2 });
      assert.deepEqual(line.response.secret, { lease_id: 'db/creds/1' });
      assert.deepEqual(line.response.warnings, ['w']);
      assert.equal(line.response.auth.client_token, H('hvs.child'));
      assert.equal(line.response.auth.accessor, H('acc-child'));
      assert.deepEqual(line.response.auth.policies, ['default']);
      assert.equal(line.response.wrap_info.token, H('hvs.wrap'));
      assert.equal(line.response.wrap_info.accessor, H('acc-wrap'));
      assert.equal(line.response.wrap_info.ttl, 60);
    });

    it('replaces list keys by their count with elide_list_responses', () => {
      const entry = responseEntry({
        request: { ...requestEntry().request, operation: 'list' },
        response: { data: { keys: ['a', 'b', 'c'], key_info: { a: {}, b: {} } } },
      });
      const elided = asJson(formatResponse(entry, H, options({ elideListResponses: true }), TIME));
      assert.deepEqual(elided.response.data, { keys: 3, key_info: 2 });
      const full = asJson(formatResponse(entry, H, options(), TIME));
      assert.deepEqual(full.response.data.keys, [H('a'), H('b'), H('c')]);
    });
  });

  describe('AuditSalt', () => {
    it('creates the salt once, stores it at salt and reuses it after a restart', async () => {
      const storage = new InmemStorage();
      const first = await new AuditSalt(storage).hash('value');
      assert.deepEqual(storage.paths(), [SALT_PATH]);
      const again = await new AuditSalt(storage).hash('value');
      assert.equal(again, first);
    });

    it('hashes differently under two devices salts', async () => {
      const a = await new AuditSalt(new InmemStorage()).hash('value');
      const b = await new AuditSalt(new InmemStorage()).hash('value');
      assert.notEqual(a, b);
    });

    it('agrees on one salt when two openers race', async () => {
      const storage = new InmemStorage();
      const [a, b] = await Promise.all([
        new AuditSalt(storage).load(),
        new AuditSalt(storage).load(),
      ]);
      assert.deepEqual(a, b);
    });
  });
});
