/**
 * Checks that catch damage LevelDB would otherwise hide. Measured on classic-level 3 (LevelDB
 * 1.20), which exposes neither `paranoid_checks` nor read-time `verify_checksums`:
 *
 * - A record in a `.log` file that fails its checksum is skipped at open, together with the rest
 *   of the file; the open succeeds, the dropped writes are gone for good (the survivors are moved
 *   into a table), and the only trace is a line in LevelDB's `LOG` file ("dropping N bytes").
 *   {@link scanLevelLog} reads that line.
 * - A `.log` file cut short is read as if the last write had been torn by a crash: no error, no
 *   `LOG` line. After a clean close the {@link writeCleanMark clean-close mark} knows how many
 *   writes there were, and the next open checks they are all there. After a crash, a cut at the
 *   tail cannot be told from a torn write, which was never acknowledged.
 * - A flipped byte in a compressed table block fails at read with `LEVEL_CORRUPTION`; in an
 *   uncompressed block (incompressible data) it is read back as is, and the record's own CRC
 *   catches it; damage to a block's layout can make LevelDB skip keys, which the log verifier
 *   reports as missing entries. Some bytes are dead and damage there is harmless: superseded
 *   versions of the state record, block trailers (not verified on read), footer padding.
 *   A damaged `MANIFEST` or `CURRENT` fails the open.
 * - Without `CURRENT`, LevelDB silently creates an empty database: {@link checkLevelFiles}.
 *
 * Once open finds damage it leaves a `CORRUPT` mark, so that a restart refuses too, even though
 * LevelDB has by then repaired away the evidence.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { CorruptStorageError } from './errors.js';
import type { CorruptionSite } from './errors.js';
import { listIfExists, readIfExists, removeDurably, writeFileDurably } from './durable-file.js';
import type { LogState } from './record-codec.js';
import { openValue, RecordError, sealValue } from './record-codec.js';

/** Subdirectory holding the LevelDB database. */
export const LOG_DIR = 'log';
/** Subdirectory holding snapshot files. */
export const SNAPSHOT_DIR = 'snapshots';
/** Written at a clean close: what the log held then. */
export const CLEAN_MARK = 'clean-close';
/** Written when damage was found; present means the storage refuses to open. */
export const CORRUPT_MARK = 'CORRUPT';

const CLEAN_MARK_KEY = new TextEncoder().encode(CLEAN_MARK);
/**
 * LevelDB files that hold data. A crash while LevelDB creates a database can leave a MANIFEST
 * without CURRENT, which is harmless (the next open starts over); a write-ahead log or a table
 * without CURRENT is not.
 */
const LEVEL_DATA_FILE = /\.(log|ldb|sst)$/;
/**
 * Lines LevelDB writes to its `LOG` file when it skips damaged data at recovery, or when a read
 * or a background compaction meets damage. I/O errors (a full disk) are not damage.
 */
const DAMAGE_LINE = /dropping \d+ bytes|ignoring error|Corruption: /i;

/** @throws CorruptStorageError if an earlier open found damage in `dir`. */
export async function checkCorruptMark(dir: string): Promise<void> {
  const mark = await readIfExists(path.join(dir, CORRUPT_MARK));
  if (mark === null) return;
  const reason = new TextDecoder().decode(mark).trim();
  throw new CorruptStorageError(
    { dir, file: CORRUPT_MARK },
    `damage was found before and the storage refuses to open (${reason})`,
  );
}

/** Records `err` in a `CORRUPT` mark. Best effort: the error is thrown either way. */
export async function writeCorruptMark(dir: string, err: CorruptStorageError): Promise<void> {
  const text = `${new Date().toISOString()} ${err.message}\n`;
  await writeFileDurably(path.join(dir, CORRUPT_MARK), new TextEncoder().encode(text)).catch(
    () => undefined,
  );
}

/**
 * Checks, before LevelDB opens, that it will not silently start an empty database over lost
 * data: `CURRENT` must exist when data files do, and the database must exist when snapshots or a
 * clean-close mark say the storage was used.
 * @throws CorruptStorageError
 */
