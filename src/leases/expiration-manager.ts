/**
 * The expiration manager: every lease (a secret's or a service token's) lives in storage, and on
 * the leader the manager revokes each once its `expireTime` has passed on the cluster clock
 * (vault-api.md §4). Storage is the truth; the in-memory schedule is only a hint of when to look
 * again, so whatever fires re-reads the lease and decides on what it finds.
 *
 * Lifecycle: the leader calls {@link ExpirationManager.start} on election and unseal. It loads
 * every lease, revokes the expired ones at once and schedules the rest on one timer. Requests
 * that touch a lease while the load is running read and write storage themselves (lazy load),
 * and the loader leaves alone any lease they touched. {@link ExpirationManager.stop} (leadership
 * lost, sealed) cancels the timer and drops queued work; revocations already calling a backend
 * finish, but schedule nothing more.
 *
 * A failed revocation is retried with exponential back-off (Vault: 6 attempts, from 10 s), then
 * the lease is marked irrevocable: kept, reported by lookup, never retried on its own.
 */
import { InvalidRequestError } from '../logical/errors.js';
import { listChildren } from '../logical/list-children.js';
import type { Storage } from '../logical/storage.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { KeyedLock, WorkQueue } from './concurrency.js';
import { InvalidLeaseOptionsError, LeaseRevokeError } from './errors.js';
import { ExpiryQueue, NODE_TIMERS, type LeaseTimers } from './expiry-queue.js';
import {
  assertLeaseId,
  decodeSegment,
  deleteOps,
  indexFolder,
  listLeaseIds,
  putOps,
  readLease,
} from './lease-store.js';
import { randomBase62 } from '../util/random.js';
import { Revocation } from './revocation.js';
import { tidyLeaseStorage, type TidySummary } from './lease-tidy.js';
import type {
  ExpiryTracker,
  LeaseKind,
  LeaseRecord,
  LeaseRenewer,
  LeaseRevoker,
  NewLease,
} from './types.js';

export interface ExpirationManagerOptions {
  /** The manager's own storage (the core hands it the `sys/expire/` view). */
  readonly storage: Storage;
  /** The cluster clock, milliseconds: every expiry decision is made on it alone. */
  readonly now: () => number;
  readonly logger?: Logger;
  /** What revokes a lease of each kind: the core's backend callback, the token store. */
  readonly revokers: Readonly<Record<LeaseKind, LeaseRevoker>>;
  /**
   * What renews a secret lease. Without one, a renewal grants the increment asked for (or,
   * for 0, the lease's previous period), capped at its max TTL.
   */
  readonly renewers?: { readonly secret?: LeaseRenewer };
  /** Node's timers unless given (tests pass fake ones). */
  readonly timers?: LeaseTimers;
  /** Revocation retries: `attempts` in all (default 6), the first back-off (default 10 000 ms). */
  readonly retry?: { readonly attempts?: number; readonly baseDelayMs?: number };
  /** How many revocations run at once in the background (default 8). */
  readonly concurrency?: number;
}

/** A secret lease to register: what a backend's response carries, TTLs already resolved. */
export interface NewSecretLease {
  /** The request path that created it (`database/creds/app`); the lease id starts with it. */
  readonly path: string;
  /** Seconds, more than 0. */
  readonly ttlSeconds: number;
  /** Seconds from now that renewals may never pass; 0 or absent for no cap. */
  readonly maxTtlSeconds?: number;
  readonly renewable: boolean;
  /** The hashed id of the token that asked for it, or null. */
  readonly ownerToken: string | null;
  readonly internal: Readonly<Record<string, unknown>>;
}

/** The outcome of a revocation of many leases. */
export interface RevokeSummary {
  /** Leases revoked (with `force`, this includes those whose revoker failed). */
  readonly revoked: number;
  /** Leases whose revoker failed: kept and retried, or with `force` deleted anyway. */
  readonly failed: number;
}

