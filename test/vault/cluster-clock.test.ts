import assert from 'node:assert/strict';

import { MemoryStore } from '../../src/physical/index.js';
import { ClusterClock, decodeBeacon, encodeBeacon } from '../../src/vault/cluster-clock.js';
import { FakeCluster, LEADER } from './fake-cluster.js';
import { coreHarness, initAndUnseal } from './support.js';

const HOUR = 3_600_000;

describe('ClusterClock', () => {
  it('reads the wall clock while no later replicated time is known', () => {
    let wall = 1_000_000;
    const clock = new ClusterClock(() => wall, () => 0);
    assert.equal(clock.now(), 1_000_000);
    wall += 5;
    assert.equal(clock.now(), 1_000_005);
  });

  it('never reads earlier than the newest beacon plus the time elapsed since it was seen', () => {
    let mono = 100;
    const lateWall = 1_000_000;
    const clock = new ClusterClock(() => lateWall, () => mono);
    clock.observe(lateWall + HOUR);
    assert.equal(clock.now(), lateWall + HOUR);
    mono += 2_500;
    assert.equal(clock.now(), lateWall + HOUR + 2_500);
  });

  it('ignores beacons older than what it already knows and never goes backwards', () => {
    let mono = 0;
    let wall = 5_000;
    const clock = new ClusterClock(() => wall, () => mono);
    clock.observe(10_000);
    clock.observe(9_000);
    assert.equal(clock.now(), 10_000);
    wall = 1_000;
    mono = 10;
    assert.equal(clock.now(), 10_010);
    clock.observe(Number.NaN);
    assert.equal(clock.now(), 10_010);
  });

  it('round-trips a beacon and refuses bytes that are not one', () => {
    assert.equal(decodeBeacon(encodeBeacon(1_733_000_000_123)), 1_733_000_000_123);
    assert.equal(decodeBeacon(new Uint8Array(3)), null);
    assert.equal(decodeBeacon(undefined), null);
  });
});

describe('clock beacon between cores', () => {
  it("keeps a follower whose wall clock runs an hour late on the leader's time", async () => {
    const physical = new MemoryStore();
    const trueTime = Date.now;
    const leader = coreHarness({ physical, clockBeaconMs: 10 });
    const { keys } = await initAndUnseal(leader.core);
    const follower = coreHarness({
      physical,
      clockBeaconMs: 10,
      now: () => trueTime() - HOUR,
      cluster: FakeCluster.follower(LEADER),
    });
    for (const key of keys.slice(0, 3)) await follower.core.unseal(key);

    const deadline = trueTime() + 5_000;
    while (follower.core.now() < trueTime() - 10_000 && trueTime() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(Math.abs(follower.core.now() - trueTime()) < 5_000, 'follower on cluster time');
    leader.core.sealNode();
    follower.core.sealNode();
  });
});
