import assert from 'node:assert/strict';
import { randomInt, seededRandom } from '../../src/util/random.js';
import {
  bruteForceRegisterCheck,
  randomSmallRegisterHistory,
  simulateRegisterHistory,
} from './linearizability/register-histories.js';
import type { SimulationConfig } from './linearizability/register-histories.js';
import {
  checkHistory,
  checkRegisterHistory,
  HistoryError,
  registerModel,
} from './linearizability.js';
import type {
  CheckResult,
  Model,
  RegisterOperation,
  RegisterValue,
} from './linearizability.js';

// Builders that keep the fixed histories readable: client, key, then the call and return times
// (`null` for an operation that never returned), then the observed result.

function write(
  client: string,
  key: string,
  value: RegisterValue,
  call: number,
  ret: number | null,
) {
  return { clientId: client, key, input: { op: 'write', value }, call, return: ret } as const;
}

function read(client: string, key: string, call: number, ret: number | null, saw?: RegisterValue) {
  return { clientId: client, key, input: { op: 'read' }, call, return: ret, output: saw } as const;
}

function cas(
  client: string,
  key: string,
  expected: RegisterValue,
  value: RegisterValue,
  call: number,
  ret: number | null,
  ok?: boolean,
) {
  const input = { op: 'cas', expected, value } as const;
  return { clientId: client, key, input, call, return: ret, output: ok } as const;
}

function assertLinearizable(history: RegisterOperation[]): void {
  const result = checkRegisterHistory(history);
  assert.equal(result.ok, true, result.ok === false ? result.explanation : 'unknown');
}

function assertViolation(history: RegisterOperation[], key = 'x'): string {
  const result = checkRegisterHistory(history);
  assert.equal(result.ok, false, 'history was accepted');
  assert(result.ok === false);
  assert.equal(result.key, key);
  assert.match(result.explanation, new RegExp(`key "${key}"`));
  return result.explanation;
}

