/**
 * The restore command (src/physical/restore-command.ts) and how both state machines apply it:
 * the whole state replaced atomically at the command's index, kept keys surviving, malformed
 * commands refused without change, listeners told, and capture() consistent with the index.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  decodeRestore,
  encodeRestore,
  isRestoreCommand,
  planRestore,
  validateState,
} from '../../src/physical/restore-command.js';
import type { RestorableStateMachine, RestoreEvent } from '../../src/physical/restore-command.js';
import { decodeState, encodeState, encodeWrite } from '../../src/physical/state-machine.js';
import { LevelStateMachine } from '../../src/physical/state-machine-level.js';
import { MemoryStateMachine } from '../../src/physical/state-machine-memory.js';
import type { AppliedCommand } from '../../src/raft/node/types.js';

const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

function state(entries: Record<string, string>): Uint8Array {
  return encodeState(Object.entries(entries).map(([k, v]) => [k, bytes(v)] as const));
}

function put(index: number, key: string, value: string): AppliedCommand {
  return { index, term: 2, data: encodeWrite([{ type: 'put', key, value: bytes(value) }]) };
}

function restore(
  index: number,
  entries: Record<string, string>,
  keep: string[] = [],
  seal = false,
): AppliedCommand {
  return { index, term: 3, data: encodeRestore({ state: state(entries), keep, seal }) };
}

/** Every key and value of a captured state, as text. */
function dump(bytesOfState: Uint8Array): Record<string, string> {
  return Object.fromEntries(decodeState(bytesOfState).map(([k, v]) => [k, text(v)!]));
}

describe('restore command', () => {
  it('round-trips and is told apart from write commands by its first byte', () => {
    const command = { state: state({ a: '1' }), keep: ['core/keyring', 'k\uD800'], seal: true };
    const encoded = encodeRestore(command);
    assert.equal(isRestoreCommand(encoded), true);
    assert.equal(isRestoreCommand(encodeWrite([{ type: 'delete', key: 'a' }])), false);
    const decoded = decodeRestore(encoded)!;
    assert.deepEqual(decoded.keep, command.keep);
    assert.equal(decoded.seal, true);
    assert.deepEqual(Buffer.from(decoded.state), Buffer.from(command.state));
  });

  it('decodes to null when the body is damaged or a kept key is invalid', () => {
    const encoded = encodeRestore({ state: state({ a: '1' }), keep: [], seal: false });
    assert.equal(decodeRestore(encoded.subarray(0, encoded.length - 3)), null);
    const badKey = encodeRestore({ state: bytes('x'), keep: ['a/'], seal: false });
    assert.equal(decodeRestore(badKey), null);
    assert.equal(decodeRestore(encodeWrite([{ type: 'delete', key: 'a' }])), null);
  });

  it('keeps the current value of kept keys, and the snapshot value of absent ones', () => {
    const snapshot = state({ b: 'old', k1: 'snap', k2: 'snap' });
    const command = { state: snapshot, keep: ['k1', 'k2', 'k3'], seal: false };
    const current = new Map([
      ['k1', bytes('now')],
      ['k2', undefined],
      ['k3', bytes('now3')],
    ]);
    const pairs = planRestore(command, current)!;
    assert.deepEqual(
      pairs.map(([k, v]) => [k, text(v)]),
      [
        ['b', 'old'],
        ['k1', 'now'],
        ['k2', 'snap'],
        ['k3', 'now3'],
      ],
    );
    assert.equal(planRestore({ ...command, state: bytes('not a state') }, current), null);
  });

  it('validates a state before it is proposed', () => {
    assert.equal(validateState(state({ a: '1', 'b/c': '2' })), 2);
    assert.throws(() => validateState(bytes('garbage')));
    assert.throws(() => validateState(encodeState([['bad/', bytes('1')]])), /invalid storage key/);
  });
});

