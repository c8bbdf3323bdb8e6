import type { Model } from './types.js';

/** What a register holds: a string or a number, or `null` when the key is absent. */
export type RegisterValue = string | number | null;

/** A register operation: read the value, overwrite it, or compare-and-set it. */
export type RegisterInput =
  | { op: 'read' }
  | { op: 'write'; value: RegisterValue }
  | { op: 'cas'; expected: RegisterValue; value: RegisterValue };

/**
 * A register operation's result: the value a read returned (`null` for absent), or whether a cas
 * succeeded. A write's output is ignored, so leave it `undefined`.
 */
export type RegisterOutput = RegisterValue | boolean;

/**
 * A single register per key, initially `null` (absent). A write sets the value; a read returns
 * it; `cas(expected, value)` sets `value` and answers `true` iff the current value is strictly
 * equal to `expected`, and otherwise leaves it and answers `false`.
 */
export const registerModel: Model<RegisterValue, RegisterInput, RegisterOutput> = {
  name: 'register',

  init: () => null,

  step(state, input, output) {
    switch (input.op) {
      case 'read':
        return [output === undefined || output === state, state];
      case 'write':
        return [true, input.value];
      case 'cas': {
        const swapped = state === input.expected;
        return [output === undefined || output === swapped, swapped ? input.value : state];
      }
    }
  },

  equal: (a, b) => a === b,

  hash(state) {
    if (state === null) return 0;
    return hashString(typeof state === 'string' ? `s${state}` : `n${state}`);
  },

  readOnly: (input) => input.op === 'read',

  describeInput(input) {
    switch (input.op) {
      case 'read':
        return 'read';
      case 'write':
        return `write ${quote(input.value)}`;
      case 'cas':
        return `cas(${quote(input.expected)}, ${quote(input.value)})`;
    }
  },

  describeOutput(input, output) {
    if (input.op === 'cas') return output === true ? 'ok' : 'failed';
    if (input.op === 'read') return quote(output as RegisterValue);
    return 'ok';
  },

  describeState: (state) => quote(state),
};

function quote(value: RegisterValue): string {
  return value === null ? 'null' : JSON.stringify(value);
}

/** FNV-1a over UTF-16 code units: cheap and good enough to spread the cache's buckets. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}
