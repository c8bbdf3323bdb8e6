/** A fake clock and fake timers, and an expiration manager built on them over InmemStorage. */
import { InmemStorage, type Storage } from '../../src/logical/index.js';
import {
  ExpirationManager,
  type ExpirationManagerOptions,
  type LeaseRecord,
  type LeaseTimers,
} from '../../src/leases/index.js';

export const T0 = Date.parse('2024-01-01T00:00:00.000Z');

/** Timers that fire only when {@link FakeTimers.advance} moves the shared clock past them. */
export class FakeTimers implements LeaseTimers {
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  private nextHandle = 1;

  constructor(private readonly clock: { now: number }) {}

  set(fn: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.pending.set(handle, { at: this.clock.now + ms, fn });
    return handle;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** How many timers are armed. */
  get count(): number {
    return this.pending.size;
  }

  /** Moves the clock forward by `ms`, firing each timer due on the way, soonest first. */
  advance(ms: number): void {
    const target = this.clock.now + ms;
    for (;;) {
      let soonest: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending) {
        if (entry[1].at <= target && (soonest === undefined || entry[1].at < soonest[1].at)) {
          soonest = entry;
        }
      }
      if (soonest === undefined) break;
      this.pending.delete(soonest[0]);
      this.clock.now = Math.max(this.clock.now, soonest[1].at);
      soonest[1].fn();
    }
    this.clock.now = target;
  }
}

/** Revokers that record what they revoked and fail for the ids (or prefixes) told to. */
export class FakeRevokers {
  readonly revoked: string[] = [];
  readonly attempts: Array<{ id: string; at: number }> = [];
  /** Ids whose revocation fails this many more times (Infinity: always). */
  readonly failures = new Map<string, number>();
  /** Runs inside the token revoker before it succeeds or fails (a token store's side work). */
  onToken: (lease: LeaseRecord) => Promise<void> = async () => undefined;

  constructor(private readonly clock: { now: number }) {}

  failFor(id: string, times = Infinity): void {
    this.failures.set(id, times);
  }

  readonly secret = async (lease: LeaseRecord): Promise<void> => this.revoke(lease);

  readonly token = async (lease: LeaseRecord): Promise<void> => {
    await this.onToken(lease);
    this.revoke(lease);
  };

  private revoke(lease: LeaseRecord): void {
    this.attempts.push({ id: lease.id, at: this.clock.now });
    const left = this.failures.get(lease.id) ?? 0;
    if (left > 0) {
      this.failures.set(lease.id, left - 1);
      throw new Error('backend unreachable');
    }
    this.revoked.push(lease.id);
  }
}

export interface LeaseHarness {
  storage: InmemStorage;
  clock: { now: number };
  timers: FakeTimers;
  revokers: FakeRevokers;
  manager: ExpirationManager;
  /** A new manager on the same storage, clock and revokers (a new leader). */
  newManager(overrides?: Partial<ExpirationManagerOptions>): ExpirationManager;
}

/**
 * A manager over fresh storage, clock at {@link T0}, retrying 3 times from 1 s unless
 * `overrides` say otherwise. It is not started.
 */
export function leaseHarness(
  overrides: Partial<ExpirationManagerOptions> & { storage?: Storage } = {},
): LeaseHarness {
  const storage = new InmemStorage();
  const clock = { now: T0 };
  const timers = new FakeTimers(clock);
  const revokers = new FakeRevokers(clock);
  const newManager = (more: Partial<ExpirationManagerOptions> = {}): ExpirationManager =>
    new ExpirationManager({
      storage,
      now: () => clock.now,
      timers,
      revokers: { secret: revokers.secret, token: revokers.token },
      retry: { attempts: 3, baseDelayMs: 1000 },
      ...overrides,
      ...more,
    });
  return { storage, clock, timers, revokers, manager: newManager(), newManager };
}

/** Registers a secret lease under `path` with `ttlSeconds`, renewable, owned by `owner`. */
export function registerSecret(
  manager: ExpirationManager,
  path: string,
  ttlSeconds: number,
  more: { owner?: string | null; maxTtlSeconds?: number; renewable?: boolean } = {},
): Promise<LeaseRecord> {
  return manager.registerSecret({
    path,
    ttlSeconds,
    maxTtlSeconds: more.maxTtlSeconds,
    renewable: more.renewable ?? true,
    ownerToken: more.owner === undefined ? 'owner-hash' : more.owner,
    internal: { user: 'v-app-1' },
  });
}

/** Advances the fake clock by `ms` and waits for the background work it started. */
export async function advance(harness: LeaseHarness, ms: number, manager = harness.manager) {
  harness.timers.advance(ms);
  await manager.idle();
}