/** The behaviour both implementations share, run against each. */
function conformance(name: string, make: () => Promise<RestorableStateMachine>): void {
  describe(`${name} restore`, () => {
    let machine: RestorableStateMachine;
    let events: RestoreEvent[];

    beforeEach(async () => {
      machine = await make();
      events = [];
      machine.setRestoreListener((event) => events.push(event));
    });

    it('replaces the whole state between the writes around it, at its index', async () => {
      const results = await machine.apply([
        put(1, 'a/x', '1'),
        put(2, 'gone', '2'),
        restore(3, { 'a/x': 'restored', 'c/y': '3' }),
        put(4, 'd', '4'),
      ]);
      assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
      assert.equal(machine.appliedIndex(), 4);
      assert.equal(text(await machine.get('a/x')), 'restored');
      assert.equal(await machine.get('gone'), undefined);
      assert.deepEqual(await machine.list(''), ['a/', 'c/', 'd']);
      assert.deepEqual(events, [{ index: 3, term: 3, kind: 'command', seal: false }]);

      const captured = await machine.capture();
      assert.deepEqual({ index: captured.index, term: captured.term }, { index: 4, term: 2 });
      assert.deepEqual(dump(captured.state), { 'a/x': 'restored', 'c/y': '3', d: '4' });
    });

    it('keeps the listed keys from the current state and reports the seal flag', async () => {
      await machine.apply([put(1, 'core/keyring', 'current'), put(2, 'other', 'x')]);
      const keep = ['core/keyring'];
      await machine.apply([restore(3, { 'core/keyring': 'old', data: 'd' }, keep, true)]);
      assert.equal(text(await machine.get('core/keyring')), 'current');
      assert.equal(await machine.get('other'), undefined);
      assert.deepEqual(events, [{ index: 3, term: 3, kind: 'command', seal: true }]);
    });

    it('refuses a malformed restore the same way everywhere, changing nothing', async () => {
      await machine.apply([put(1, 'a', '1')]);
      const data = encodeRestore({ state: bytes('x'), keep: [], seal: false });
      const damaged = { index: 2, term: 3, data };
      const results = await machine.apply([damaged, put(3, 'b', '2')]);
      assert.deepEqual(results, [{ ok: false, failure: 'malformed' }, { ok: true }]);
      assert.equal(text(await machine.get('a')), '1');
      assert.equal(machine.appliedIndex(), 3);
      assert.deepEqual(events, []);
    });

    it('tells the listener when a Raft snapshot replaces the state', async () => {
      await machine.restore(state({ s: '1' }), { index: 9, term: 4 });
      assert.equal(text(await machine.get('s')), '1');
      assert.deepEqual(events, [{ index: 9, term: 4, kind: 'snapshot', seal: false }]);
      assert.equal((await machine.capture()).index, 9);
    });
  });
}

conformance('MemoryStateMachine', async () => new MemoryStateMachine());

describe('LevelStateMachine restore durability', () => {
  let dir: string;
  const opened: LevelStateMachine[] = [];
  const openMachine = async (): Promise<LevelStateMachine> => {
    const machine = await LevelStateMachine.open({ dataDir: dir });
    opened.push(machine);
    return machine;
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'coffer-restore-command-'));
  });
  after(async () => {
    for (const machine of opened.splice(0)) await machine.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  conformance('LevelStateMachine', async () => {
    for (const machine of opened.splice(0)) await machine.close();
    await rm(dir, { recursive: true, force: true });
    return openMachine();
  });

  it('keeps a restored state and its index across a reopen', async () => {
    for (const machine of opened.splice(0)) await machine.close();
    await rm(dir, { recursive: true, force: true });
    const first = await openMachine();
    await first.apply([put(1, 'x', '1'), restore(2, { y: '2' }), put(3, 'z', '3')]);
    await first.close();
    opened.splice(0);

    const again = await openMachine();
    assert.equal(again.appliedIndex(), 3);
    assert.equal(await again.get('x'), undefined);
    assert.deepEqual(await again.list(''), ['y', 'z']);
    const captured = await again.capture();
    assert.deepEqual({ index: captured.index, term: captured.term }, { index: 3, term: 2 });
  });

  it('captures the index of exactly the state it dumps while applies run', async () => {
    for (const machine of opened.splice(0)) await machine.close();
    await rm(dir, { recursive: true, force: true });
    const machine = await openMachine();
    const applying = (async () => {
      for (let i = 1; i <= 200; i++) await machine.apply([put(i, `k${i}`, String(i))]);
    })();
    const captures = [];
    for (let i = 0; i < 40; i++) captures.push(await machine.capture());
    await applying;
    for (const { state: captured, index } of captures) {
      // Command i writes key k<i>: a consistent capture at index n holds exactly k1..k<n>.
      assert.equal(decodeState(captured).length, index, `capture at index ${index}`);
    }
  });
});
