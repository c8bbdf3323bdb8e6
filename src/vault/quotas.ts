/**
 * Rate limit quotas (`sys/quotas/rate-limit/:name`): each client address gets `rate` requests
 * per `interval` on the paths a quota covers, after which it is answered 429 with `Retry-After`
 * (and, with `block_interval`, refused for that long). A quota with an empty path covers every
 * path; otherwise it covers the paths below its own, and the most specific quota applies.
 *
 * The quotas are stored with the core's tables (one JSON record, `core/quotas`, changed
 * conditionally like the mount table) and every node loads them. Counting is per node, like
 * Vault's: each request is counted once, by the node that serves it (a follower forwards what
 * it does not serve). The health, seal-status and unseal endpoints are never limited, since they
 * are answered before the quota check.
 */
import { InvalidRequestError, RateLimitedError } from '../logical/errors.js';
import { decodeJson, type Storage } from '../logical/storage.js';
import { CoreStateCorruptError } from './errors.js';

/** Where the quotas are stored, relative to the `core/` view. */
export const QUOTAS_PATH = 'quotas';

export interface RateLimitQuota {
  readonly name: string;
  /** The path prefix it covers (`secret/`, `secret/data/app`), or '' for every path. */
  readonly path: string;
  /** Requests allowed per interval, per client address. */
  readonly rate: number;
  readonly intervalSeconds: number;
  /** How long a client that went over is refused; 0 for just until it is under again. */
  readonly blockIntervalSeconds: number;
}

export interface QuotaTable {
  readonly version: 1;
  readonly rateLimits: readonly RateLimitQuota[];
  /** Paths never limited, besides the built-in exemptions. */
  readonly exemptPaths: readonly string[];
}

export const EMPTY_QUOTAS: QuotaTable = { version: 1, rateLimits: [], exemptPaths: [] };

/** The stored quotas and their bytes (for a conditional replacement); empty when none. */
export async function readQuotaTable(
  core: Storage,
): Promise<{ table: QuotaTable; bytes: Uint8Array | undefined }> {
  const bytes = await core.get(QUOTAS_PATH);
  if (bytes === undefined) return { table: EMPTY_QUOTAS, bytes };
  try {
    const table = decodeJson<QuotaTable>(bytes);
    if (table.version !== 1 || !Array.isArray(table.rateLimits)) throw new Error('unknown format');
    return { table, bytes };
  } catch (cause) {
    throw new CoreStateCorruptError(`core/${QUOTAS_PATH}`, { cause });
  }
}

/** Checks a quota's fields; throws `InvalidRequestError` (400) for what Vault refuses. */
export function validateQuota(quota: RateLimitQuota): void {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(quota.name)) {
    throw new InvalidRequestError(`invalid quota name "${quota.name}"`);
  }
  if (!(quota.rate > 0) || !Number.isFinite(quota.rate)) {
    throw new InvalidRequestError('"rate" must be a positive number');
  }
  if (quota.intervalSeconds <= 0) throw new InvalidRequestError('"interval" must be positive');
  if (quota.path.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new InvalidRequestError(`invalid quota path "${quota.path}"`);
  }
}

interface Bucket {
  tokens: number;
  /** Monotonic milliseconds of the last refill. */
  refilledAt: number;
  /** Monotonic milliseconds until which the client is refused; 0 when not blocked. */
  blockedUntil: number;
}

/** The most client buckets kept; beyond it, the longest idle ones are dropped. */
const MAX_BUCKETS = 100_000;

/** Applies the quotas to requests; its counters survive reloads of the table. */
export class RateLimiter {
  private table: QuotaTable = EMPTY_QUOTAS;
  /** `<quota name>\0<client address>` → bucket, in least recently used order. */
  private readonly buckets = new Map<string, Bucket>();

  /** @param monotonic milliseconds that only move forward (`performance.now`) */
  constructor(private readonly monotonic: () => number = () => performance.now()) {}

  /** Installs a (re)loaded table; counters of quotas that still exist are kept. */
  setTable(table: QuotaTable): void {
    this.table = table;
    const names = new Set(table.rateLimits.map((quota) => quota.name));
    for (const key of this.buckets.keys()) {
      if (!names.has(key.slice(0, key.indexOf('\0')))) this.buckets.delete(key);
    }
  }

  /**
   * Counts a request from `client` on `path`; throws `RateLimitedError` (429, with the seconds
   * after which to retry) when the quota that covers it is used up.
   */
  check(path: string, client: string): void {
    if (this.table.rateLimits.length === 0) return;
    if (this.table.exemptPaths.some((exempt) => path.startsWith(exempt))) return;
    const quota = this.quotaFor(path);
    if (quota === null) return;

    const now = this.monotonic();
    const key = `${quota.name}\0${client}`;
    const bucket = this.buckets.get(key) ?? { tokens: quota.rate, refilledAt: now, blockedUntil: 0 };
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_BUCKETS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }

    if (bucket.blockedUntil > now) throw limited(path, (bucket.blockedUntil - now) / 1000);
    const perMs = quota.rate / (quota.intervalSeconds * 1000);
    bucket.tokens = Math.min(quota.rate, bucket.tokens + (now - bucket.refilledAt) * perMs);
    bucket.refilledAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    if (quota.blockIntervalSeconds > 0) {
      bucket.blockedUntil = now + quota.blockIntervalSeconds * 1000;
      throw limited(path, quota.blockIntervalSeconds);
    }
    throw limited(path, (1 - bucket.tokens) / perMs / 1000);
  }

  /** The quota with the longest path that covers `path`, or null. */
  private quotaFor(path: string): RateLimitQuota | null {
    let best: RateLimitQuota | null = null;
    for (const quota of this.table.rateLimits) {
      if (!path.startsWith(quota.path)) continue;
      if (best === null || quota.path.length > best.path.length) best = quota;
    }
    return best;
  }
}

function limited(path: string, seconds: number): RateLimitedError {
  return new RateLimitedError(
    `request path "${path}": rate limit quota exceeded`,
    Math.max(1, Math.ceil(seconds)),
  );
}
