import assert from 'node:assert/strict';

import { runHvac, startConformanceCluster, type ConformanceCluster } from './support.js';

/** Each group of hvac_suite.py and the steps it must pass, through the leader and a follower. */
const GROUPS: Record<string, string[]> = {
  system: ['health', 'seal-status', 'leader-from-follower', 'key-status'],
  mounts: ['enable-through-follower', 'tune', 'move', 'disable', 'overlap-refused'],
  kv2: ['write', 'read-through-follower', 'cas', 'list', 'metadata', 'delete-all'],
};

describe('hvac against a three-node cluster', function () {
  this.timeout(180_000);
  let c: ConformanceCluster;

  before(async () => {
    c = await startConformanceCluster();
  });

  after(async () => {
    await c?.cluster.destroy();
  });

  for (const [group, steps] of Object.entries(GROUPS)) {
    it(`passes the ${group} steps`, async () => {
      const run = await runHvac(c, [group]);
      assert.equal(run.status, 0, run.output);
      assert.deepEqual(
        run.passed,
        steps.map((step) => `${group}/${step}`),
        run.output,
      );
    });
  }
});
