/**
 * Durations as Vault reads and prints them. Vault takes a TTL either as a number of seconds or
 * as a Go duration string ("90s", "1h30m", "1.5h"), and prints durations with Go's
 * `time.Duration.String` ("0s", "1m30s", "1h0m0s").
 */
import { InvalidRequestError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/y;

/** The largest duration accepted, in seconds: Go's `time.Duration` tops out near 292 years. */
export const MAX_DURATION_SECONDS = 9_223_372_036;

/**
 * Whole seconds from a number of seconds, a string of digits, or a Go duration string; fractions
 * of a second are dropped. Throws `InvalidRequestError` naming `field` for anything else,
 * including negative and absurdly large values.
 */
export function parseDurationSeconds(value: unknown, field: string): number {
  let seconds: number;
  if (typeof value === 'number') {
    seconds = value;
  } else if (typeof value === 'string' && /^\d+$/.test(value)) {
    seconds = Number(value);
  } else if (typeof value === 'string' && value.length > 0) {
    seconds = parseGoDuration(value, field);
  } else {
    throw invalid(field);
  }
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_DURATION_SECONDS) {
    throw invalid(field);
  }
  return Math.floor(seconds);
}

function parseGoDuration(text: string, field: string): number {
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null || match.index !== start) throw invalid(field);
    total += Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
  }
  return total;
}

function invalid(field: string): InvalidRequestError {
  return new InvalidRequestError(`invalid duration for "${field}"`, { field });
}

/** `seconds` (whole, non-negative) the way Go prints a `time.Duration`: `0s`, `1m30s`, `2h0m0s`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}
