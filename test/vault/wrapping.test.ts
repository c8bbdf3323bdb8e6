/**
 * Response wrapping end to end on one node behind the HTTP layer: `X-Vault-Wrap-TTL` turns any
 * response (a secret, a token creation, a login) into `wrap_info` only; the wrapped response is
 * unwrapped once, with the token in the body or as the client token; lookup needs no token;
 * rewrap moves the response to a new token; policies' wrapping TTL bounds answer 400; and the
 * audit log shows the wrap_info, hashed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { FastifyInstance } from 'fastify';

import { initAndUnsealOverHttp, startNode, type Node } from '../http/support.js';
import { apiCaller } from './http-call.js';

const INVALID = 'wrapping token is not valid or does not exist';

describe('Response wrapping', () => {
  let node: Node;
  let root: string;
  let clock: number;
  const call = apiCaller(() => node.app as FastifyInstance);
  const wrapped = (ttl: string) => ({ 'x-vault-wrap-ttl': ttl });

  beforeEach(async () => {
    clock = Date.UTC(2026, 0, 1);
    node = startNode({ now: () => clock, clockBeaconMs: 0 });
    ({ rootToken: root } = await initAndUnsealOverHttp(node.app));
    const body = { data: { password: 'hunter2' } };
    assert.equal((await call('PUT', 'secret/data/app', { token: root, body })).status, 200);
  });

  afterEach(async () => {
    node.core.sealNode();
    await node.app.close();
  });

  async function wrapRead(ttl = '5m'): Promise<Record<string, unknown>> {
    const read = await call('GET', 'secret/data/app', { token: root, headers: wrapped(ttl) });
    assert.equal(read.status, 200, JSON.stringify(read.json));
    return read.json.wrap_info;
  }

  describe('a wrapped response', () => {
    it('carries only wrap_info, with the TTL asked for as a duration or seconds', async () => {
      const read = await call('GET', 'secret/data/app', { token: root, headers: wrapped('90s') });
      assert.equal(read.json.data, null);
      assert.equal(read.json.auth, null);
      const info = read.json.wrap_info;
      assert.equal(info.ttl, 90);
      assert.equal(info.creation_path, 'secret/data/app');
      assert.match(info.token as string, /^hvs\./);
      assert.ok(!Number.isNaN(Date.parse(info.creation_time as string)));
      assert.equal(info.wrapped_accessor, undefined);
      assert.equal((await wrapRead('120')).ttl, 120);
    });

    it('refuses a wrap TTL that is no duration', async () => {
      const read = await call('GET', 'secret/data/app', { token: root, headers: wrapped('soon') });
      assert.equal(read.status, 400);
    });

    it('is unwrapped once with the wrapping token as the client token', async () => {
      const info = await wrapRead();
      const token = info.token as string;
      const unwrapped = await call('POST', 'sys/wrapping/unwrap', { token });
      assert.equal(unwrapped.status, 200, JSON.stringify(unwrapped.json));
      assert.deepEqual((unwrapped.json.data.data as Record<string, unknown>).password, 'hunter2');

      const again = await call('POST', 'sys/wrapping/unwrap', { token });
      assert.equal(again.status, 400);
      assert.deepEqual(again.json.errors, [INVALID]);
    });

    it('is unwrapped once with the wrapping token in the body', async () => {
      const token = (await wrapRead()).token as string;
      const body = { token };
      const unwrapped = await call('POST', 'sys/wrapping/unwrap', { token: root, body });
      assert.equal(unwrapped.status, 200);
      assert.equal((unwrapped.json.data.data as Record<string, unknown>).password, 'hunter2');
      const again = await call('POST', 'sys/wrapping/unwrap', { token: root, body });
      assert.deepEqual(again.json.errors, [INVALID]);
      assert.equal(again.status, 400);
    });

    it('cannot be unwrapped once its TTL passed', async () => {
      const token = (await wrapRead('10s')).token as string;
      clock += 11_000;
      const late = await call('POST', 'sys/wrapping/unwrap', { token });
      assert.equal(late.status, 400);
      assert.deepEqual(late.json.errors, [INVALID]);
    });

    it('leaves no cubbyhole behind once unwrapped', async () => {
      const token = (await wrapRead()).token as string;
      assert.ok(cubbyholeRecords(node) > 0);
      await call('POST', 'sys/wrapping/unwrap', { token });
      assert.equal(cubbyholeRecords(node), 0);
    });

    it('gives a wrapping token no other power than to unwrap', async () => {
      const token = (await wrapRead()).token as string;
      assert.equal((await call('GET', 'secret/data/app', { token })).status, 403);
      assert.equal((await call('GET', 'auth/token/lookup-self', { token })).status, 403);
    });
  });

  describe('token creation and login', () => {
    it('wraps a created token and names its accessor', async () => {
      const created = await call('POST', 'auth/token/create', {
        token: root,
        body: { policies: ['default'] },
        headers: wrapped('1m'),
      });
      assert.equal(created.status, 200);
      assert.equal(created.json.auth, null);
      const info = created.json.wrap_info;
      assert.equal(info.creation_path, 'auth/token/create');
      assert.match(info.wrapped_accessor as string, /.+/);

      const unwrapped = await call('POST', 'sys/wrapping/unwrap', { token: info.token as string });
      const auth = unwrapped.json.auth;
      assert.equal(auth.accessor, info.wrapped_accessor);
      const lookup = await call('GET', 'auth/token/lookup-self', {
        token: auth.client_token as string,
      });
      assert.equal(lookup.status, 200);
    });
  });

  describe('sys/wrapping/wrap, lookup and rewrap', () => {
    it('wraps arbitrary data, and needs a wrap TTL to', async () => {
      const body = { foo: 'bar', n: 1 };
      const refused = await call('POST', 'sys/wrapping/wrap', { token: root, body });
      assert.equal(refused.status, 400);
      const made = await call('POST', 'sys/wrapping/wrap', {
        token: root,
        body,
        headers: wrapped('60'),
      });
      assert.equal(made.status, 200);
      assert.equal(made.json.warnings, null);
      assert.equal(made.json.wrap_info.creation_path, 'sys/wrapping/wrap');
      const token = made.json.wrap_info.token as string;
      assert.deepEqual((await call('POST', 'sys/wrapping/unwrap', { token })).json.data, body);
    });

    it('looks a wrapping token up without a token of its own and without spending it', async () => {
      const info = await wrapRead('300');
      const body = { token: info.token };
      const looked = await call('POST', 'sys/wrapping/lookup', { body });
      assert.equal(looked.status, 200, JSON.stringify(looked.json));
      assert.deepEqual(looked.json.data, {
        creation_path: 'secret/data/app',
        creation_time: info.creation_time,
        creation_ttl: 300,
      });
      assert.equal((await call('POST', 'sys/wrapping/unwrap', { body, token: root })).status, 200);
      const gone = await call('POST', 'sys/wrapping/lookup', { body });
      assert.equal(gone.status, 400);
      const plain = await call('POST', 'sys/wrapping/lookup', { body: { token: root } });
      assert.deepEqual(plain.json.errors, [INVALID]);
    });

    it('rewraps into a new token with the same TTL; the old one is gone', async () => {
      const old = await wrapRead('200');
      const rewrapped = await call('POST', 'sys/wrapping/rewrap', {
        token: root,
        body: { token: old.token },
      });
      assert.equal(rewrapped.status, 200, JSON.stringify(rewrapped.json));
      const info = rewrapped.json.wrap_info;
      assert.notEqual(info.token, old.token);
      assert.equal(info.ttl, 200);
      assert.equal(info.creation_path, 'secret/data/app');
      const oldUnwrap = await call('POST', 'sys/wrapping/unwrap', { token: old.token as string });
      assert.equal(oldUnwrap.status, 400);
      const unwrapped = await call('POST', 'sys/wrapping/unwrap', { token: info.token as string });
      assert.equal((unwrapped.json.data.data as Record<string, unknown>).password, 'hunter2');
    });
  });

  describe('wrapping TTL bounds in policies', () => {
    async function tokenWith(policy: string): Promise<string> {
      await call('PUT', 'sys/policies/acl/w', { token: root, body: { policy } });
      const created = await call('POST', 'auth/token/create', {
        token: root,
        body: { policies: ['w'] },
      });
      return created.json.auth.client_token as string;
    }

    it('answers 400 for a missing or out-of-bounds wrap TTL, and serves one within', async () => {
      const token = await tokenWith(`path "secret/data/*" {
        capabilities = ["read"]
        min_wrapping_ttl = "1m"
        max_wrapping_ttl = "10m"
      }`);
      for (const headers of [{}, wrapped('30s'), wrapped('1h')]) {
        const refused = await call('GET', 'secret/data/app', { token, headers });
        assert.equal(refused.status, 400, JSON.stringify(headers));
        assert.match(refused.json.errors[0] ?? '', /wrap/);
      }
      const fine = await call('GET', 'secret/data/app', { token, headers: wrapped('5m') });
      assert.equal(fine.status, 200);
      assert.equal(fine.json.wrap_info.ttl, 300);
    });
  });

  describe('audit', () => {
    it('logs the wrap_info the client got, its token hashed', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'coffer-wrap-audit-'));
      try {
        const file = path.join(dir, 'audit.log');
        const enabled = await call('PUT', 'sys/audit/file', {
          token: root,
          body: { type: 'file', options: { file_path: file } },
        });
        assert.equal(enabled.status, 204);
        const info = await wrapRead();
        const lines = readFileSync(file, 'utf8').trim().split('\n');
        type Line = {
          type: string;
          request?: { path?: string };
          response?: { wrap_info?: Record<string, unknown> };
        };
        const responses = lines
          .map((line) => JSON.parse(line) as Line)
          .filter((line) => line.type === 'response' && line.request?.path === 'secret/data/app');
        const logged = responses.at(-1)?.response?.wrap_info;
        assert.ok(logged !== undefined, 'no wrap_info in the audit log');
        assert.match(logged.token as string, /^hmac-sha256:/);
        assert.equal(logged.ttl, 300);
        assert.ok(!readFileSync(file, 'utf8').includes(info.token as string));
        assert.ok(!readFileSync(file, 'utf8').includes('hunter2'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

function cubbyholeRecords(node: Node): number {
  return node.physical.entries().filter(([key]) => key.startsWith('cubbyhole/')).length;
}
