import assert from 'node:assert/strict';

import * as barrier from '../../src/barrier/index.js';
import { describeError, ERROR_TABLE } from '../../src/http/error-map.js';
import * as httpErrors from '../../src/http/errors.js';
import { FramingError, ListParameterError } from '../../src/http/list-method/index.js';
import * as logical from '../../src/logical/index.js';
import * as physical from '../../src/physical/index.js';
import * as seal from '../../src/seal/index.js';
import * as vault from '../../src/vault/index.js';

/** One instance of every error class that can reach a client. */
const ERRORS: Array<Error & { code: string; httpStatus: number }> = [
  new logical.InvalidRequestError('bad'),
  new logical.PermissionDeniedError(),
  new logical.NotFoundError(),
  new logical.UnsupportedPathError(),
  new logical.UnsupportedOperationError(),
  new logical.ConflictError('busy'),
  new logical.StorageConditionFailedError(0, 'p'),
  new logical.PreconditionFailedError('later'),
  new logical.RateLimitedError('slow down', 3),
  new logical.InternalError('oops'),
  new logical.VaultSealedError(),
  new logical.NoActiveNodeError(),
  new vault.ClusterUnsupportedError('join'),
  new vault.CoreStateCorruptError('core/mounts'),
  new vault.InitOptionsError('no'),
  new barrier.SealedError(),
  new barrier.InvalidUnsealKeyError(),
  new barrier.BarrierAlreadyInitializedError(),
  new barrier.BarrierNotInitializedError(),
  new barrier.InvalidPathError('p', 'why'),
  new barrier.KeyringConflictError(),
  new barrier.BarrierConditionFailedError(0, 'p'),
  new barrier.IntegrityError('p', 'truncated'),
  new seal.InvalidSealConfigError('bad'),
  new seal.InvalidShareError('bad'),
  new seal.DuplicateShareError(),
  new seal.UnsealFailedError(),
  new seal.SealConfigCorruptError('bad'),
  new physical.InvalidKeyError('k', 'why'),
  new physical.ConditionFailedError(0, 'k'),
  new physical.PhysicalUnavailableError('down'),
  new ListParameterError('maybe'),
  new FramingError('head-too-large'),
  new FramingError('head-timeout'),
  new FramingError('obs-fold'),
  new httpErrors.UnsupportedMediaTypeError('application/merge-patch+json'),
  new httpErrors.MethodNotAllowedError('TRACE'),
  new httpErrors.ForwardingFailedError(),
];

describe('error map', () => {
  it('has a row for every error class, with the status the class declares', () => {
    for (const err of ERRORS) {
      assert.ok(Object.hasOwn(ERROR_TABLE, err.code), `no row for ${err.code}`);
      assert.equal(describeError(err).status, err.httpStatus, err.code);
    }
  });

  it('echoes 4xx messages and hides every 5xx message', () => {
    const denied = describeError(new logical.InvalidRequestError('missing "name"'));
    assert.deepEqual(denied.errors, ['missing "name"']);
    assert.equal(denied.internal, false);

    const corrupt = describeError(new barrier.IntegrityError('logical/x/secret', 'truncated'));
    assert.deepEqual(corrupt.errors, ['internal error']);
    assert.equal(corrupt.internal, true);

    const down = describeError(new physical.PhysicalUnavailableError('quorum lost at index 9'));
    assert.equal(down.status, 503);
    assert.equal(down.errors[0]?.includes('index 9'), false);
    assert.equal(down.retryAfter, 1);
  });

  it('answers an error without a known code as an internal 500', () => {
    for (const err of [new TypeError('x'), { code: 'EACCES' }, 'text', null]) {
      const described = describeError(err);
      assert.equal(described.status, 500);
      assert.deepEqual(described.errors, ['internal error']);
      assert.equal(described.internal, true);
    }
  });

  it('answers an empty 404 message as an empty errors array', () => {
    assert.deepEqual(describeError(new logical.NotFoundError()).errors, []);
  });

  it('takes Retry-After from the error when it carries one', () => {
    assert.equal(describeError(new logical.RateLimitedError('slow', 7)).retryAfter, 7);
    assert.equal(describeError(new logical.VaultSealedError()).retryAfter, undefined);
  });
});
