/**
 * The cluster clock: the time every expiry decision (tokens, leases) is made with.
 *
 * A node's wall clock may be wrong. One that runs an hour late would, alone, keep a token alive
 * an hour past its TTL. So the clock never reads earlier than the newest time the cluster has
 * replicated: the leader writes its clock to `core/clock` every few seconds (a beacon), every
 * node reads the beacon back, and the clock then reads
 *
 *   max(local wall clock, newest beacon + time elapsed on this node's monotonic clock since),
 *
 * and never goes backwards. A node whose clock runs late therefore keeps time with the cluster,
 * a beacon or two behind at most; a node whose clock runs early expires things early, never late.
 */
import { randomBytes } from 'node:crypto';

/** Where the leader writes its clock, in the barrier. */
export const CLOCK_BEACON_PATH = 'core/clock';

/** How often the leader writes the beacon and every node reads it. */
export const CLOCK_BEACON_MS = 2_000;

export class ClusterClock {
  /** The newest replicated time seen, and the monotonic time it was seen at. */
  private floor = 0;
  private floorSeenAt = 0;
  private last = 0;

  /**
   * @param wall this node's wall clock in milliseconds (`Date.now` unless a test fixes it)
   * @param monotonic a clock that only moves forward, in milliseconds (`performance.now`)
   */
  constructor(
    private readonly wall: () => number,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** Milliseconds: the later of the wall clock and the replicated floor, never decreasing. */
  now(): number {
    const fromFloor = this.floor === 0 ? 0 : this.floor + (this.monotonic() - this.floorSeenAt);
    this.last = Math.max(this.last, this.wall(), Math.floor(fromFloor));
    return this.last;
  }

  /** Takes a replicated timestamp (a beacon) into account; older ones change nothing. */
  observe(replicatedMs: number): void {
    if (!Number.isFinite(replicatedMs) || replicatedMs <= this.currentFloor()) return;
    this.floor = replicatedMs;
    this.floorSeenAt = this.monotonic();
  }

  private currentFloor(): number {
    return this.floor === 0 ? 0 : this.floor + (this.monotonic() - this.floorSeenAt);
  }
}

/** A beacon's stored form: the time, then random padding so no two beacons encrypt alike. */
export function encodeBeacon(timeMs: number): Uint8Array {
  const bytes = Buffer.alloc(16);
  bytes.writeDoubleBE(timeMs, 0);
  randomBytes(8).copy(bytes, 8);
  return bytes;
}

/** The time in a stored beacon, or null when the bytes are not one. */
export function decodeBeacon(bytes: Uint8Array | undefined): number | null {
  if (bytes === undefined || bytes.byteLength !== 16) return null;
  const time = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readDoubleBE(0);
  return Number.isFinite(time) && time > 0 ? time : null;
}
