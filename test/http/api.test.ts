import assert from 'node:assert/strict';

import { injectList, initAndUnsealOverHttp, startNode, type Node } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('HTTP API', () => {
  let node: Node;
  let token: Record<string, string>;

  beforeEach(async () => {
    node = startNode();
  });

  afterEach(async () => {
    await node.server.close();
  });

  /** A GET with the root token. */
  const get = (url: string) => node.app.inject({ method: 'GET', url, headers: token });

  describe('KV v2 through /v1', () => {
    beforeEach(async () => {
      const { rootToken } = await initAndUnsealOverHttp(node.app);
      token = { 'x-vault-token': rootToken };
    });

    it('writes and reads a secret in Vault envelopes', async () => {
      const written = await node.app.inject({
        method: 'POST',
        url: '/v1/secret/data/app',
        headers: token,
        payload: { data: { password: 's3cr3t' }, options: {} },
      });
      assert.equal(written.statusCode, 200);
      const envelope = written.json() as Record<string, unknown>;
      assert.deepEqual(Object.keys(envelope), [
        'request_id',
        'lease_id',
        'renewable',
        'lease_duration',
        'data',
        'wrap_info',
        'warnings',
        'auth',
      ]);
      assert.match(envelope.request_id as string, UUID);
      assert.equal((envelope.data as { version: number }).version, 1);

      const read = await get('/v1/secret/data/app');
      const body = read.json() as { data: { data: unknown; metadata: { version: number } } };
      assert.equal(read.statusCode, 200);
      assert.deepEqual(body.data.data, { password: 's3cr3t' });
      assert.equal(body.data.metadata.version, 1);
    });

    it('answers a check-and-set mismatch with 400 and Vault message', async () => {
      const write = (cas: number) =>
        node.app.inject({
          method: 'PUT',
          url: '/v1/secret/data/app',
          headers: token,
          payload: { data: { n: cas }, options: { cas } },
        });
      assert.equal((await write(0)).statusCode, 200);
      const mismatch = await write(0);
      assert.equal(mismatch.statusCode, 400);
      assert.deepEqual(mismatch.json(), {
        errors: ['check-and-set parameter did not match the current version'],
      });
    });

    it('lists with the LIST method and with ?list=true alike', async () => {
      for (const key of ['a', 'dir/b']) {
        await node.app.inject({
          method: 'POST',
          url: `/v1/secret/data/${key}`,
          headers: token,
          payload: { data: { k: 1 } },
        });
      }
      const viaList = await injectList(node.app, '/v1/secret/metadata', token);
      const viaQuery = await node.app.inject({
        method: 'GET',
        url: '/v1/secret/metadata/?list=true',
        headers: token,
      });
      for (const response of [viaList, viaQuery]) {
        assert.equal(response.statusCode, 200);
        assert.deepEqual((response.json() as { data: unknown }).data, { keys: ['a', 'dir/'] });
      }
      const empty = await node.app.inject({
        method: 'GET',
        url: '/v1/secret/metadata/none/?list=1',
        headers: token,
      });
      assert.equal(empty.statusCode, 404);
      assert.deepEqual(empty.json(), { errors: [] });
      const bad = await node.app.inject({
        method: 'GET',
        url: '/v1/secret/metadata/?list=maybe',
        headers: token,
      });
      assert.equal(bad.statusCode, 400);
    });

    it('deletes with 204, then answers the read 404 with the full body', async () => {
      await node.app.inject({
        method: 'POST',
        url: '/v1/secret/data/app',
        headers: token,
        payload: { data: { n: 1 } },
      });
      const deleted = await node.app.inject({
        method: 'DELETE',
        url: '/v1/secret/data/app',
        headers: token,
      });
      assert.equal(deleted.statusCode, 204);
      assert.equal(deleted.body, '');

      const read = await get('/v1/secret/data/app');
      assert.equal(read.statusCode, 404);
      const body = read.json() as { data: { data: unknown; metadata: { deletion_time: string } } };
      assert.equal(body.data.data, null);
      assert.notEqual(body.data.metadata.deletion_time, '');

      const meta = await node.app.inject({
        method: 'GET',
        url: '/v1/secret/metadata/app',
        headers: token,
      });
      assert.equal((meta.json() as { data: { current_version: number } }).data.current_version, 1);
      const gone = await node.app.inject({
        method: 'DELETE',
        url: '/v1/secret/metadata/app',
        headers: token,
      });
      assert.equal(gone.statusCode, 204);
      const missing = await node.app.inject({
        method: 'GET',
        url: '/v1/secret/metadata/app',
        headers: token,
      });
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), { errors: [] });
    });

    it('keeps __proto__ and constructor keys as data through JSON, forms and patches', async () => {
      const json = { ...token, 'content-type': 'application/json' };
      const written = await node.app.inject({
        method: 'POST',
        url: '/v1/secret/data/proto',
        headers: json,
        payload: '{"data":{"__proto__":{"polluted":"yes"},"constructor":"c"}}',
      });
      assert.equal(written.statusCode, 200, written.body);
      const patched = await node.app.inject({
        method: 'PATCH',
        url: '/v1/secret/data/proto',
        headers: { ...token, 'content-type': 'application/merge-patch+json' },
        payload: '{"data":{"__proto__":{"more":"too"}}}',
      });
      assert.equal(patched.statusCode, 200, patched.body);
      const read = await get('/v1/secret/data/proto');
      assert.equal(
        JSON.stringify((read.json() as { data: { data: unknown } }).data.data),
        '{"__proto__":{"polluted":"yes","more":"too"},"constructor":"c"}',
      );

      const form = await node.app.inject({
        method: 'POST',
        url: '/v1/cubbyhole/proto',
        headers: { ...token, 'content-type': 'application/x-www-form-urlencoded' },
        payload: '__proto__=x&hasOwnProperty=y',
      });
      assert.equal(form.statusCode, 204, form.body);
      const back = await get('/v1/cubbyhole/proto');
      assert.equal(
        JSON.stringify((back.json() as { data: unknown }).data),
        '{"__proto__":"x","hasOwnProperty":"y"}',
      );
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('patches with application/merge-patch+json only', async () => {
      await node.app.inject({
        method: 'POST',
        url: '/v1/secret/data/app',
        headers: token,
        payload: { data: { a: 1, b: 2 } },
      });
      const wrongType = await node.app.inject({
        method: 'PATCH',
        url: '/v1/secret/data/app',
        headers: token,
        payload: { data: { b: null } },
      });
      assert.equal(wrongType.statusCode, 415);
      const patched = await node.app.inject({
        method: 'PATCH',
        url: '/v1/secret/data/app',
        headers: { ...token, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ data: { b: null, c: 3 } }),
      });
      assert.equal(patched.statusCode, 200);
      const read = await get('/v1/secret/data/app');
      assert.deepEqual((read.json() as { data: { data: unknown } }).data.data, { a: 1, c: 3 });
    });

    it('takes the token from Authorization: Bearer too', async () => {
      const response = await node.app.inject({
        method: 'GET',
        url: '/v1/secret/config',
        headers: { authorization: `Bearer ${token['x-vault-token']}` },
      });
      assert.equal(response.statusCode, 200);
    });

    it('accepts form bodies and bodies without a Content-Type', async () => {
      const form = await node.app.inject({
        method: 'POST',
        url: '/v1/secret/config',
        headers: { ...token, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'max_versions=4',
      });
      assert.equal(form.statusCode, 204);
      const bare = await node.app.inject({
        method: 'POST',
        url: '/v1/secret/config',
        headers: { ...token, 'content-type': undefined },
        payload: '{"cas_required":true}',
      });
      assert.equal(bare.statusCode, 204);
      const curlStyle = await node.app.inject({
        method: 'POST',
        url: '/v1/secret/config',
        headers: { ...token, 'content-type': 'application/x-www-form-urlencoded' },
        payload: '{"delete_version_after":"1m"}',
      });
      assert.equal(curlStyle.statusCode, 204);
      const config = await get('/v1/secret/config');
      assert.deepEqual((config.json() as { data: unknown }).data, {
        cas_required: true,
        delete_version_after: '1m0s',
        max_versions: 4,
      });
    });

    it('copies key-status data to the top level, as Vault does', async () => {
      const response = await node.app.inject({
        method: 'GET',
        url: '/v1/sys/key-status',
        headers: token,
      });
      const body = response.json() as Record<string, unknown>;
      assert.equal(body.term, 1);
      assert.deepEqual((body.data as { term: number }).term, 1);
    });
  });

  describe('errors', () => {
    beforeEach(async () => {
      const { rootToken } = await initAndUnsealOverHttp(node.app);
      token = { 'x-vault-token': rootToken };
    });

    it('answers a missing and a wrong token with the same 403 body', async () => {
      const missing = await node.app.inject({ method: 'GET', url: '/v1/secret/data/app' });
      const wrong = await node.app.inject({
        method: 'GET',
        url: '/v1/secret/data/app',
        headers: { 'x-vault-token': 'hvs.AAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      });
      const bearer = await node.app.inject({
        method: 'GET',
        url: '/v1/secret/data/app',
        headers: { authorization: 'Bearer nope' },
      });
      for (const response of [missing, wrong, bearer]) {
        assert.equal(response.statusCode, 403);
        assert.equal(response.body, '{"errors":["permission denied"]}');
        assert.equal(response.headers['content-type'], 'application/json');
      }
    });

    it('answers an unknown path 404 and an unknown method 405', async () => {
      const unknown = await get('/v1/nothing/here');
      assert.equal(unknown.statusCode, 404);
      assert.equal((unknown.json() as { errors: string[] }).errors.length, 1);
      const method = await node.app.inject({ method: 'OPTIONS', url: '/v1/secret/data/app' });
      assert.equal(method.statusCode, 405);
      const head = await node.app.inject({ method: 'HEAD', url: '/v1/secret/data/app' });
      assert.equal(head.statusCode, 405);
    });

    it('answers malformed, non-object and too deep JSON with 400', async () => {
      const deep = `{"data":${'['.repeat(600)}${']'.repeat(600)}}`;
      const bodies = ['{"data":', '[1,2]', '"text"', deep];
      for (const payload of bodies) {
        const response = await node.app.inject({
          method: 'POST',
          url: '/v1/secret/data/app',
          headers: { ...token, 'content-type': 'application/json' },
          payload,
        });
        assert.equal(response.statusCode, 400, payload.slice(0, 20));
        const [message] = (response.json() as { errors: string[] }).errors;
        assert.match(message ?? '', /^failed to parse JSON/);
      }
    });

    it('refuses empty segments and NUL in paths before routing', async () => {
      // light-my-request resolves %2e%2e itself; traversal is tested over a socket (wire.test.ts).
      for (const url of ['/v1/secret/data/a%00b', '/v1/a//b', '/v1/secret//data/x']) {
        const response = await node.app.inject({ method: 'GET', url, headers: token });
        assert.equal(response.statusCode, 400, url);
      }
      const badEscape = await get('/v1/secret/%zz');
      assert.equal(badEscape.statusCode, 400);
    });

    it('answers a path the router cannot decode in Vault envelope, not echoing it', async () => {
      // An overlong UTF-8 dot and a bad escape fail in the router, before any handler runs.
      for (const url of ['/v1/secret/data/%C0%AEadmin', '/v1/secret/%zz', '/other%C0']) {
        const response = await get(url);
        assert.equal(response.statusCode, 400, url);
        assert.equal(response.headers['content-type'], 'application/json', url);
        assert.equal(response.headers['cache-control'], 'no-store', url);
        assert.deepEqual(response.json(), {
          errors: ['invalid request path: bad percent-encoding'],
        });
      }
    });

    it('answers a body over max_request_size with 413', async () => {
      const small = startNode({}, { maxRequestSize: 64 });
      try {
        const response = await small.app.inject({
          method: 'PUT',
          url: '/v1/sys/init',
          payload: { secret_shares: 5, padding: 'x'.repeat(200) },
        });
        assert.equal(response.statusCode, 413);
        assert.equal(response.headers['content-type'], 'application/json');
        assert.equal((response.json() as { errors: string[] }).errors.length, 1);
      } finally {
        await small.server.close();
      }
    });

    it('sends exactly application/json and no-store on every kind of reply', async () => {
      const replies = await Promise.all([
        node.app.inject({ method: 'GET', url: '/v1/sys/seal-status' }),
        node.app.inject({ method: 'GET', url: '/v1/secret/config', headers: token }),
        node.app.inject({ method: 'GET', url: '/v1/secret/config' }),
        node.app.inject({ method: 'GET', url: '/v1/secret/data/none', headers: token }),
        node.app.inject({ method: 'GET', url: '/other' }),
      ]);
      for (const reply of replies) {
        assert.equal(reply.headers['content-type'], 'application/json', reply.body);
        assert.equal(reply.headers['cache-control'], 'no-store');
      }
    });
  });

  describe('seal state', () => {
    it('answers 503 Vault is sealed to everything but the status endpoints', async () => {
      const init = await node.app.inject({ method: 'PUT', url: '/v1/sys/init', payload: {} });
      const rootToken = (init.json() as { root_token: string }).root_token;
      const sealed = await node.app.inject({
        method: 'GET',
        url: '/v1/secret/data/app',
        headers: { 'x-vault-token': rootToken },
      });
      assert.equal(sealed.statusCode, 503);
      assert.deepEqual(sealed.json(), { errors: ['Vault is sealed'] });
      const noToken = await node.app.inject({ method: 'GET', url: '/v1/sys/mounts' });
      assert.equal(noToken.statusCode, 503);

      for (const url of ['/v1/sys/seal-status', '/v1/sys/leader', '/v1/sys/init']) {
        assert.equal((await node.app.inject({ method: 'GET', url })).statusCode, 200, url);
      }
      const health = await node.app.inject({ method: 'GET', url: '/v1/sys/health' });
      assert.equal(health.statusCode, 503);
    });

    it('seals on PUT sys/seal with 204', async () => {
      const { rootToken } = await initAndUnsealOverHttp(node.app);
      const headers = { 'x-vault-token': rootToken };
      const seal = await node.app.inject({ method: 'PUT', url: '/v1/sys/seal', headers });
      assert.equal(seal.statusCode, 204);
      const status = await node.app.inject({ method: 'GET', url: '/v1/sys/seal-status' });
      assert.equal((status.json() as { sealed: boolean }).sealed, true);
    });

    it('answers a repeated init with 400', async () => {
      await node.app.inject({ method: 'PUT', url: '/v1/sys/init', payload: {} });
      const again = await node.app.inject({ method: 'PUT', url: '/v1/sys/init', payload: {} });
      assert.equal(again.statusCode, 400);
      assert.deepEqual(again.json(), { errors: ['Vault is already initialized'] });
    });

    it('answers a wrong unseal key with 400 and keeps progress', async () => {
      await node.app.inject({ method: 'PUT', url: '/v1/sys/init', payload: {} });
      const wrong = await node.app.inject({
        method: 'PUT',
        url: '/v1/sys/unseal',
        payload: { key: 'not-a-share' },
      });
      assert.equal(wrong.statusCode, 400);
    });
  });

  describe('sys/health', () => {
    it('answers the lifecycle codes, the overrides and HEAD', async () => {
      const health = async (query = '') =>
        (await node.app.inject({ method: 'GET', url: `/v1/sys/health${query}` })).statusCode;
      assert.equal(await health(), 501);
      assert.equal(await health('?uninitcode=299'), 299);
      assert.equal(await health('?uninitcode=abc'), 400);
      const { keys } = (
        await node.app.inject({ method: 'PUT', url: '/v1/sys/init', payload: {} })
      ).json() as { keys: string[] };
      assert.equal(await health(), 503);
      assert.equal(await health('?sealedcode=200&activecode=299'), 200);
      for (const key of keys.slice(0, 3)) {
        await node.app.inject({ method: 'PUT', url: '/v1/sys/unseal', payload: { key } });
      }
      assert.equal(await health(), 200);
      assert.equal(await health('?activecode=299&standbyok=true&unknown=1'), 299);
      const head = await node.app.inject({ method: 'HEAD', url: '/v1/sys/health?activecode=204' });
      assert.equal(head.statusCode, 204);
      assert.equal(head.body, '');
    });
  });
});