describe('linearizability checker', () => {
  describe('register model', () => {
    it('reads the current value, which starts absent', () => {
      const state = registerModel.init();
      assert.deepEqual(registerModel.step(state, { op: 'read' }, null), [true, null]);
      assert.deepEqual(registerModel.step('1', { op: 'read' }, '2'), [false, '1']);
      assert.deepEqual(registerModel.step('1', { op: 'read' }, undefined), [true, '1']);
    });

    it('overwrites whatever value was there', () => {
      const input = { op: 'write', value: '1' } as const;
      assert.deepEqual(registerModel.step(null, input, undefined), [true, '1']);
      assert.deepEqual(registerModel.step('2', input, undefined), [true, '1']);
    });

    it('swaps only from the expected value and checks the reported outcome', () => {
      const input = { op: 'cas', expected: '1', value: '2' } as const;
      assert.deepEqual(registerModel.step('1', input, true), [true, '2']);
      assert.deepEqual(registerModel.step('1', input, false), [false, '2']);
      assert.deepEqual(registerModel.step('3', input, false), [true, '3']);
      assert.deepEqual(registerModel.step('3', input, true), [false, '3']);
      assert.deepEqual(registerModel.step('3', input, undefined), [true, '3']);
    });

    it('hashes equal states equally and tells strings from numbers', () => {
      assert.equal(registerModel.hash('7'), registerModel.hash('7'));
      assert.notEqual(registerModel.hash('7'), registerModel.hash(7));
      assert.equal(registerModel.equal('7', 7), false);
    });
  });

  describe('accepts linearizable register histories', () => {
    it('accepts an empty history and one without a completed operation', () => {
      assertLinearizable([]);
      assertLinearizable([write('a', 'x', '1', 1, null), read('b', 'x', 2, null)]);
    });

    it('accepts a sequential history', () => {
      assertLinearizable([
        read('a', 'x', 1, 2, null),
        write('a', 'x', '1', 3, 4),
        read('b', 'x', 5, 6, '1'),
        write('b', 'x', '2', 7, 8),
        read('a', 'x', 9, 10, '2'),
      ]);
    });

    it('accepts reads seeing either of two overlapping writes', () => {
      const writes = [write('a', 'x', '1', 1, 10), write('b', 'x', '2', 2, 11)];
      assertLinearizable([...writes, read('c', 'x', 3, 4, '1'), read('c', 'x', 5, 6, '2')]);
      assertLinearizable([...writes, read('c', 'x', 3, 4, '2'), read('c', 'x', 5, 6, '1')]);
      assertLinearizable([...writes, read('c', 'x', 12, 13, '1')]);
      assertLinearizable([...writes, read('c', 'x', 12, 13, '2')]);
    });

    it('accepts a chain of compare-and-sets with failures in between', () => {
      assertLinearizable([
        cas('a', 'x', null, '1', 1, 2, true),
        cas('b', 'x', '1', '2', 3, 6, true),
        cas('c', 'x', '1', '3', 4, 7, false),
        cas('a', 'x', '2', '4', 8, 9, true),
        cas('b', 'x', '2', '5', 10, 11, false),
        read('c', 'x', 12, 13, '4'),
      ]);
    });

    it('accepts an indeterminate write that took effect', () => {
      assertLinearizable([
        write('a', 'x', '1', 1, 2),
        write('b', 'x', '2', 3, null),
        read('c', 'x', 10, 11, '2'),
      ]);
    });

    it('accepts an indeterminate write that never took effect', () => {
      assertLinearizable([
        write('a', 'x', '1', 1, 2),
        write('b', 'x', '2', 3, null),
        read('c', 'x', 10, 11, '1'),
        read('c', 'x', 12, 13, '1'),
      ]);
    });

    it('accepts an indeterminate write that took effect late', () => {
      assertLinearizable([
        write('a', 'x', '1', 1, 2),
        write('b', 'x', '2', 3, null),
        read('c', 'x', 10, 11, '1'),
        read('c', 'x', 50, 51, '2'),
      ]);
    });

    it('accepts a read of a value written by a still pending write', () => {
      assertLinearizable([write('a', 'x', '1', 1, 20), read('b', 'x', 5, 6, '1')]);
    });

    it('accepts indeterminate cas and reads, whatever their outcome', () => {
      assertLinearizable([
        write('a', 'x', '1', 1, 2),
        cas('b', 'x', '1', '2', 3, null),
        read('c', 'x', 4, null),
        read('a', 'x', 5, 6, '2'),
      ]);
    });

    it('treats a return and a call at the same time as concurrent', () => {
      assertLinearizable([write('a', 'x', '1', 1, 5), read('b', 'x', 5, 6, null)]);
    });

    it('checks each key on its own', () => {
      assertLinearizable([
        write('a', 'x', '1', 1, 2),
        write('a', 'y', '2', 3, 4),
        read('b', 'x', 5, 6, '1'),
        read('b', 'y', 5, 6, '2'),
        read('b', 'z', 7, 8, null),
      ]);
    });
  });

  describe('rejects non-linearizable register histories', () => {
    it('rejects a stale read after a completed write', () => {
      assertViolation([write('a', 'x', '1', 1, 2), read('b', 'x', 3, 4, null)]);
    });

    it('rejects a lost write', () => {
      assertViolation([
        write('a', 'x', '1', 1, 2),
        write('b', 'x', '2', 3, 4),
        read('c', 'x', 5, 6, '1'),
      ]);
    });

    it('rejects two successful cas from the same expected value', () => {
      assertViolation([
        write('a', 'x', '1', 1, 2),
        cas('b', 'x', '1', '2', 3, 6, true),
        cas('c', 'x', '1', '3', 4, 7, true),
      ]);
    });

    it('rejects a read of a value nobody wrote', () => {
      assertViolation([write('a', 'x', '1', 1, 2), read('b', 'x', 3, 4, 'ghost')]);
    });

    it('rejects a read that goes back in time between two sequential reads', () => {
      assertViolation([
        write('a', 'x', '1', 1, 2),
        write('b', 'x', '2', 3, 20),
        read('c', 'x', 4, 5, '2'),
        read('c', 'x', 6, 7, '1'),
      ]);
    });

    it('rejects a read of a pending write called only after the read returned', () => {
      assertViolation([read('a', 'x', 1, 2, '1'), write('b', 'x', '1', 3, null)]);
    });

    it('rejects an indeterminate write seen and then unseen', () => {
      assertViolation([
        write('a', 'x', '1', 1, 2),
        write('b', 'x', '2', 3, null),
        read('c', 'x', 10, 11, '2'),
        read('c', 'x', 12, 13, '1'),
      ]);
    });

    it('reports the failing key even when other keys are fine', () => {
      const history = [
        write('a', 'x', '1', 1, 2),
        read('a', 'x', 3, 4, '1'),
        write('b', 'y', '1', 1, 2),
        read('b', 'y', 3, 4, '2'),
      ];
      assertViolation(history, 'y');
    });
  });

  describe('explains a violation', () => {
    it('names the key and the operations of the smallest failing prefix', () => {
      const history = [
        write('a', 'x', '1', 1, 2),
        write('b', 'x', '2', 3, 4),
        read('c', 'x', 5, 6, '1'),
        write('a', 'x', '3', 7, 8),
        read('b', 'x', 9, 10, '3'),
      ];
      const result = checkRegisterHistory(history);
      assert(result.ok === false, 'history was accepted');
      assert.deepEqual(result.operations, history.slice(0, 3));
      assert.match(result.explanation, /key "x" is not linearizable under the register model/);
      assert.match(result.explanation, /3 of the key's 5 operations, cut at time 6 when #2/);
      assert.match(result.explanation, /#2 +client c +\[5, 6\] +read -> "1"/);
      assert.doesNotMatch(result.explanation, /#3|#4/);
      assert.match(result.explanation, /#2 read -> "1": cannot take effect in state "2"/);
    });

    it('marks operations that had not returned at the cut', () => {
      const history = [
        write('a', 'x', '1', 1, 2),
        write('b', 'x', '2', 3, null),
        write('c', 'x', '3', 3, 30),
        read('d', 'x', 5, 6, 'ghost'),
      ];
      const result = checkRegisterHistory(history);
      assert(result.ok === false, 'history was accepted');
      assert.match(result.explanation, /#1 +client b +\[3, \.\.\.\) +write "2" \(no response\)/);
      assert.match(result.explanation, /#2 +client c +\[3, 30\] +write "3" \(returned after/);
    });

    it('elides the oldest operations of a long prefix', () => {
      const history: RegisterOperation[] = [];
      for (let i = 0; i < 100; i++) history.push(write('a', 'x', `${i}`, 2 * i, 2 * i + 1));
      history.push(read('b', 'x', 200, 201, '3'));
      const result = checkRegisterHistory(history, { maxExplainedOperations: 5 });
      assert(result.ok === false, 'history was accepted');
      assert.match(result.explanation, /\.\.\. 96 earlier operations not shown/);
      const listed = result.explanation.split('\n').filter((line) => /^ +#\d+ +client/.test(line));
      assert.equal(listed.length, 5);
      assert.match(listed[4]!, /#100 +client b/);
    });
  });

  describe('bounded work', () => {
    it('answers unknown when the step budget runs out', () => {
      const history: RegisterOperation[] = [];
      for (let i = 0; i < 12; i++) history.push(write(`w${i}`, 'x', `${i}`, 1, 100));
      history.push(read('r', 'x', 101, 102, 'ghost'));
      const result = checkRegisterHistory(history, { maxSteps: 50 });
      assert.equal(result.ok, 'unknown');
      assert(result.ok === 'unknown');
      assert.equal(result.key, 'x');
      assert.match(result.explanation, /budget of 50 steps/);
    });

    it('still reports a violation on another key when one key runs out', () => {
      const history: RegisterOperation[] = [];
      for (let i = 0; i < 12; i++) history.push(write(`w${i}`, 'x', `${i}`, 1, 100));
      history.push(read('r', 'x', 101, 102, 'ghost'));
      history.push(write('a', 'y', '1', 1, 2), read('a', 'y', 3, 4, null));
      const result = checkRegisterHistory(history, { maxSteps: 50 });
      assert.equal(result.ok, false);
    });

    it('checks 2,000 operations over 10 keys and 5 clients well under a second', () => {
      const seed = 20_000;
      const history = simulateRegisterHistory(seededRandom(seed), {
        clients: 5,
        keys: 10,
        operations: 2000,
        crashRate: 0.01,
      });
      // CPU time rather than wall time, so that other processes on the machine do not count.
      const started = process.cpuUsage();
      const result = checkRegisterHistory(history);
      const used = process.cpuUsage(started);
      const elapsedMs = (used.user + used.system) / 1000;
      assert.equal(result.ok, true, `seed ${seed}: ${describeResult(result)}`);
      assert(elapsedMs < 1000, `seed ${seed}: took ${elapsedMs.toFixed(0)} ms of CPU`);
    });
  });

  describe('validates the history', () => {
    it('throws a HistoryError when an operation returns before its call', () => {
      assert.throws(
        () => checkRegisterHistory([write('a', 'x', '1', 5, 4)]),
        (error) => error instanceof HistoryError && error.code === 'invalid_history',
      );
    });

    it('throws a HistoryError when a call time is not a finite number', () => {
      assert.throws(() => checkRegisterHistory([read('a', 'x', NaN, 4, null)]), HistoryError);
    });
  });

  describe('takes other models', () => {
    // A counter: `add` returns nothing, `get` returns the sum so far.
    type CounterInput = { op: 'add'; amount: number } | { op: 'get' };
    const counterModel: Model<number, CounterInput, number> = {
      name: 'counter',
      init: () => 0,
      step: (state, input, output) =>
        input.op === 'add'
          ? [true, state + input.amount]
          : [output === undefined || output === state, state],
      equal: (a, b) => a === b,
      hash: (state) => state | 0,
      describeInput: (input) => (input.op === 'add' ? `add ${input.amount}` : 'get'),
      describeOutput: (_input, output) => `${output}`,
      describeState: (state) => `${state}`,
    };
    const add = (client: string, amount: number, call: number, ret: number) => ({
      clientId: client,
      key: 'c',
      input: { op: 'add', amount } as const,
      call,
      return: ret,
    });
    const get = (client: string, call: number, ret: number, output: number) => ({
      clientId: client,
      key: 'c',
      input: { op: 'get' } as const,
      call,
      return: ret,
      output,
    });

    it('accepts and rejects counter histories through the same search', () => {
      const adds = [add('a', 1, 1, 10), add('b', 2, 2, 10)];
      assert.equal(checkHistory(counterModel, [...adds, get('c', 3, 4, 2)]).ok, true);
      assert.equal(checkHistory(counterModel, [...adds, get('c', 11, 12, 3)]).ok, true);
      const result = checkHistory(counterModel, [...adds, get('c', 11, 12, 2)]);
      assert(result.ok === false, 'history was accepted');
      assert.match(result.explanation, /under the counter model/);
    });
  });

  describe('randomized histories', () => {
    const seeds = Array.from({ length: 40 }, (_, i) => 1000 + i);

    it('accepts histories of a real register under random concurrency', () => {
      for (const seed of seeds) {
        const history = simulateRegisterHistory(seededRandom(seed), randomConfig(seed));
        const result = checkRegisterHistory(history);
        assert.equal(result.ok, true, `seed ${seed}: ${describeResult(result)}`);
      }
    });

    it('agrees with a brute-force search on small random histories', () => {
      const seed = 77;
      const random = seededRandom(seed);
      const verdicts = { linearizable: 0, violation: 0 };
      for (let round = 0; round < 600; round++) {
        const history = randomSmallRegisterHistory(random);
        const expected = bruteForceRegisterCheck(history);
        const result = checkRegisterHistory(history);
        const context = `seed ${seed}, round ${round}: ${JSON.stringify(history)}`;
        assert.equal(result.ok, expected, context);
        verdicts[expected ? 'linearizable' : 'violation']++;
      }
      assert(verdicts.linearizable > 100 && verdicts.violation > 100, JSON.stringify(verdicts));
    });

    it('rejects them once one read returns a value never written', () => {
      for (const seed of seeds) {
        const random = seededRandom(seed);
        const history = simulateRegisterHistory(random, randomConfig(seed));
        const reads = history.filter((op) => op.input.op === 'read' && op.return !== undefined);
        assert(reads.length > 0, `seed ${seed}: no completed read to mutate`);
        const victim = reads[randomInt(random, 0, reads.length)]!;
        victim.output = 'never-written';

        const result = checkRegisterHistory(history);
        assert.equal(result.ok, false, `seed ${seed}: mutated history gave ${result.ok}`);
        assert(result.ok === false);
        assert.equal(result.key, victim.key, `seed ${seed}`);
        assert(result.operations.includes(victim), `seed ${seed}: ${result.explanation}`);
      }
    });
  });
});

function describeResult(result: CheckResult<unknown, unknown>): string {
  return result.ok === true ? 'ok' : result.explanation;
}

/** A workload drawn from its own stream, so the same seed gives the same history. */
function randomConfig(seed: number): SimulationConfig {
  const random = seededRandom(~seed);
  return {
    clients: randomInt(random, 2, 7),
    keys: randomInt(random, 1, 5),
    operations: randomInt(random, 100, 400),
    crashRate: 0.02,
  };
}
