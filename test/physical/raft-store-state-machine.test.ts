import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { encodeWrite } from '../../src/physical/state-machine.js';
import type { KvStateMachine } from '../../src/physical/state-machine.js';
import { LevelStateMachine } from '../../src/physical/state-machine-level.js';
import { MemoryStateMachine } from '../../src/physical/state-machine-memory.js';
import type { BatchOp } from '../../src/physical/types.js';
import type { AppliedCommand } from '../../src/raft/node/types.js';

const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

let nextIndex = 1;
function cmd(ops: BatchOp[], index = nextIndex++): AppliedCommand {
  return { index, term: 1, data: encodeWrite(ops) };
}

async function contents(machine: KvStateMachine): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  const walk = async (prefix: string): Promise<void> => {
    for (const child of await machine.list(prefix)) {
      if (child.endsWith('/')) await walk(prefix + child);
      else out[prefix + child] = text(await machine.get(prefix + child));
    }
  };
  await walk('');
  return out;
}

describe('LevelStateMachine', () => {
  let dir: string;
  const open: LevelStateMachine[] = [];
  const openAt = async (name: string): Promise<LevelStateMachine> => {
    const machine = await LevelStateMachine.open({ dataDir: path.join(dir, name) });
    open.push(machine);
    return machine;
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'coffer-state-machine-'));
  });
  afterEach(async () => {
    for (const machine of open.splice(0)) await machine.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('persists the applied index with the data and reports both after reopening', async () => {
    const machine = await openAt('n1');
    assert.equal(machine.appliedIndex(), 0);
    const results = await machine.apply([
      cmd([{ type: 'put', key: 'a/x', value: bytes('1') }], 3),
      cmd([{ type: 'put', key: 'a/x', value: bytes('2'), condition: { ifAbsent: true } }], 4),
      cmd([{ type: 'put', key: 'b', value: bytes('3'), condition: { ifAbsent: true } }], 5),
    ]);
    assert.deepEqual(results, [
      { ok: true },
      { ok: false, failure: 'condition', index: 0, key: 'a/x' },
      { ok: true },
    ]);
    await machine.close();

    const reopened = await openAt('n1');
    assert.equal(reopened.appliedIndex(), 5);
    assert.deepEqual(await contents(reopened), { 'a/x': '1', b: '3' });
  });

  it('checks a condition against an earlier command of the same apply call', async () => {
    const machine = await openAt('n1');
    const results = await machine.apply([
      cmd([{ type: 'put', key: 'k', value: bytes('first') }]),
      cmd([
        { type: 'put', key: 'k', value: bytes('second'), condition: { ifValue: bytes('first') } },
      ]),
      cmd([{ type: 'delete', key: 'k', condition: { ifAbsent: true } }]),
    ]);
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, true, false],
    );
    assert.equal(text(await machine.get('k')), 'second');
  });

  it('round-trips a snapshot that replaces everything and sets its index', async () => {
    const source = await openAt('source');
    const keys = ['a', 'a/b', 'a/c/d', 'é', 'z\uD800lone', 'z\uFFFFhigh'];
    await source.apply([cmd(keys.map((key) => ({ type: 'put', key, value: bytes(`v:${key}`) })))]);
    await source.apply([cmd([{ type: 'put', key: 'empty', value: new Uint8Array(0) }])]);
    const snapshot = await source.snapshot();

    const target = await openAt('target');
    await target.apply([cmd([{ type: 'put', key: 'stale/key', value: bytes('gone') }])]);
    await target.restore(snapshot, { index: 42, term: 3 });
    assert.deepEqual(await contents(target), await contents(source));
    assert.equal(await target.get('stale/key'), undefined);
    assert.equal((await target.get('empty'))?.byteLength, 0);
    await target.close();

    const reopened = await openAt('target');
    assert.equal(reopened.appliedIndex(), 42);
    assert.deepEqual(await contents(reopened), await contents(source));
    // A lone surrogate survives the log, the snapshot and LevelDB as itself.
    assert.notEqual(await reopened.get('z\uD800lone'), undefined);
    assert.equal(await reopened.get('z\uFFFDlone'), undefined);

    const twin = new MemoryStateMachine();
    await twin.restore(snapshot, { index: 42, term: 3 });
    assert.deepEqual(await contents(twin), await contents(source));
    assert.ok(Buffer.from(await twin.snapshot()).equals(snapshot), 'the twins dump alike');
  });

  it('lists children in UTF-16 order, each folder once, as the memory twin does', async () => {
    const level = await openAt('n1');
    const memory = new MemoryStateMachine();
    const keys = ['p/b', 'p/B', 'p/-', 'p/é', 'p/1', 'p/c/1', 'p/c/2', 'p/c.x', 'p/c0'];
    keys.push('p/\uD83D\uDE00', 'p/\uFFFF');
    const command = cmd(keys.map((key) => ({ type: 'put', key, value: bytes(key) })));
    await level.apply([command]);
    await memory.apply([command]);
    for (const prefix of ['', 'p/', 'p/c', 'p/c/', 'q/']) {
      assert.deepEqual(await level.list(prefix), await memory.list(prefix), `prefix ${prefix}`);
    }
    assert.deepEqual(await level.list('p/c'), ['.x', '/', '0']);
  });
});
