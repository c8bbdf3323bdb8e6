/**
 * Parsers for the value notations Vault accepts in its configuration: booleans written as words
 * or numbers, durations as Go duration strings or seconds, sizes as byte counts or with units,
 * and `host:port` addresses. Each returns `undefined` for a value it does not accept, so the
 * caller can report it against the right key and line.
 */

/** Go's `strconv.ParseBool` words, which Vault accepts wherever it takes a boolean. */
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  '1': true,
  t: true,
  T: true,
  true: true,
  TRUE: true,
  True: true,
  '0': false,
  f: false,
  F: false,
  false: false,
  FALSE: false,
  False: false,
};

/** Reads `true`, `false`, `1`, `0`, or one of Go's boolean words as a string. */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') return BOOLEAN_WORDS[value];
  return undefined;
}

/** Reads a safe integer, written as a number or as a string of digits. */
export function parseInteger(value: unknown): number | undefined {
  const parsed = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof parsed === 'number' && Number.isSafeInteger(parsed) ? parsed : undefined;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Reads a duration as Vault does and returns milliseconds: a number or a string of digits is a
 * count of seconds; otherwise a Go duration such as `"1h30m"` or `"250ms"`, plus `d` for days
 * (`"30d"`). Negative durations are not accepted.
 */
export function parseDuration(value: unknown): number | undefined {
  const seconds = parseInteger(value);
  if (seconds !== undefined) return seconds >= 0 ? seconds * 1000 : undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    return Math.round(value * 1000);
  }
  if (typeof value !== 'string' || !/^(?:\d+(?:\.\d*)?[a-zµμ]+)+$/.test(value)) return undefined;

  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d*)?)([a-zµμ]+)/g)) {
    const scale = DURATION_UNITS_MS[unit];
    if (scale === undefined) return undefined;
    total += Number(amount) * scale;
  }
  return Number.isSafeInteger(Math.round(total)) ? Math.round(total) : undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Reads a size in bytes: an integer (negative allowed, for Vault's "no limit" settings), or a
 * string such as `"32MiB"`, `"512 KiB"` or `"1GB"` (KB, MB, GB and TB are powers of 1000,
 * KiB, MiB, GiB and TiB powers of 1024; units are case-insensitive). The result is an integer.
 */
export function parseSize(value: unknown): number | undefined {
  const count = parseInteger(value);
  if (count !== undefined) return count;
  if (typeof value !== 'string') return undefined;

  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const scale = match === null ? undefined : SIZE_UNITS[match[2].toLowerCase()];
  if (match === null || scale === undefined) return undefined;
  const bytes = Number(match[1]) * scale;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A parsed `host:port`. */
export interface HostPort {
  /** The host without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
}

/** Reads `host:port` or `[ipv6]:port`; the port may be 0 (the OS chooses). */
export function parseHostPort(value: unknown): HostPort | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(value);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65_535) return undefined;
  return { host: match[1] ?? match[2], port };
}

/** Formats a host and port back into `host:port`, bracketing IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Whether a listener host binds every interface. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * Reads an absolute URL whose scheme is one of `schemes` (without the colon) and which has a
 * host; returns it as written, without a trailing slash.
 */
export function parseUrl(value: unknown, schemes: readonly string[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!schemes.includes(url.protocol.slice(0, -1)) || url.hostname === '') return undefined;
  return value.replace(/\/+$/, '');
}

/**
 * Suggests the candidate closest to a mistyped `key`: one it is a prefix or an extension of, or
 * one within a small edit distance. Returns `undefined` when nothing is close.
 */
export function suggestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const related = key.length >= 3 && (candidate.startsWith(key) || key.startsWith(candidate));
    const distance = editDistance(key, candidate);
    const close = distance <= Math.max(2, Math.floor(key.length / 4));
    const score = related ? distance - 100 : distance;
    if ((related || close) && score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** Levenshtein distance with one row of memory. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
