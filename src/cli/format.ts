/**
 * Text shapes for people, as Vault's CLI prints them: columns separated by four spaces with a
 * dashed rule under the header, empty cells as `n/a`, missing values as `<nil>`, lists as
 * `[a b]`, maps as `map[k:v]`, durations as Go prints them without trailing zero units
 * (`768h`, `1m30s`), and section headers centred in equal signs over the table below them.
 */

/** The gap between columns. */
const GLUE = '    ';

/**
 * Aligns `rows` under `header` in columns. A cell that is the empty string prints as `n/a`;
 * trailing spaces are trimmed from every line. Returns the lines joined, ending with a newline.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const rule = header.map((name) => '-'.repeat(name.length));
  const all = [header, rule, ...rows].map((row) => row.map((cell) => (cell === '' ? 'n/a' : cell)));
  const widths = header.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)),
  );
  const lines = all.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join(GLUE)
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

/** A Key/Value table of `entries` in the order given. */
export function keyValueTable(entries: readonly (readonly [string, unknown])[]): string {
  return table(
    ['Key', 'Value'],
    entries.map(([key, value]) => [key, formatValue(value)]),
  );
}

/** One value as a table cell. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `map[${entries.map(([key, item]) => `${key}:${formatValue(item)}`).join(' ')}]`;
  }
  return String(value);
}

/**
 * Seconds as Go's `time.Duration` prints them, with zero trailing units dropped the way Vault
 * shows TTLs: 2764800 → `768h`, 3660 → `1h1m`, 90 → `1m30s`, 0 → `0s`.
 */
export function humanDuration(seconds: number): string {
  const whole = Math.max(0, Math.trunc(seconds));
  if (whole === 0) return '0s';
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  let text = '';
  if (hours > 0) text += `${hours}h`;
  if (hours > 0 || minutes > 0) text += `${minutes}m`;
  text += `${secs}s`;
  if (text.endsWith('m0s')) text = text.slice(0, -2);
  if (text.endsWith('h0m')) text = text.slice(0, -2);
  return text;
}

/** `== Title ==` padded with equal signs to about `width` characters, at least two a side. */
export function sectionHeader(title: string, width: number): string {
  const padding = Math.max(2, Math.floor((width - title.length - 2) / 2));
  const bar = '='.repeat(padding);
  return `${bar} ${title} ${bar}`;
}

/** Object keys in Go's map order (sorted by bytes), as Vault's tables and JSON print maps. */
export function sortedEntries(object: Readonly<Record<string, unknown>>): [string, unknown][] {
  return Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Rows aligned in columns with no header, as Vault prints `Label    value` summaries. */
export function columns(rows: readonly (readonly string[])[]): string {
  const lines = table(['', ''], rows).split('\n').slice(2);
  return lines.join('\n');
}
