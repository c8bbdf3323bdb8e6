import assert from 'node:assert/strict';

import { InvalidRequestError, RateLimitedError } from '../../src/logical/index.js';
import { RateLimiter, type QuotaTable } from '../../src/vault/quotas.js';
import { startNode, initAndUnsealOverHttp } from '../http/support.js';
import { coreHarness, initAndUnseal } from './support.js';

function table(rate: number, intervalSeconds: number, blockIntervalSeconds = 0): QuotaTable {
  return {
    version: 1,
    rateLimits: [{ name: 'q', path: '', rate, intervalSeconds, blockIntervalSeconds }],
    exemptPaths: [],
  };
}

describe('RateLimiter', () => {
  it('allows rate requests per interval per client, then refuses with a retry time', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    limiter.setTable(table(2, 10));
    limiter.check('secret/x', '10.0.0.1');
    limiter.check('secret/x', '10.0.0.1');
    assert.throws(
      () => limiter.check('secret/x', '10.0.0.1'),
      (err) => err instanceof RateLimitedError && err.retryAfterSeconds === 5,
    );
    limiter.check('secret/x', '10.0.0.2');
    now += 5_000;
    limiter.check('secret/x', '10.0.0.1');
  });

  it('blocks an offender for the block interval', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    limiter.setTable(table(1, 1, 60));
    limiter.check('a', 'c');
    assert.throws(() => limiter.check('a', 'c'), RateLimitedError);
    now += 30_000;
    assert.throws(
      () => limiter.check('a', 'c'),
      (err) => err instanceof RateLimitedError && err.retryAfterSeconds === 30,
    );
    now += 31_000;
    limiter.check('a', 'c');
  });

  it('applies the most specific quota and skips exempt paths', () => {
    const limiter = new RateLimiter(() => 0);
    limiter.setTable({
      version: 1,
      rateLimits: [
        { name: 'all', path: '', rate: 100, intervalSeconds: 1, blockIntervalSeconds: 0 },
        { name: 'kv', path: 'secret/', rate: 1, intervalSeconds: 1, blockIntervalSeconds: 0 },
      ],
      exemptPaths: ['sys/internal/'],
    });
    limiter.check('secret/data/a', 'c');
    assert.throws(() => limiter.check('secret/data/b', 'c'), RateLimitedError);
    for (let i = 0; i < 5; i++) limiter.check('other/x', 'c');
    for (let i = 0; i < 5; i++) limiter.check('sys/internal/ui/mounts', 'c');
  });
});

describe('sys/quotas/rate-limit', () => {
  it('writes, reads, lists and deletes a quota, which then limits requests', async () => {
    const h = coreHarness();
    const { rootToken: token } = await initAndUnseal(h.core);
    await h.call('update', 'sys/quotas/rate-limit/global', {
      token,
      data: { rate: 3, interval: '1m' },
    });
    const read = await h.call('read', 'sys/quotas/rate-limit/global', { token });
    assert.equal(read?.data?.rate, 3);
    assert.equal(read?.data?.interval, 60);
    const listed = await h.call('list', 'sys/quotas/rate-limit/', { token });
    assert.deepEqual(listed?.data?.keys, ['global']);

    // The write and the reads above counted: one request is left in this minute.
    await h.call('read', 'sys/mounts', { token });
    await assert.rejects(h.call('read', 'sys/mounts', { token }), RateLimitedError);
    const health = await h.call('read', 'sys/health');
    assert.equal((health?.raw as { status: number }).status, 200);
  });

  it('refuses a quota without a positive rate', async () => {
    const h = coreHarness();
    const { rootToken: token } = await initAndUnseal(h.core);
    await assert.rejects(
      h.call('update', 'sys/quotas/rate-limit/bad', { token, data: { rate: 0 } }),
      InvalidRequestError,
    );
    await assert.rejects(
      h.call('update', 'sys/quotas/rate-limit/bad', { token, data: { rate: 'lots' } }),
      InvalidRequestError,
    );
  });

  it('answers 429 with Retry-After over HTTP', async () => {
    const node = startNode();
    const { rootToken } = await initAndUnsealOverHttp(node.app);
    const headers = { 'x-vault-token': rootToken };
    const quota = await node.app.inject({
      method: 'POST',
      url: '/v1/sys/quotas/rate-limit/tight',
      headers,
      payload: { rate: 1, interval: '1h', path: 'secret/' },
    });
    assert.equal(quota.statusCode, 204);
    const first = await node.app.inject({ method: 'GET', url: '/v1/secret/data/a', headers });
    assert.equal(first.statusCode, 404);
    const second = await node.app.inject({ method: 'GET', url: '/v1/secret/data/a', headers });
    assert.equal(second.statusCode, 429);
    assert.ok(Number(second.headers['retry-after']) > 0);
    assert.match(second.body, /rate limit quota exceeded/);
    await node.server.close();
  });

  it('never limits health, seal-status and unseal, even under a quota on every path', async () => {
    const node = startNode();
    try {
      const { rootToken } = await initAndUnsealOverHttp(node.app);
      const headers = { 'x-vault-token': rootToken };
      const quota = await node.app.inject({
        method: 'POST',
        url: '/v1/sys/quotas/rate-limit/everything',
        headers,
        payload: { rate: 1, interval: '1h' },
      });
      assert.equal(quota.statusCode, 204);
      const first = await node.app.inject({ method: 'GET', url: '/v1/sys/mounts', headers });
      assert.equal(first.statusCode, 200);
      const limited = await node.app.inject({ method: 'GET', url: '/v1/sys/mounts', headers });
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.headers['content-type'], 'application/json');

      for (let round = 0; round < 3; round++) {
        const exempt = [
          await node.app.inject({ method: 'GET', url: '/v1/sys/health' }),
          await node.app.inject({ method: 'HEAD', url: '/v1/sys/health' }),
          await node.app.inject({ method: 'GET', url: '/v1/sys/seal-status' }),
          await node.app.inject({
            method: 'PUT',
            url: '/v1/sys/unseal',
            payload: { reset: true },
          }),
        ];
        for (const answer of exempt) assert.equal(answer.statusCode, 200, answer.body);
      }
    } finally {
      await node.server.close();
    }
  });
});