export async function checkLevelFiles(dir: string): Promise<void> {
  const logFiles = await listIfExists(path.join(dir, LOG_DIR));
  const hasCurrent = logFiles.includes('CURRENT');
  const dataFiles = logFiles.filter((name) => LEVEL_DATA_FILE.test(name));
  if (!hasCurrent && dataFiles.length > 0) {
    throw new CorruptStorageError(
      { dir, file: `${LOG_DIR}/CURRENT` },
      'the log database has data files but no CURRENT file',
    );
  }
  if (hasCurrent) return;
  const snapshots = (await listIfExists(path.join(dir, SNAPSHOT_DIR))).filter((name) =>
    name.endsWith('.snap'),
  );
  const clean = await readIfExists(path.join(dir, CLEAN_MARK));
  if (snapshots.length > 0 || clean !== null) {
    throw new CorruptStorageError(
      { dir, file: LOG_DIR },
      'the log database is missing but snapshots or a clean-close mark remain',
    );
  }
}

/**
 * Reads LevelDB's info logs (`LOG` of this open, `LOG.old` of the one before, in case it crashed
 * before this check ran) for lines that report skipped or damaged data.
 * @throws CorruptStorageError naming the damaged file when LevelDB names one.
 */
export async function scanLevelLog(dir: string): Promise<void> {
  for (const name of ['LOG', 'LOG.old']) {
    const text = await readIfExists(path.join(dir, LOG_DIR, name));
    if (text === null) continue;
    const line = new TextDecoder().decode(text).split('\n').find((l) => DAMAGE_LINE.test(l));
    if (line === undefined) continue;
    const file = /(\d+\.(?:log|ldb|sst))\b/.exec(line)?.[1] ?? name;
    const said = line.replace(/^\S+ \S+ /, '').trim();
    throw new CorruptStorageError(
      { dir, file: `${LOG_DIR}/${file}` },
      `LevelDB reported damage while opening and may have dropped writes: "${said}"`,
    );
  }
}

/** Records what the log holds at a clean close. */
export async function writeCleanMark(dir: string, state: LogState): Promise<void> {
  await writeFileDurably(path.join(dir, CLEAN_MARK), sealValue(CLEAN_MARK_KEY, state));
}

/**
 * Checks the log against the clean-close mark, if there is one, then deletes the mark: from now
 * on writes move the log past it, and a crash leaves no mark.
 * @throws CorruptStorageError if the mark is damaged or the log lost writes it records.
 */
export async function consumeCleanMark(dir: string, found: LogState): Promise<void> {
  const file = path.join(dir, CLEAN_MARK);
  const sealed = await readIfExists(file);
  if (sealed === null) return;
  const site: CorruptionSite = { dir, file: CLEAN_MARK };
  let mark: LogState;
  try {
    mark = openValue(CLEAN_MARK_KEY, sealed) as LogState;
  } catch (err) {
    if (err instanceof RecordError) {
      throw new CorruptStorageError(site, `clean-close mark: ${err.message}`);
    }
    throw err;
  }
  if (!sameState(mark, found)) {
    throw new CorruptStorageError(
      { ...site, index: found.lastIndex },
      `the log lost writes made before the last clean close: it was closed after write ` +
        `${mark.seq} with last index ${mark.lastIndex}, and now ends at write ${found.seq} ` +
        `with last index ${found.lastIndex}`,
    );
  }
  await removeDurably(file);
}

/** Deletes snapshot files other than `keep`, and temp files: leftovers of interrupted writes. */
export async function removeStrayFiles(
  snapshotDir: string,
  keep: string | null,
): Promise<string[]> {
  const stray = (await listIfExists(snapshotDir)).filter((name) => name !== keep);
  for (const name of stray) await fs.rm(path.join(snapshotDir, name), { force: true });
  return stray;
}

function sameState(a: LogState, b: LogState): boolean {
  return (
    a.seq === b.seq &&
    a.lastIndex === b.lastIndex &&
    a.snapshotIndex === b.snapshotIndex &&
    a.snapshotTerm === b.snapshotTerm &&
    a.snapshotFile === b.snapshotFile &&
    a.hardState?.term === b.hardState.term &&
    a.hardState?.vote === b.hardState.vote &&
    a.hardState?.commit === b.hardState.commit
  );
}
