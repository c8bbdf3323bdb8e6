/**
 * Login lockout: after {@link LockoutPolicy.threshold} failed logins for one alias of one auth
 * mount (a user name, a role) within {@link LockoutPolicy.windowMs}, further logins for it are
 * refused with 429 and `Retry-After` for {@link LockoutPolicy.durationMs}, whether the password
 * is right or not. `sys/locked-users` lists and unlocks them.
 *
 * The counters are records in replicated storage (`sys/lockout/<mount accessor>/<alias hash>`),
 * written by the leader (a failed login on a follower is forwarded there, like every write), so
 * they survive a leader change within the window. Times are on the cluster clock.
 */
import { createHash } from 'node:crypto';

import {
  ConflictError,
  RateLimitedError,
  StorageConditionFailedError,
} from '../logical/errors.js';
import {
  decodeJson,
  encodeJson,
  type Storage,
  type StorageCondition,
} from '../logical/storage.js';

export interface LockoutPolicy {
  /** Failed logins that lock an alias; 5 by default. */
  readonly threshold: number;
  /** The window the failures must fall in, ms; 15 minutes by default. */
  readonly windowMs: number;
  /** How long a locked alias stays locked, ms; 15 minutes by default. */
  readonly durationMs: number;
}

/**
 * How often {@link LoginLockout.failed} retries its compare-and-set: each round of concurrent
 * failures has one winner, so this many concurrent failures of one alias are all counted.
 */
const COUNT_ATTEMPTS = 16;

export const DEFAULT_LOCKOUT: LockoutPolicy = {
  threshold: 5,
  windowMs: 15 * 60_000,
  durationMs: 15 * 60_000,
};

interface LockoutRecord {
  readonly alias: string;
  readonly failures: number;
  /** When the first failure of the current window happened, ms. */
  readonly windowStart: number;
  /** Until when logins are refused, ms; 0 when not locked. */
  readonly lockedUntil: number;
}

/** A locked alias, as `sys/locked-users` reports it. */
export interface LockedAlias {
  readonly mountAccessor: string;
  readonly alias: string;
  readonly lockedUntil: number;
}

export class LoginLockout {
  constructor(
    private readonly storage: Storage,
    private readonly now: () => number,
    private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT,
  ) {}

  /** Throws `RateLimitedError` (429) while `alias` of the mount is locked. */
  async check(mountAccessor: string, alias: string): Promise<void> {
    const record = await this.read(mountAccessor, alias);
    const now = this.now();
    if (record !== null && record.lockedUntil > now) {
      const seconds = Math.ceil((record.lockedUntil - now) / 1000);
      throw new RateLimitedError('login attempts for this user are locked; try again later', seconds);
    }
  }

  /**
   * Counts a failed login; the threshold-th within the window locks the alias. The count is a
   * compare-and-set on the stored record, so concurrent failures (on the leader, or forwarded
   * there from several nodes) each add one rather than overwrite each other.
   *
   * @throws ConflictError (409) when concurrent failures keep winning the race for the record.
   */
  async failed(mountAccessor: string, alias: string): Promise<void> {
    const key = keyOf(mountAccessor, alias);
    for (let attempt = 0; attempt < COUNT_ATTEMPTS; attempt++) {
      const bytes = await this.storage.get(key);
      const record = bytes === undefined ? null : decodeJson<LockoutRecord>(bytes);
      const now = this.now();
      const fresh = record === null || now - record.windowStart > this.policy.windowMs;
      const failures = fresh ? 1 : record.failures + 1;
      const next: LockoutRecord = {
        alias,
        failures,
        windowStart: fresh ? now : record.windowStart,
        lockedUntil: failures >= this.policy.threshold ? now + this.policy.durationMs : 0,
      };
      const condition: StorageCondition =
        bytes === undefined ? { ifAbsent: true } : { ifValue: bytes };
      try {
        await this.storage.batch([{ type: 'put', path: key, value: encodeJson(next), condition }]);
        return;
      } catch (err) {
        if (!(err instanceof StorageConditionFailedError)) throw err;
      }
    }
    throw new ConflictError('failed logins for this user are being counted concurrently; retry', {
      mountAccessor,
    });
  }

  /** Forgets the failures of `alias` after a successful login (no write when there were none). */
  async succeeded(mountAccessor: string, alias: string): Promise<void> {
    if ((await this.read(mountAccessor, alias)) !== null) await this.unlock(mountAccessor, alias);
  }

  async unlock(mountAccessor: string, alias: string): Promise<void> {
    await this.storage.delete(keyOf(mountAccessor, alias));
  }

  /** Every alias locked now, by mount accessor. */
  async locked(): Promise<LockedAlias[]> {
    const now = this.now();
    const out: LockedAlias[] = [];
    for (const folder of await this.storage.list('')) {
      if (!folder.endsWith('/')) continue;
      for (const key of await this.storage.list(folder)) {
        const bytes = await this.storage.get(folder + key);
        if (bytes === undefined) continue;
        const record = decodeJson<LockoutRecord>(bytes);
        if (record.lockedUntil > now) {
          out.push({ mountAccessor: folder.slice(0, -1), alias: record.alias, lockedUntil: record.lockedUntil });
        }
      }
    }
    return out;
  }

  private async read(mountAccessor: string, alias: string): Promise<LockoutRecord | null> {
    const bytes = await this.storage.get(keyOf(mountAccessor, alias));
    return bytes === undefined ? null : decodeJson<LockoutRecord>(bytes);
  }
}

/** The alias is hashed into the key so that any alias (slashes, long names) is one segment. */
function keyOf(mountAccessor: string, alias: string): string {
  return `${mountAccessor}/${createHash('sha256').update(alias).digest('hex')}`;
}
