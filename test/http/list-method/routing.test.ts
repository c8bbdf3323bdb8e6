import assert from 'node:assert/strict';
import http from 'node:http';
import Fastify from 'fastify';
import {
  ListParameterError,
  isListRequest,
  registerListMethod,
} from '../../../src/http/list-method/index.js';

describe('isListRequest', () => {
  it('is true for the LIST method', () => {
    assert.equal(isListRequest({ method: 'LIST', url: '/v1/secret/metadata/' }), true);
  });

  it('is true for GET with a true list parameter, in every spelling Vault accepts', () => {
    for (const value of ['true', 'True', 'TRUE', 't', 'T', '1']) {
      assert.equal(isListRequest({ method: 'GET', url: `/v1/kv/?list=${value}` }), true, value);
    }
    assert.equal(isListRequest({ method: 'GET', url: '/v1/kv/?version=2&list=true' }), true);
  });

  it('is false for GET with a false, empty or absent list parameter', () => {
    for (const query of ['?list=false', '?list=0', '?list=F', '?list=', '', '?other=true']) {
      assert.equal(isListRequest({ method: 'GET', url: `/v1/kv/${query}` }), false, query);
    }
  });

  it('reads the first list parameter when there are several', () => {
    assert.equal(isListRequest({ method: 'GET', url: '/v1/kv/?list=true&list=false' }), true);
    assert.equal(isListRequest({ method: 'GET', url: '/v1/kv/?list=false&list=true' }), false);
  });

  it('is false for other methods, whatever the query', () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'HEAD']) {
      assert.equal(isListRequest({ method, url: '/v1/kv/?list=true' }), false, method);
    }
  });

  it('throws a 400 ListParameterError for a list parameter that is not a boolean', () => {
    assert.throws(
      () => isListRequest({ method: 'GET', url: '/v1/kv/?list=yes' }),
      (error: unknown) =>
        error instanceof ListParameterError && error.httpStatus === 400 && error.value === 'yes',
    );
  });
});

describe('registerListMethod', () => {
  it('lets a route declare LIST, reached through inject with its body parsed', async () => {
    const app = Fastify();
    registerListMethod(app);
    app.route({
      method: 'LIST',
      url: '/v1/*',
      handler: async (request) => ({ method: request.method, body: request.body ?? null }),
    });

    const response = await app.inject({
      method: 'LIST' as 'GET',
      url: '/v1/secret/metadata/',
      payload: { after: 'a' },
      validate: false,
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { method: 'LIST', body: { after: 'a' } });
    await app.close();
  });

  it('can be called twice on one app and leaves http.METHODS as it was', async () => {
    const before = [...http.METHODS];
    const app = Fastify();
    registerListMethod(app);
    registerListMethod(app);

    assert.ok(app.supportedMethods.includes('LIST'));
    assert.deepEqual(http.METHODS, before);
    await app.close();
  });
});
