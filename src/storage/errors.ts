/**
 * The errors raft storage throws. Each has a stable `code`; none of them is a client's fault, so
 * the HTTP layer maps all of them to 500. Bad input from the driver (entries that leave a gap,
 * a snapshot older than the one stored) is a bug and throws `InvariantError` from src/util instead.
 */

/** What a {@link CorruptStorageError} points at: the place an operator would look first. */
export interface CorruptionSite {
  /** The storage's data directory (or `memory` for the in-memory twin). */
  dir: string;
  /** The log index of the damaged or missing entry, when one is known. */
  index?: number;
  /** The damaged or missing file, relative to `dir`, when one is known. */
  file?: string;
}

/** The way out, spelled the same in every message so operators (and runbooks) can grep for it. */
export const CORRUPTION_REMEDY = "wipe this node's data directory and rejoin it to the cluster";

/**
 * Thrown by `open()`/`load()` (and by snapshot reads) when stored data fails a checksum, an entry
 * is missing or unreadable, or LevelDB reports or silently repaired damage. The node must stop: it
 * can neither serve nor vote on a log it cannot trust. Once thrown at open, the storage leaves a
 * `CORRUPT` marker in its directory so that a restart keeps refusing until the directory is wiped.
 */
export class CorruptStorageError extends Error {
  readonly code = 'storage_corrupt';
  readonly dir: string;
  readonly index: number | undefined;
  readonly file: string | undefined;

  constructor(site: CorruptionSite, detail: string, options?: { cause?: unknown }) {
    super(CorruptStorageError.describe(site, detail), options);
    this.name = 'CorruptStorageError';
    this.dir = site.dir;
    this.index = site.index;
    this.file = site.file;
  }

  private static describe(site: CorruptionSite, detail: string): string {
    const where = [
      site.index === undefined ? null : `index ${site.index}`,
      site.file === undefined ? null : `file ${site.file}`,
    ].filter((part) => part !== null);
    const at = where.length > 0 ? ` (${where.join(', ')})` : '';
    return `raft storage in ${site.dir} is corrupt: ${detail}${at}; ${CORRUPTION_REMEDY}`;
  }
}

/** Thrown by every call made after `close()` began. */
export class StorageClosedError extends Error {
  readonly code = 'storage_closed';

  constructor(readonly dir: string) {
    super(`raft storage in ${dir} is closed`);
    this.name = 'StorageClosedError';
  }
}

/**
 * Thrown by every call after a write failed (disk full, I/O error). What reached the disk is
 * unknown, so the storage refuses further work; the node must stop and reopen it, which verifies
 * what is there. `cause` holds the original failure.
 */
export class StorageFailedError extends Error {
  readonly code = 'storage_failed';

  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(`raft storage in ${dir} failed a write and must be reopened`, { cause });
    this.name = 'StorageFailedError';
  }
}
