import assert from 'node:assert/strict';

import {
  BarrierConditionFailedError,
  InvalidPathError,
  SealedError,
} from '../../src/barrier/errors.js';
import { BarrierView } from '../../src/barrier/view.js';
import { bytes, text, unsealedBarrier } from './helpers.js';

describe('BarrierView', () => {
  it('stores under its prefix and reads back with relative paths', async () => {
    const { barrier } = await unsealedBarrier();
    const view = barrier.view('logical/kv1/');
    await view.put('config', bytes('c'));
    await view.put('data/app', bytes('d'));

    assert.equal(text(await view.get('config')), 'c');
    assert.equal(text(await barrier.get('logical/kv1/config')), 'c');
    assert.deepEqual(await view.list(''), ['config', 'data/']);
    assert.deepEqual(await view.list('data/'), ['app']);
    await view.delete('config');
    assert.equal(await barrier.get('logical/kv1/config'), undefined);
  });

  it('keeps two views with the same relative paths apart', async () => {
    const { barrier } = await unsealedBarrier();
    const first = barrier.view('logical/a/');
    const second = barrier.view('logical/b/');
    await first.put('key', bytes('first'));
    await second.put('key', bytes('second'));
    assert.equal(text(await first.get('key')), 'first');
    assert.equal(text(await second.get('key')), 'second');
    assert.equal(await barrier.view('logical/c/').get('key'), undefined);
  });

  it('binds values to their full path, so a view cannot read another view copy', async () => {
    const { barrier, store } = await unsealedBarrier();
    await barrier.view('logical/a/').put('key', bytes('only for a'));
    await store.put('logical/b/key', (await store.get('logical/a/key')) as Uint8Array);
    await assert.rejects(barrier.view('logical/b/').get('key'), /integrity check failed/);
  });

  it('refuses every path or prefix that would leave the view', async () => {
    const { barrier, store } = await unsealedBarrier();
    await barrier.put('outside', bytes('untouched'));
    const before = store.entries();
    const view = barrier.view('logical/a/');

    const escapes = ['../outside', '/outside', 'x/../../outside', '..', '.', 'x//y', '', 'x/'];
    for (const path of escapes) {
      await assert.rejects(view.get(path), InvalidPathError, `get ${JSON.stringify(path)}`);
      await assert.rejects(view.put(path, bytes('x')), InvalidPathError);
      await assert.rejects(view.delete(path), InvalidPathError);
      await assert.rejects(view.batch([{ type: 'delete', path }]), InvalidPathError);
    }
    for (const prefix of ['../', '/', '/logical/', 'x/../../', 'x']) {
      await assert.rejects(view.list(prefix), InvalidPathError, `list ${JSON.stringify(prefix)}`);
      assert.throws(() => view.view(prefix), InvalidPathError);
    }
    assert.throws(() => view.view(''), InvalidPathError);
    assert.deepEqual(store.entries(), before);
  });

  it('refuses prefixes that are empty, absolute or escaping', async () => {
    const { barrier } = await unsealedBarrier();
    for (const prefix of ['', '/a/', 'a', '../a/', 'a/../']) {
      assert.throws(() => barrier.view(prefix), InvalidPathError, JSON.stringify(prefix));
      assert.throws(() => new BarrierView(barrier, prefix), InvalidPathError);
    }
  });

  it('cannot reach the barrier records through a view on core/', async () => {
    const { barrier } = await unsealedBarrier();
    const core = barrier.view('core/');
    await assert.rejects(core.get('keyring'), InvalidPathError);
    await assert.rejects(core.put('root-key', bytes('x')), InvalidPathError);
    assert.deepEqual(await core.list(''), []);
  });

  it('nests views below their parent prefix', async () => {
    const { barrier } = await unsealedBarrier();
    const nested = barrier.view('logical/').view('kv/').view('data/');
    await nested.put('app', bytes('deep'));
    assert.equal(text(await barrier.get('logical/kv/data/app')), 'deep');
    assert.equal((nested as BarrierView).prefix, 'logical/kv/data/');
  });

  it('reports a failed batch condition by the relative path', async () => {
    const { barrier } = await unsealedBarrier();
    const view = barrier.view('logical/a/');
    await view.put('meta', bytes('v1'));
    const batch = view.batch([
      { type: 'put', path: 'meta', value: bytes('v2'), condition: { ifAbsent: true } },
    ]);
    await assert.rejects(batch, (err: unknown) => {
      assert.ok(err instanceof BarrierConditionFailedError);
      assert.equal(err.path, 'meta');
      assert.equal(err.index, 0);
      return true;
    });
  });

  it('fails with SealedError once the barrier under it is sealed', async () => {
    const { barrier } = await unsealedBarrier();
    const view = barrier.view('logical/a/');
    await view.put('k', bytes('v'));
    barrier.seal();
    await assert.rejects(view.get('k'), SealedError);
    await assert.rejects(view.list(''), SealedError);
    await assert.rejects(view.batch([]), SealedError);
  });
});
