import assert from 'node:assert/strict';

import {
  FieldData,
  InvalidRequestError,
  formatDuration,
  parseDurationSeconds,
  type FieldSchemas,
} from '../../src/logical/index.js';

const SCHEMAS: FieldSchemas = {
  name: { type: 'string', description: 'a name' },
  count: { type: 'int', description: 'a count', default: 7 },
  enabled: { type: 'bool', description: 'a flag' },
  options: { type: 'map', description: 'a map' },
  ttl: { type: 'duration', description: 'a duration' },
  tags: { type: 'string-list', description: 'a list' },
};

describe('FieldData', () => {
  describe('conversion', () => {
    it('reads integers from JSON numbers and from query-string digits', () => {
      assert.equal(new FieldData({ count: 3 }, SCHEMAS).int('count'), 3);
      assert.equal(new FieldData({ count: '42' }, SCHEMAS).int('count'), 42);
      assert.equal(new FieldData({ count: '-2' }, SCHEMAS).int('count'), -2);
    });

    it('reads booleans from JSON and from the spellings Go accepts', () => {
      for (const value of [true, 'true', 'T', '1', 1]) {
        assert.equal(new FieldData({ enabled: value }, SCHEMAS).bool('enabled'), true, `${value}`);
      }
      for (const value of [false, 'false', 'F', '0', 0]) {
        assert.equal(new FieldData({ enabled: value }, SCHEMAS).bool('enabled'), false, `${value}`);
      }
    });

    it('reads string lists from arrays and from comma-separated strings', () => {
      assert.deepEqual(new FieldData({ tags: ['a', 'b'] }, SCHEMAS).stringList('tags'), ['a', 'b']);
      assert.deepEqual(new FieldData({ tags: 'a, b,,c' }, SCHEMAS).stringList('tags'), [
        'a',
        'b',
        'c',
      ]);
    });

    it('reads durations as whole seconds', () => {
      assert.equal(new FieldData({ ttl: '1h30m' }, SCHEMAS).duration('ttl'), 5400);
      assert.equal(new FieldData({ ttl: 90 }, SCHEMAS).duration('ttl'), 90);
    });
  });

  describe('defaults', () => {
    it('returns the declared default, or the zero value, for absent fields', () => {
      const fields = new FieldData({}, SCHEMAS);
      assert.equal(fields.int('count'), 7);
      assert.equal(fields.string('name'), '');
      assert.equal(fields.bool('enabled'), false);
      assert.deepEqual(fields.map('options'), {});
      assert.equal(fields.has('count'), false);
    });

    it('treats null as absent', () => {
      const fields = new FieldData({ count: null }, SCHEMAS);
      assert.equal(fields.has('count'), false);
      assert.equal(fields.int('count'), 7);
    });
  });

  describe('refusals', () => {
    it('throws InvalidRequestError naming the field for a value of the wrong type', () => {
      const cases: Array<[string, unknown, (f: FieldData) => unknown]> = [
        ['count', 'seven', (f) => f.int('count')],
        ['count', 1.5, (f) => f.int('count')],
        ['enabled', 'yes', (f) => f.bool('enabled')],
        ['options', [1, 2], (f) => f.map('options')],
        ['tags', [1], (f) => f.stringList('tags')],
        ['name', { a: 1 }, (f) => f.string('name')],
      ];
      for (const [name, value, read] of cases) {
        assert.throws(
          () => read(new FieldData({ [name]: value }, SCHEMAS)),
          (err: unknown) => err instanceof InvalidRequestError && err.message.includes(name),
          `${name}=${JSON.stringify(value)}`,
        );
      }
    });

    it('lists request fields the path does not declare', () => {
      const fields = new FieldData({ name: 'x', zeta: 1, alpha: 2 }, SCHEMAS);
      assert.deepEqual(fields.unknownFields(), ['alpha', 'zeta']);
    });
  });
});

describe('durations', () => {
  it('parses Go duration strings and plain seconds', () => {
    assert.equal(parseDurationSeconds('0', 'ttl'), 0);
    assert.equal(parseDurationSeconds('45s', 'ttl'), 45);
    assert.equal(parseDurationSeconds('1.5h', 'ttl'), 5400);
    assert.equal(parseDurationSeconds('2h3m4s', 'ttl'), 7384);
    assert.equal(parseDurationSeconds('1d', 'ttl'), 86400);
    assert.equal(parseDurationSeconds('1500ms', 'ttl'), 1);
  });

  it('refuses negative, unparsable and absurd values with a 400', () => {
    for (const value of ['-1s', '-5', 'abc', '1x', '', '5 s', 1e308, -1, '99999999999999h', {}]) {
      assert.throws(() => parseDurationSeconds(value, 'ttl'), InvalidRequestError, `${value}`);
    }
  });

  it('prints durations the way Go does', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(59), '59s');
    assert.equal(formatDuration(90), '1m30s');
    assert.equal(formatDuration(3600), '1h0m0s');
    assert.equal(formatDuration(93784), '26h3m4s');
  });
});
