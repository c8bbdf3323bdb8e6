import assert from 'node:assert/strict';

import { auditRequestInput, auditResponseInput } from '../../src/audit/index.js';
import { makeRequest, rawJson } from '../../src/logical/index.js';

describe('audit inputs from logical requests', () => {
  it('copies the request fields and lets the core add its own', () => {
    const request = makeRequest(
      {
        operation: 'update',
        path: 'secret/data/app',
        data: { a: 'b' },
        clientToken: 'hvs.t',
        mountPoint: 'secret/',
        mountType: 'kv',
        wrapTtl: 60,
        connection: {
          remoteAddress: '10.0.0.9',
          remotePort: 4000,
          tls: true,
          peerCertificates: [],
          peerCertificateVerified: false,
        },
      },
      () => 'req-1',
    );
    assert.deepEqual(auditRequestInput(request, { clientTokenAccessor: 'acc' }), {
      id: 'req-1',
      operation: 'update',
      path: 'secret/data/app',
      mountPoint: 'secret/',
      mountType: 'kv',
      clientToken: 'hvs.t',
      clientTokenAccessor: 'acc',
      data: { a: 'b' },
      remoteAddress: '10.0.0.9',
      remotePort: 4000,
      wrapTtl: 60,
    });
  });

  it('maps a response lease, auth and a raw JSON body', () => {
    assert.equal(auditResponseInput(null), undefined);
    const leased = auditResponseInput({
      data: { user: 'u' },
      lease: { leaseId: 'db/creds/1', leaseDuration: 60, renewable: true },
      auth: {
        clientToken: 'hvs.c',
        accessor: 'a',
        policies: ['p'],
        tokenPolicies: ['p'],
        metadata: null,
        leaseDuration: 30,
        renewable: true,
        entityId: '',
        tokenType: 'service',
        orphan: false,
        numUses: 0,
      },
    });
    assert.deepEqual(leased?.secret, { leaseId: 'db/creds/1' });
    assert.equal(leased?.auth?.clientToken, 'hvs.c');
    assert.equal(leased?.auth?.tokenTtl, 30);
    assert.deepEqual(auditResponseInput(rawJson(200, { sealed: false }))?.data, { sealed: false });
  });
});
