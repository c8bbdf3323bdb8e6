import { randomInt } from '../../../src/util/random.js';
import type { Random } from '../../../src/util/random.js';
import type { RegisterInput, RegisterOutput, RegisterValue } from './register-model.js';
import type { Operation } from './types.js';

/**
 * Register histories for testing the checker itself: ones that are linearizable by construction,
 * small random ones of either kind, and a brute-force reference to judge the small ones by.
 */

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

/** The shape of a simulated workload. */
export interface SimulationConfig {
  clients: number;
  keys: number;
  operations: number;
  /** Chance that an operation's client crashes before the response, before or after applying. */
  crashRate: number;
}

interface Client {
  id: string;
  running: Running | null;
}

interface Running {
  operation: RegisterOperation;
  applied: boolean;
  result: RegisterOutput | undefined;
  crashes: boolean;
}

/**
 * Runs clients against one real in-memory register per key (keys `k0`, `k1`...), interleaving
 * their steps at random: each operation is called, later applied atomically, later returned, each
 * step at a tick of its own. The history is linearizable by construction, the apply tick being
 * the linearization point. A crashing client stops before the response (half the time before
 * applying) and is replaced by a new client. Written values are unique (`v0`, `v1`...).
 */
export function simulateRegisterHistory(
  random: Random,
  config: SimulationConfig,
): RegisterOperation[] {
  const store = new Map<string, RegisterValue>();
  const history: RegisterOperation[] = [];
  const clients: Client[] = [];
  for (let i = 0; i < config.clients; i++) clients.push({ id: `c${i}`, running: null });
  let nextClient = config.clients;
  const values = { next: 0 };
  let time = 0;

  const crash = (client: Client): void => {
    client.id = `c${nextClient++}`;
    client.running = null;
  };

  while (history.length < config.operations || clients.some((c) => c.running !== null)) {
    const client = clients[randomInt(random, 0, clients.length)]!;
    const running = client.running;
    time++;

    if (running === null) {
      if (history.length === config.operations) continue;
      const key = `k${randomInt(random, 0, config.keys)}`;
      const input = randomInput(random, store.get(key) ?? null, values);
      const operation: RegisterOperation = { clientId: client.id, key, input, call: time };
      history.push(operation);
      const crashes = random() < config.crashRate;
      client.running = { operation, applied: false, result: undefined, crashes };
    } else if (!running.applied) {
      if (running.crashes && random() < 0.5) {
        crash(client);
        continue;
      }
      running.result = apply(store, running.operation);
      running.applied = true;
    } else if (running.crashes) {
      crash(client);
    } else {
      running.operation.return = time;
      running.operation.output = running.result;
      client.running = null;
    }
  }
  return history;
}

/**
 * A read, a write of a fresh value, or a cas to a fresh value expecting either the current
 * value or one picked among all written so far (which usually fails).
 */
function randomInput(random: Random, current: RegisterValue, values: { next: number }) {
  const choice = random();
  if (choice < 0.4) return { op: 'read' } as const;
  if (choice < 0.75) return { op: 'write', value: `v${values.next++}` } as const;
  const old = values.next === 0 ? null : `v${randomInt(random, 0, values.next)}`;
  const expected = random() < 0.5 ? current : old;
  return { op: 'cas', expected, value: `v${values.next++}` } as const;
}

/** Applies one operation to the real register and returns what the client sees. */
function apply(
  store: Map<string, RegisterValue>,
  operation: RegisterOperation,
): RegisterOutput | undefined {
  const current = store.get(operation.key) ?? null;
  const input = operation.input;
  switch (input.op) {
    case 'read':
      return current;
    case 'write':
      store.set(operation.key, input.value);
      return undefined;
    case 'cas':
      if (current !== input.expected) return false;
      store.set(operation.key, input.value);
      return true;
  }
}

/**
 * Up to seven operations on key `x` with random times, inputs and outputs over two values, a
 * fifth never returning: a mix of linearizable histories and violations.
 */
export function randomSmallRegisterHistory(random: Random): RegisterOperation[] {
  const values = [null, 'a', 'b'];
  const pick = (): RegisterValue => values[randomInt(random, 0, values.length)]!;
  const history: RegisterOperation[] = [];
  const count = randomInt(random, 1, 8);
  for (let i = 0; i < count; i++) {
    const call = randomInt(random, 0, 16);
    const ret = random() < 0.2 ? null : call + randomInt(random, 0, 8);
    const choice = random();
    const [input, output]: [RegisterInput, RegisterOutput | undefined] =
      choice < 0.4
        ? [{ op: 'read' }, pick()]
        : choice < 0.7
          ? [{ op: 'write', value: pick() ?? 'a' }, undefined]
          : [{ op: 'cas', expected: pick(), value: pick() }, random() < 0.5];
    history.push({ clientId: `c${i}`, key: 'x', input, call, return: ret, output });
  }
  return history;
}

/**
 * Linearizability of a one-key register history straight from the definition, for histories of
 * a few operations: tries every order of every set of operations holding all completed ones,
 * where no operation goes before one that returned before it was called.
 */
export function bruteForceRegisterCheck(history: readonly RegisterOperation[]): boolean {
  const returns = history.map((op) => op.return ?? Infinity);
  const placed = history.map(() => false);

  const search = (value: RegisterValue): boolean => {
    if (history.every((_, i) => placed[i] || returns[i] === Infinity)) return true;
    for (let i = 0; i < history.length; i++) {
      if (placed[i]) continue;
      const op = history[i]!;
      if (returns.some((ret, j) => !placed[j] && ret < op.call)) continue;
      const output = returns[i] === Infinity ? undefined : op.output;
      let next = value;
      if (op.input.op === 'read') {
        if (output !== undefined && output !== value) continue;
      } else if (op.input.op === 'write') {
        next = op.input.value;
      } else {
        const swapped = value === op.input.expected;
        if (output !== undefined && output !== swapped) continue;
        if (swapped) next = op.input.value;
      }
      placed[i] = true;
      if (search(next)) return true;
      placed[i] = false;
    }
    return false;
  };
  return search(null);
}
