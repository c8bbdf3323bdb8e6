import assert from 'node:assert/strict';

import {
  PathBackend,
  UnsupportedOperationError,
  UnsupportedPathError,
  makeRequest,
  type Operation,
  type Request,
} from '../../src/logical/index.js';

let ids = 0;
const request = (operation: Operation, path: string, data: Record<string, unknown> = {}) =>
  makeRequest({ operation, path, data }, () => `req-${++ids}`);

describe('PathBackend', () => {
  const seen: Array<{ operation: string; name: string; request: Request }> = [];
  const backend = new PathBackend([
    {
      pattern: 'items/(?<name>[^/]+)',
      fields: {
        name: { type: 'string', description: 'the item' },
        size: { type: 'int', description: 'its size' },
      },
      operations: {
        read: async (req, fields) => {
          seen.push({ operation: 'read', name: fields.string('name'), request: req });
          return { data: { name: fields.string('name'), size: fields.int('size') } };
        },
        update: async (req, fields) => {
          seen.push({ operation: 'update', name: fields.string('name'), request: req });
          return null;
        },
      },
      synopsis: 'items',
    },
    {
      pattern: 'items/.*',
      operations: { list: async () => ({ data: { keys: ['catch-all'] } }) },
      synopsis: 'the catch-all after the specific pattern',
    },
  ]);

  beforeEach(() => {
    seen.length = 0;
  });

  it('calls the handler of the first pattern that matches the whole path', async () => {
    const response = await backend.handleRequest(request('read', 'items/box', { size: '3' }));
    assert.deepEqual(response?.data, { name: 'box', size: 3 });
    const listed = await backend.handleRequest(request('list', 'items/box/'));
    assert.deepEqual(listed?.data, { keys: ['catch-all'] });
  });

  it('lets path captures win over request data of the same name', async () => {
    const response = await backend.handleRequest(request('read', 'items/box', { name: 'other' }));
    assert.equal(response?.data?.name, 'box');
  });

  it('throws UnsupportedPathError when no pattern matches', async () => {
    await assert.rejects(backend.handleRequest(request('read', 'nothing')), UnsupportedPathError);
    await assert.rejects(
      backend.handleRequest(request('read', 'xitems/box')),
      UnsupportedPathError,
    );
  });

  it('throws UnsupportedOperationError when the path lacks the operation', async () => {
    await assert.rejects(
      backend.handleRequest(request('delete', 'items/box')),
      UnsupportedOperationError,
    );
  });

  it('falls back to the update handler for create', async () => {
    await backend.handleRequest(request('create', 'items/box'));
    assert.deepEqual(
      seen.map((entry) => entry.operation),
      ['update'],
    );
  });

  it('warns about request fields the path does not declare', async () => {
    const response = await backend.handleRequest(
      request('read', 'items/box', { colour: 'red', weight: 1 }),
    );
    assert.deepEqual(response?.warnings, [
      'Endpoint ignored these unrecognized parameters: [colour weight]',
    ]);
  });
});
