/**
 * One revocation attempt, and what follows from its outcome: the lease is deleted when its
 * revoker succeeds; when it fails, the failure is counted on the record and the next attempt is
 * scheduled with exponential back-off (`baseDelayMs`, then twice that, and so on), until
 * `maxAttempts` have failed and the lease is marked irrevocable (Vault: 6 attempts from 10 s,
 * vault-api.md §4). With `force` the lease is deleted whatever the revoker says.
 *
 * Callers hold the lease's lock, so no renewal or other attempt interleaves.
 */
import { StorageConditionFailedError } from '../logical/errors.js';
import type { Storage } from '../logical/storage.js';
import type { Logger } from '../util/logger.js';
import { InvalidLeaseOptionsError } from './errors.js';
import { deleteOps, putOps, readLease, recordPath } from './lease-store.js';
import type { LeaseKind, LeaseRecord, LeaseRevoker } from './types.js';

/** A well-formed record with the bytes it was read from. */
export interface LoadedLease {
  readonly record: LeaseRecord;
  readonly bytes: Uint8Array;
}

export interface RevocationOptions {
  readonly storage: Storage;
  readonly now: () => number;
  readonly log: Logger;
  readonly revokers: Readonly<Record<LeaseKind, LeaseRevoker>>;
  /** Attempts in all before a lease is marked irrevocable; at least 1. */
  readonly maxAttempts: number;
  /** The delay after the first failed attempt, doubled after each further one. */
  readonly baseDelayMs: number;
  /** Makes lease `id` due again at `at` (cluster-clock milliseconds). */
  readonly schedule: (id: string, at: number) => void;
  readonly unschedule: (id: string) => void;
}

export class Revocation {
  constructor(private readonly options: RevocationOptions) {
    const { maxAttempts, baseDelayMs } = options;
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
      throw new InvalidLeaseOptionsError('retry.attempts must be a whole number of at least 1');
    }
    if (!Number.isFinite(baseDelayMs) || baseDelayMs < 0) {
      throw new InvalidLeaseOptionsError('retry.baseDelayMs must be 0 or more');
    }
  }

  /**
   * One attempt on lease `id` as stored now. Resolves to the revoker's error, or null when the
   * lease is gone (revoking an unknown lease succeeds). A damaged record is left to tidy, or
   * deleted with `force`.
   */
  async revokeStored(id: string, force: boolean): Promise<unknown> {
    const stored = await readLease(this.options.storage, id);
    if (stored === undefined) return null;
    if (stored.record === null) {
      if (!force) return null;
      await this.options.storage.delete(recordPath(id));
      this.options.unschedule(id);
      return null;
    }
    return this.attempt({ record: stored.record, bytes: stored.bytes }, force);
  }

  /**
   * Calls the revoker of `stored.record` and deletes the lease; on failure either deletes it
   * anyway (`force`) or records the failure and schedules the next attempt. Resolves to the
   * revoker's error, or null.
   */
  async attempt(stored: LoadedLease, force: boolean): Promise<unknown> {
    const { record } = stored;
    const { storage, log, revokers, unschedule } = this.options;
    let failure: unknown = null;
    try {
      await revokers[record.kind](record);
    } catch (error) {
      failure = error;
    }

    if (failure === null) {
      await storage.batch(deleteOps(record));
      unschedule(record.id);
      log.debug({ leaseId: record.id }, 'lease revoked');
    } else if (force) {
      await storage.batch(deleteOps(record));
      unschedule(record.id);
      log.warn(
        { leaseId: record.id, err: messageOf(failure) },
        'lease force-deleted although its revocation failed',
      );
    } else {
      await this.recordFailure(stored, failure);
    }
    return failure;
  }

  private async recordFailure(stored: LoadedLease, failure: unknown): Promise<void> {
    const { record } = stored;
    const { storage, log, maxAttempts, baseDelayMs } = this.options;
    const attempts = record.revokeAttempts + 1;
    const gaveUp = attempts >= maxAttempts;
    const nextAttemptTime = this.options.now() + baseDelayMs * 2 ** (attempts - 1);
    const { nextAttemptTime: _previous, ...rest } = record;
    const updated: LeaseRecord = gaveUp
      ? { ...rest, revokeAttempts: attempts, irrevocable: messageOf(failure) }
      : { ...rest, revokeAttempts: attempts, nextAttemptTime };

    // Written only over the bytes just read: a revoker that untracked the lease meanwhile (a
    // token store forgetting a token) must not see it come back.
    const ops = putOps(updated, record.ownerToken).map((op) =>
      op.path === recordPath(record.id) ? { ...op, condition: { ifValue: stored.bytes } } : op,
    );
    try {
      await storage.batch(ops);
    } catch (error) {
      if (error instanceof StorageConditionFailedError) return;
      throw error;
    }

    if (gaveUp) {
      this.options.unschedule(record.id);
      log.error(
        { leaseId: record.id, attempts, err: messageOf(failure) },
        'gave up revoking lease; marked irrevocable',
      );
    } else {
      this.options.schedule(record.id, nextAttemptTime);
      log.warn(
        { leaseId: record.id, attempts, nextAttemptTime, err: messageOf(failure) },
        'failed to revoke lease; will retry',
      );
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
