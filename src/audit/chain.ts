/**
 * The hash chain, Coffer's addition to Vault's audit file: every line carries, in `prev_hash`,
 * the SHA-256 (hex) of the bytes of the line before it (the whole line, prefix included, without
 * its newline). The first line of a file chains from {@link GENESIS_HASH}. Editing, deleting,
 * inserting or reordering any line but the last breaks the chain at a line a verifier can name.
 *
 * What it cannot show: lines cut off the end of the file (the remaining lines still chain), a file
 * replaced or removed as a whole, or a chain recomputed from some line on by whoever can write the
 * file (the hashes use no key). Keeping the last line's hash somewhere else closes those gaps.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** The field each line's predecessor hash is written in. */
export const CHAIN_FIELD = 'prev_hash';

/** What the first line of a file chains from. */
export const GENESIS_HASH = '0'.repeat(64);

const NEWLINE = 0x0a;

/** SHA-256 (hex) of one line's bytes, without the newline. */
export function lineHash(line: Uint8Array): string {
  return createHash('sha256').update(line).digest('hex');
}

export interface ChainVerification {
  /** True when every line parses and chains from the one before it. */
  readonly ok: boolean;
  /** How many lines the file holds (a final line without a newline counts). */
  readonly lines: number;
  /** 1-based number of the first line that does not verify. */
  readonly firstBadLine?: number;
  readonly reason?: string;
}

export interface VerifyOptions {
  /**
   * The device's `prefix` option, written before each line's JSON. Without it, a line's JSON is
   * taken to start at its first `{`.
   */
  readonly prefix?: string;
}

/** Checks the chain of a whole audit file's contents. */
export function verifyAuditChain(
  content: string | Uint8Array,
  options: VerifyOptions = {},
): ChainVerification {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  const lines = splitLines(bytes);
  let expected = GENESIS_HASH;

  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    const fail = (reason: string): ChainVerification => ({
      ok: false,
      lines: lines.length,
      firstBadLine: number,
      reason,
    });

    const claimed = chainField(line, options.prefix);
    if (typeof claimed !== 'string') return fail(claimed.problem);
    if (claimed !== expected) {
      return fail(`${CHAIN_FIELD} does not match the hash of the line before`);
    }
    expected = lineHash(line);
  }
  return { ok: true, lines: lines.length };
}

/** Reads the file at `path` and checks its chain. Rejects when the file cannot be read. */
export async function verifyAuditFile(
  path: string,
  options: VerifyOptions = {},
): Promise<ChainVerification> {
  return verifyAuditChain(await readFile(path), options);
}

/** The lines of `bytes`, without newlines; a trailing newline does not start another line. */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end === -1) {
      lines.push(bytes.subarray(start));
      break;
    }
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

/** The `prev_hash` a line claims, or why it has none. */
function chainField(line: Buffer, prefix: string | undefined): string | { problem: string } {
  const text = line.toString('utf8');
  let json: string;
  if (prefix !== undefined) {
    if (!text.startsWith(prefix)) return { problem: 'line does not start with the prefix' };
    json = text.slice(prefix.length);
  } else {
    const brace = text.indexOf('{');
    if (brace === -1) return { problem: 'line holds no JSON object' };
    json = text.slice(brace);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { problem: 'line is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { problem: 'line is not a JSON object' };
  }
  const claimed = (parsed as Record<string, unknown>)[CHAIN_FIELD];
  if (typeof claimed !== 'string') return { problem: `line has no ${CHAIN_FIELD}` };
  return claimed;
}
