import assert from 'node:assert/strict';

import { InvalidPathError } from '../../src/barrier/errors.js';
import { assertValidPath, assertValidPrefix } from '../../src/barrier/paths.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The segment rules written the plain way, one check after another: the oracle. */
function expectedRefusal(body: string): string | undefined {
  if (body.includes('\0')) return 'NUL character';
  if (LONE_SURROGATE.test(body)) return 'malformed UTF-16';
  if (body.startsWith('/')) return 'absolute paths are refused';
  for (const segment of body.split('/')) {
    if (segment.length === 0) return 'empty segment';
    if (segment === '.' || segment === '..') return `"${segment}" segments are refused`;
  }
  return undefined;
}

/** The message `check` throws for `value`, or undefined when it accepts it. */
function refusal(check: (value: string) => void, value: string): string | undefined {
  try {
    check(value);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof InvalidPathError, `expected InvalidPathError, got ${String(err)}`);
    return err.message;
  }
}

function messageFor(path: string, reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : refusal(() => {
    throw new InvalidPathError(path, reason);
  }, path);
}

/** A deterministic generator (xorshift32), so that a failure names a reproducible path. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const ALPHABET = ['a', 'b', '.', '/', '\0', '\uD800', '\uDC00', '\uD83D\uDE00', 'é', '-', ' '];

describe('barrier paths', () => {
  const cases = [
    'a',
    'a/b/c',
    'secret/data/app',
    '.a/..b/...',
    'a/.x/x.',
    'a\uD83D\uDE00b',
    'café/ünïcode',
    '',
    '/abs',
    'a//b',
    'a/./b',
    'a/../b',
    '.',
    '..',
    'a/.',
    'a/..',
    'a\0b',
    'a\uD800',
    '\uDC00a',
    'a\uDC00\uD800',
    '/a\0',
    '\0/..',
    '\uD800/',
  ];

  it('refuses exactly the paths the plain rules refuse, with the same message', () => {
    for (const body of cases) {
      // Paths that are empty or end with "/" are refused before the segment rules.
      if (body.length > 0 && !body.endsWith('/')) {
        assert.equal(
          refusal(assertValidPath, body),
          messageFor(body, expectedRefusal(body)),
          JSON.stringify(body),
        );
      }
      const prefix = `${body}/`;
      assert.equal(
        refusal(assertValidPrefix, prefix),
        messageFor(prefix, expectedRefusal(body)),
        JSON.stringify(prefix),
      );
    }
  });

  it('agrees with the plain rules on generated paths', () => {
    const random = generator(0x5eed);
    let refused = 0;
    for (let n = 0; n < 5000; n++) {
      const length = Math.floor(random() * 8);
      let body = '';
      for (let i = 0; i < length; i++) body += ALPHABET[Math.floor(random() * ALPHABET.length)];
      const reason = expectedRefusal(body);
      if (reason !== undefined) refused += 1;
      if (!body.endsWith('/') && body.length > 0) {
        assert.equal(
          refusal(assertValidPath, body),
          messageFor(body, reason),
          JSON.stringify(body),
        );
      }
      assert.equal(
        refusal(assertValidPrefix, `${body}/`),
        messageFor(`${body}/`, reason),
        JSON.stringify(`${body}/`),
      );
    }
    // Both outcomes were exercised.
    assert.ok(refused > 100 && refused < 4900, `refused ${refused}`);
  });
});
