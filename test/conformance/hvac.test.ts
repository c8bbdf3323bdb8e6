import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { generateCa, issueCertificate } from '../../src/util/tls.js';
import { runHvac, startConformanceCluster, type ConformanceCluster } from './support.js';

/**
 * Each group of hvac_suite.py and the steps it must pass. Every group runs twice: through the
 * leader, then through a follower (which forwards writes and serves reads after a read index),
 * each time reading back what it wrote through the other node.
 */
const GROUPS: Record<string, string[]> = {
  system: ['health', 'seal-status', 'leader-from-follower', 'key-status', 'is-authenticated'],
  mounts: ['enable', 'tune', 'move', 'disable', 'overlap-refused'],
  kv1: ['write-read', 'overwrite', 'list', 'delete', 'list-empty-404'],
  kv2: [
    'write-read',
    'cas',
    'read-versions',
    'patch',
    'delete-undelete',
    'destroy',
    'metadata-read',
    'metadata-update',
    'list',
    'metadata-delete',
  ],
  policies: ['create-read-list', 'allowed', 'denied', 'capabilities-self', 'delete', 'refusals'],
  tokens: [
    'create',
    'lookup',
    'lookup-self',
    'lookup-accessor',
    'renew',
    'accessors',
    'num-uses',
    'revoke-tree',
    'revoke-orphan',
    'revoke-self',
    'legacy-methods',
  ],
  leases: ['list', 'lookup', 'renew', 'revoke', 'revoke-prefix'],
  audit: ['enable-list', 'audit-hash', 'lines-hashed', 'disable'],
  auth: [
    'userpass-login',
    'userpass-refused',
    'approle-login',
    'approle-used-up',
    'cert-login',
    'cert-refused',
  ],
};

describe('hvac against a three-node cluster', function () {
  this.timeout(180_000);
  let c: ConformanceCluster;
  let scratch: string;

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'coffer-hvac-'));
    // Client certificates for the cert auth steps: one from the CA the role trusts, one not.
    const clientCa = generateCa({ commonName: 'hvac clients CA' });
    const client = issueCertificate(clientCa, { commonName: 'hvac', usages: ['client'] });
    const strangers = generateCa({ commonName: 'strangers CA' });
    const stranger = issueCertificate(strangers, { commonName: 'hvac', usages: ['client'] });
    writeFileSync(path.join(scratch, 'client-ca.pem'), clientCa.certPem);
    writeFileSync(path.join(scratch, 'client.pem'), client.certPem);
    writeFileSync(path.join(scratch, 'client-key.pem'), client.keyPem, { mode: 0o600 });
    writeFileSync(path.join(scratch, 'stranger.pem'), stranger.certPem);
    writeFileSync(path.join(scratch, 'stranger-key.pem'), stranger.keyPem, { mode: 0o600 });
    c = await startConformanceCluster();
  });

  after(async () => {
    await c?.cluster.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });

  for (const [group, steps] of Object.entries(GROUPS)) {
    for (const via of ['leader', 'follower']) {
      it(`passes the ${group} steps through the ${via}`, async () => {
        const run = `${group}@${via}`;
        const outcome = await runHvac(c, [run], scratch);
        assert.equal(outcome.status, 0, outcome.output);
        assert.deepEqual(
          outcome.passed,
          steps.map((step) => `${run}/${step}`),
          outcome.output,
        );
      });
    }
  }
});
