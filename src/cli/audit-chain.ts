/**
 * Checking an audit log's hash chain offline. Each line of the file is one JSON object whose
 * `prev_hash` is the SHA-256 (hex) of the previous line's bytes, without its newline; the first
 * line chains from 64 zeros. A device's `prefix` option may precede a line's JSON, which starts
 * at the line's first `{`. A line edited, removed, inserted or reordered breaks the chain at the
 * line after it, which is what {@link verifyAuditChain} reports.
 *
 * The server's file device writes the chain (src/audit/chain.ts); this is the operator's copy of
 * the check, kept apart because the CLI reaches the server's code only through the API.
 */
import { createHash } from 'node:crypto';

/** What the first line's `prev_hash` holds. */
export const CHAIN_START = '0'.repeat(64);

export type ChainResult =
  | { readonly ok: true; readonly lines: number; readonly lastHash: string }
  | { readonly ok: false; readonly lines: number; readonly line: number; readonly reason: string };

/**
 * Verifies the chain over the bytes of a whole audit file. A final newline is allowed; an empty
 * file is a valid chain of no lines. Reports the first line (1-based) that breaks it, never the
 * line's content.
 */
export function verifyAuditChain(file: Buffer): ChainResult {
  const lines = splitLines(file);
  let previous = CHAIN_START;
  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    const fail = (reason: string): ChainResult => ({
      ok: false,
      lines: lines.length,
      line: number,
      reason,
    });
    const text = line.toString('utf8');
    let entry: unknown;
    try {
      entry = JSON.parse(text.slice(Math.max(0, text.indexOf('{'))));
    } catch {
      return fail('not a JSON object');
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return fail('not a JSON object');
    }
    const prevHash = (entry as Record<string, unknown>).prev_hash;
    if (typeof prevHash !== 'string') return fail('no prev_hash field');
    if (prevHash.toLowerCase() !== previous) {
      return fail(
        number === 1
          ? 'prev_hash is not the start of a chain (the log does not start here)'
          : `prev_hash does not match line ${number - 1}`,
      );
    }
    previous = sha256Hex(line);
  }
  return { ok: true, lines: lines.length, lastHash: previous };
}

/** The next line's `prev_hash` for a line of these bytes. */
export function chainHash(line: Buffer | string): string {
  return sha256Hex(typeof line === 'string' ? Buffer.from(line, 'utf8') : line);
}

function splitLines(file: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let at = file.indexOf(0x0a); at !== -1; at = file.indexOf(0x0a, start)) {
    lines.push(file.subarray(start, at));
    start = at + 1;
  }
  if (start < file.length) lines.push(file.subarray(start));
  return lines;
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