const LOAD_CHUNK = 32;

export class ExpirationManager implements ExpiryTracker {
  private readonly storage: Storage;
  /** The cluster clock the manager decides on (milliseconds). */
  readonly now: () => number;
  private readonly log: Logger;
  private readonly renewSecret: LeaseRenewer | undefined;
  private readonly concurrency: number;
  private readonly revocation: Revocation;
  private readonly queue: ExpiryQueue;
  private readonly work: WorkQueue;
  private readonly locks = new KeyedLock();

  private running = false;
  /** Bumped by start and stop, so work begun under an older term of office gives up. */
  private generation = 0;
  private loading: Promise<void> | null = null;
  /** Ids a request scheduled or cancelled while the load runs: the loader leaves them alone. */
  private touched: Set<string> | null = null;

  constructor(options: ExpirationManagerOptions) {
    this.storage = options.storage;
    this.now = options.now;
    this.log = options.logger ?? silentLogger;
    this.renewSecret = options.renewers?.secret;
    this.concurrency = options.concurrency ?? 8;
    this.revocation = new Revocation({
      storage: this.storage,
      now: this.now,
      log: this.log,
      revokers: options.revokers,
      maxAttempts: options.retry?.attempts ?? 6,
      baseDelayMs: options.retry?.baseDelayMs ?? 10_000,
      schedule: (id, at) => this.scheduleLease(id, at),
      unschedule: (id) => this.unscheduleLease(id),
    });
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) {
      throw new InvalidLeaseOptionsError('concurrency must be a whole number of at least 1');
    }
    this.queue = new ExpiryQueue(options.timers ?? NODE_TIMERS, this.now, (ids) =>
      ids.forEach((id) => this.enqueue(id, false)),
    );
    this.work = new WorkQueue(this.concurrency);
  }

  /** True between {@link start} and {@link stop}. */
  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Takes charge of expiry (the leader, on election and unseal): resolves once every stored
   * lease is loaded, the expired ones queued for revocation and the rest scheduled. Calling it
   * while running returns the load in progress.
   */
  start(): Promise<void> {
    if (this.running) return this.loading ?? Promise.resolve();
    this.running = true;
    const generation = ++this.generation;
    this.touched = new Set();
    const loading = this.restore(generation).catch((error: unknown) => {
      // Requests keep working on storage directly; the caller decides whether to step down.
      this.log.error({ err: messageOf(error) }, 'failed to restore leases');
      throw error;
    });
    const loaded = (): void => {
      if (this.generation !== generation) return;
      this.touched = null;
      this.loading = null;
    };
    loading.then(loaded, loaded);
    this.loading = loading;
    return loading;
  }

  /** Gives up charge (leadership lost, sealed): no timer, queued or future retry will run. */
  stop(): void {
    this.running = false;
    this.generation += 1;
    this.queue.clear();
    this.work.clear();
    this.touched = null;
    this.loading = null;
  }

  /** Resolves once the load and every background revocation queued so far have finished. */
  async idle(): Promise<void> {
    await this.loading?.catch(() => undefined);
    await this.work.idle();
  }

  /**
   * Stores a new secret lease and schedules its expiry. Its id is `<path>/<24 base62>`; its
   * expiry is `now + ttlSeconds`, capped at `now + maxTtlSeconds` when that is set.
   */
  async registerSecret(lease: NewSecretLease): Promise<LeaseRecord> {
    const path = lease.path.endsWith('/') ? lease.path.slice(0, -1) : lease.path;
    assertLeaseId(path);
    if (!Number.isSafeInteger(lease.ttlSeconds) || lease.ttlSeconds <= 0) {
      throw new InvalidRequestError('a lease needs a TTL of at least one second', { path });
    }
    const now = this.now();
    const maxTtl = lease.maxTtlSeconds ?? 0;
    const maxExpireTime = maxTtl > 0 ? now + maxTtl * 1000 : 0;
    const expireTime = capped(now + lease.ttlSeconds * 1000, maxExpireTime);
    const record: LeaseRecord = {
      id: `${path}/${randomBase62(24)}`,
      kind: 'secret',
      path,
      issueTime: now,
      expireTime,
      lastRenewalTime: null,
      renewable: lease.renewable,
      ownerToken: lease.ownerToken,
      internal: lease.internal,
      revokeAttempts: 0,
      irrevocable: null,
      ...(maxExpireTime > 0 ? { maxExpireTime } : {}),
    };
    await this.storage.batch(putOps(record));
    this.scheduleLease(record.id, expireTime);
    this.log.debug({ leaseId: record.id, expireTime }, 'lease registered');
    return record;
  }

  /** {@link ExpiryTracker.track}: stores `lease` (a token's), replacing one with the same id. */
  async track(lease: NewLease): Promise<void> {
    assertLeaseId(lease.id);
    await this.locks.run(lease.id, async () => {
      const previous = (await readLease(this.storage, lease.id))?.record ?? null;
      const record: LeaseRecord = {
        id: lease.id,
        kind: lease.kind,
        path: lease.path,
        issueTime: lease.issueTime,
        expireTime: lease.expireTime,
        lastRenewalTime:
          previous === null
            ? null
            : previous.expireTime !== lease.expireTime
              ? this.now()
              : previous.lastRenewalTime,
        renewable: lease.renewable,
        ownerToken: lease.ownerToken,
        internal: lease.internal,
        revokeAttempts: 0,
        irrevocable: null,
      };
      await this.storage.batch(putOps(record, previous?.ownerToken ?? null));
      if (record.expireTime === 0) this.unscheduleLease(record.id);
      else this.scheduleLease(record.id, record.expireTime);
    });
  }

  /**
   * {@link ExpiryTracker.untrack}: forgets lease `id` without revoking it. It takes no lock, so
   * a revoker may call it for the very lease being revoked.
   */
  async untrack(id: string): Promise<void> {
    assertLeaseId(id);
    const stored = await readLease(this.storage, id);
    if (stored !== undefined) {
      await this.storage.batch(deleteOps({ id, ownerToken: stored.record?.ownerToken ?? null }));
    }
    this.unscheduleLease(id);
  }

  /** Lease `id` as stored, or null when there is none (or it is damaged; tidy removes those). */
  async lookup(id: string): Promise<LeaseRecord | null> {
    assertLeaseId(id);
    return (await readLease(this.storage, id))?.record ?? null;
  }

  /**
   * The children of `prefix` among all lease ids, as `Storage.list` folds paths: with
   * `aws/creds/a/X` and `aws/creds/b/Y` stored, `listPrefix('aws/creds/')` is `['a/', 'b/']`.
   */
  async listPrefix(prefix: string): Promise<string[]> {
    return listChildren(await listLeaseIds(this.storage), prefix);
  }

  /**
   * Renews secret lease `id` by `incrementSeconds` counted from now (advisory: the renewer
   * grants what it will), capped at the lease's max TTL. Resolves to the updated record.
   * Throws `InvalidRequestError` (400) for an unknown, token, non-renewable, irrevocable,
   * expired or half-revoked lease, and passes on a renewer's refusal.
   */
  async renew(id: string, incrementSeconds: number): Promise<LeaseRecord> {
    assertLeaseId(id);
    return this.locks.run(id, async () => {
      const record = (await readLease(this.storage, id))?.record ?? null;
      if (record === null) throw new InvalidRequestError('lease not found', { leaseId: id });
      if (record.kind === 'token') {
        throw new InvalidRequestError(
          'tokens cannot be renewed through this endpoint; use auth/token/renew',
          { leaseId: id },
        );
      }
      if (!record.renewable) {
        throw new InvalidRequestError('lease is not renewable', { leaseId: id });
      }
      if (record.irrevocable !== null) {
        throw new InvalidRequestError('lease is irrevocable', { leaseId: id });
      }
      const now = this.now();
      if (record.expireTime !== 0 && record.expireTime <= now) {
        throw new InvalidRequestError('lease expired', { leaseId: id });
      }
      if (record.nextAttemptTime !== undefined) {
        throw new InvalidRequestError('lease is being revoked', { leaseId: id });
      }

      const granted = await this.grantedSeconds(record, incrementSeconds);
      const expireTime = capped(now + granted * 1000, record.maxExpireTime ?? 0);
      const renewed: LeaseRecord = { ...record, expireTime, lastRenewalTime: now };
      await this.storage.batch(putOps(renewed, record.ownerToken));
      this.scheduleLease(id, expireTime);
      this.log.debug({ leaseId: id, expireTime }, 'lease renewed');
      return renewed;
    });
  }

  /**
   * Revokes lease `id`: calls its kind's revoker, then deletes it. Revoking an unknown lease
   * succeeds. Without `sync` the attempt runs in the background and this resolves at once; with
   * `sync` it waits for the attempt and rejects with {@link LeaseRevokeError} (500) if it failed.
   * Either way a failed attempt is retried with back-off.
   */
  async revoke(id: string, options: { sync?: boolean } = {}): Promise<void> {
    assertLeaseId(id);
    if (options.sync !== true) {
      this.work.push(async () => {
        await this.locks.run(id, () => this.revocation.revokeStored(id, false));
      });
      return;
    }
    const error = await this.locks.run(id, () => this.revocation.revokeStored(id, false));
    if (error !== null) throw new LeaseRevokeError(id, { cause: error });
  }

  /**
   * Revokes, one attempt each, every lease whose id is `prefix` or lies below it as a folder
   * (`aws/creds` takes `aws/creds/…` but not `aws/credsX/…`, as Vault reads a prefix; `''`
   * takes all). With `force`, a lease whose revoker fails (or whose record is damaged) is
   * deleted anyway; without it, it is kept and retried. Resolves to the counts.
   */
  async revokePrefix(prefix: string, options: { force?: boolean } = {}): Promise<RevokeSummary> {
    const force = options.force === true;
    const ids = (await listLeaseIds(this.storage)).filter((id) => underPrefix(id, prefix));
    const outcomes = await this.inChunks(ids, (id) =>
      this.locks.run(id, () => this.revocation.revokeStored(id, force)),
    );
    const failed = outcomes.filter((error) => error !== null).length;
    this.log.info({ prefix, force, leases: ids.length, failed }, 'revoked leases by prefix');
    return { revoked: force ? ids.length : ids.length - failed, failed };
  }

  /**
   * Revokes, one attempt each, every secret lease owned by the token whose hashed id is
   * `ownerToken` (the token store calls it when it revokes a token). Failures are retried with
   * back-off. Index entries with no matching lease are dropped on the way.
   */
  async revokeByToken(ownerToken: string): Promise<RevokeSummary> {
    const folder = indexFolder(ownerToken);
    const keys = (await this.storage.list(folder)).filter((key) => !key.endsWith('/'));
    const secretIds: string[] = [];
    for (const key of keys) {
      const id = decodeSegment(key);
      const record = (await readLease(this.storage, id))?.record ?? null;
      if (record === null || record.ownerToken !== ownerToken) {
        await this.storage.delete(folder + key);
      } else if (record.kind === 'secret') {
        secretIds.push(id);
      }
    }
    const outcomes = await this.inChunks(secretIds, (id) =>
      this.locks.run(id, () => this.revocation.revokeStored(id, false)),
    );
    const failed = outcomes.filter((error) => error !== null).length;
    return { revoked: secretIds.length - failed, failed };
  }

  /** Tidies the lease storage (see lease-tidy.ts) and resolves to what it changed. */
  async tidy(): Promise<TidySummary> {
    const summary = await tidyLeaseStorage(this.storage);
    this.log.info({ ...summary }, 'tidied lease storage');
    return summary;
  }

  // --- loading and scheduling -------------------------------------------------------------

  private async restore(generation: number): Promise<void> {
    const ids = await listLeaseIds(this.storage);
    let expired = 0;
    let scheduled = 0;
    for (let start = 0; start < ids.length; start += LOAD_CHUNK) {
      const chunk = ids.slice(start, start + LOAD_CHUNK);
      const stored = await Promise.all(chunk.map((id) => readLease(this.storage, id)));
      if (this.generation !== generation) return;
      chunk.forEach((id, i) => {
        const record = stored[i]?.record ?? null;
        // A request that touched the lease meanwhile has already scheduled what it found.
        if (record === null || this.touched?.has(id) === true) return;
        const due = dueTime(record);
        if (record.irrevocable !== null || due === 0) return;
        if (record.expireTime <= this.now() || record.nextAttemptTime !== undefined) {
          // Revoked at once, even in the middle of a back-off the old leader started.
          this.enqueue(id, true);
          expired += 1;
        } else {
          this.queue.schedule(id, due);
          scheduled += 1;
        }
      });
    }
    this.log.info({ leases: ids.length, scheduled, expired }, 'restored leases');
  }

  /** Queues a look at lease `id`: revoked if due, or at once with `now`. */
  private enqueue(id: string, now: boolean): void {
    const generation = this.generation;
    this.work.push(async () => {
      await this.locks.run(id, async () => {
        if (this.generation !== generation) return;
        await this.expireStored(id, now);
      });
    });
  }

  /**
   * Revokes lease `id` if it is due (or `now` is set), or schedules it again for when it will
   * be. Holds its lock.
   */
  private async expireStored(id: string, now: boolean): Promise<void> {
    const stored = await readLease(this.storage, id);
    const record = stored?.record ?? null;
    if (stored === undefined || record === null || record.irrevocable !== null) return;
    const due = dueTime(record);
    if (due === 0) return;
    if (!now && due > this.now()) {
      this.scheduleLease(id, due);
      return;
    }
    await this.revocation.attempt({ record, bytes: stored.bytes }, false);
  }

  /** What a renewal grants: the renewer's answer, or the increment (0: the previous period). */
  private async grantedSeconds(record: LeaseRecord, incrementSeconds: number): Promise<number> {
    if (this.renewSecret !== undefined) {
      const granted = await this.renewSecret(record, incrementSeconds);
      return Number.isFinite(granted) && granted > 0 ? Math.floor(granted) : 0;
    }
    if (incrementSeconds > 0) return incrementSeconds;
    const since = record.lastRenewalTime ?? record.issueTime;
    return Math.max(0, Math.round((record.expireTime - since) / 1000));
  }

  private scheduleLease(id: string, at: number): void {
    this.touched?.add(id);
    if (this.running) this.queue.schedule(id, at);
  }

  private unscheduleLease(id: string): void {
    this.touched?.add(id);
    this.queue.cancel(id);
  }

  /** Runs `task` on every item, `concurrency` at a time; resolves to the results in order. */
  private async inChunks<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = [];
    for (let start = 0; start < items.length; start += this.concurrency) {
      results.push(...(await Promise.all(items.slice(start, start + this.concurrency).map(task))));
    }
    return results;
  }
}

/**
 * When a stored lease is next due: the next attempt once a revocation has failed (it is being
 * revoked, whatever its expiry), its expiry otherwise; 0 for never.
 */
function dueTime(record: LeaseRecord): number {
  return record.nextAttemptTime ?? record.expireTime;
}

function capped(expireTime: number, maxExpireTime: number): number {
  return maxExpireTime > 0 ? Math.min(expireTime, maxExpireTime) : expireTime;
}

/** Whether lease `id` is `prefix` itself or lies below it as a folder. */
function underPrefix(id: string, prefix: string): boolean {
  if (prefix === '' || id === prefix) return true;
  return id.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
