/**
 * TTL arithmetic for tokens, as Vault's token docs describe it (vault-api.md §4, "TTL" and
 * "Periodic"): the effective maximum is the smallest of the explicit max TTL, the role's max TTL
 * and the system maximum, measured from the token's creation; a periodic token renews to its
 * period with no maximum unless it has an explicit one. Pure functions over whole seconds and
 * millisecond instants.
 */
import { InvalidRequestError } from '../logical/errors.js';
import { formatDuration } from '../logical/durations.js';

export interface TtlInput {
  /** Milliseconds, cluster clock. */
  readonly now: number;
  /** When the token was created, milliseconds: maximums count from here. */
  readonly start: number;
  /** Seconds asked for (a creation `ttl` or a renewal `increment`); 0 for none. */
  readonly requested: number;
  /** Seconds used when nothing is asked for. */
  readonly fallback: number;
  readonly systemMax: number;
  /** The role's `token_max_ttl`; 0 for none. */
  readonly roleMax: number;
  readonly explicitMax: number;
  readonly period: number;
}

export interface TtlResult {
  /** Seconds; always more than 0. */
  readonly ttl: number;
  readonly warnings: string[];
}

/**
 * The TTL to grant. Throws `InvalidRequestError` (400) when the token is already past its
 * maximum life, so nothing can be granted.
 */
export function calculateTtl(input: TtlInput): TtlResult {
  const warnings: string[] = [];
  let maxTtl = input.systemMax;
  if (input.roleMax > 0 && input.roleMax < maxTtl) maxTtl = input.roleMax;
  if (input.explicitMax > 0 && input.explicitMax < maxTtl) maxTtl = input.explicitMax;

  let ttl: number;
  let limit: number | null;
  if (input.period > 0) {
    ttl = input.period;
    if (ttl > maxTtl) {
      warnings.push(
        `period of ${formatDuration(ttl)} exceeded the effective max_ttl of ` +
          `${formatDuration(maxTtl)}; period value is capped accordingly`,
      );
      ttl = maxTtl;
    }
    limit = input.explicitMax > 0 ? input.start + input.explicitMax * 1000 : null;
  } else {
    ttl = input.requested > 0 ? input.requested : input.fallback;
    limit = input.start + maxTtl * 1000;
  }

  if (limit !== null) {
    const left = Math.floor((limit - input.now) / 1000);
    if (left <= 0) throw new InvalidRequestError('past the max TTL, cannot renew');
    if (ttl > left) {
      warnings.push(
        `TTL of ${formatDuration(ttl)} exceeded the effective max_ttl of ` +
          `${formatDuration(left)}; TTL value is capped accordingly`,
      );
      ttl = left;
    }
  }
  return { ttl, warnings };
}

/**
 * `ttl` capped so the token does not outlive its parent's current expiry (`parentExpire`, 0 for
 * a parent that never expires): a child is revoked with its parent anyway, so this makes the
 * reported TTL the truth. A `ttl` of 0 (never expires) becomes the parent's remaining life.
 */
export function capToParent(ttl: number, now: number, parentExpire: number): number {
  if (parentExpire === 0) return ttl;
  const left = Math.max(1, Math.floor((parentExpire - now) / 1000));
  return ttl === 0 || ttl > left ? left : ttl;
}

/** Seconds left before `expireTime` (0 never expires), never negative; what lookups report. */
export function remainingSeconds(expireTime: number, now: number): number {
  if (expireTime === 0) return 0;
  return Math.max(0, Math.floor((expireTime - now) / 1000));
}
