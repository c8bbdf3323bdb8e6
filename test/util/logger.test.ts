import assert from 'node:assert/strict';

import pino from 'pino';

import { debugEnabled, silentLogger, type Logger } from '../../src/util/logger.js';

describe('debugEnabled', () => {
  const discard = { write: () => undefined };

  it("follows a pino logger's level", () => {
    assert.equal(debugEnabled(pino({ level: 'info' }, discard)), false);
    assert.equal(debugEnabled(pino({ level: 'debug' }, discard)), true);
    assert.equal(debugEnabled(pino({ level: 'debug' }, discard).child({ component: 'x' })), true);
  });

  it('is false for the silent logger and true for a logger that cannot tell', () => {
    assert.equal(debugEnabled(silentLogger), false);
    const plain: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    assert.equal(debugEnabled(plain), true);
  });
});
