/**
 * {@link RaftStorage} on classic-level (LevelDB) for entries and hard state, and on plain files for
 * snapshots. Directory layout (directories 0700, files 0600):
 *
 *     <dir>/log/          the LevelDB database: a state record and one record per entry
 *     <dir>/snapshots/    the newest snapshot file (see snapshot-file.ts)
 *     <dir>/clean-close   present only while closed cleanly (see level-safeguards.ts)
 *     <dir>/CORRUPT       present once damage was found: the storage refuses to open
 *
 * Every write goes through a {@link GroupCommitter}: saves that queue up behind a write in flight
 * become one LevelDB batch, synced if any of them asked. A compaction writes its snapshot file
 * before it joins the queue, so that a large file does not hold saves back; its group only renames
 * the file into place.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { PersistedState, Snapshot } from '../raft/core/types.js';
import { silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import {
  ensurePrivateDir,
  isMissing,
  listIfExists,
  removeIfExists,
  restrictModes,
  syncDir,
} from './durable-file.js';
import { CorruptStorageError, StorageClosedError, StorageFailedError } from './errors.js';
import { GroupCommitter } from './group-commit.js';
import type { GroupCommitStats } from './group-commit.js';
import {
  checkCorruptMark,
  checkLevelFiles,
  CLEAN_MARK,
  CORRUPT_MARK,
  consumeCleanMark,
  LOG_DIR,
  removeStrayFiles,
  scanLevelLog,
  SNAPSHOT_DIR,
  writeCleanMark,
  writeCorruptMark,
} from './level-safeguards.js';
import { emptyView, planCompact, planSave } from './log-plan.js';
import type { LogView, WritePlan } from './log-plan.js';
import { LogVerifier } from './log-verifier.js';
import type { VerifiedLog } from './log-verifier.js';
import { DEFAULT_SNAPSHOT_CHUNK_SIZE, INITIAL_HARD_STATE } from './raft-storage.js';
import type { RaftStorage, SaveBatch, SnapshotReader } from './raft-storage.js';
import { encodeEntry, encodeState, entryKey, STATE_KEY } from './record-codec.js';
import type { LogState } from './record-codec.js';
import {
  openSnapshotFile,
  publishSnapshotFile,
  readSnapshotFile,
  stageSnapshotFile,
  writeSnapshotFile,
} from './snapshot-file.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;

export interface LevelRaftStorageOptions {
  /** The storage's own directory; created (0700) if missing. */
  dir: string;
  logger?: Logger;
  /** Size of snapshot file chunks; defaults to 1 MiB. */
  snapshotChunkSize?: number;
}

/** Durable raft storage; see the module comment and {@link RaftStorage} for the contract. */
export class LevelRaftStorage implements RaftStorage {
  private readonly committer: GroupCommitter<WritePlan>;
  private readonly snapshotDir: string;
  /** The state once every accepted call is written: what new calls are planned against. */
  private view: LogView;
  /** The state of the last write that completed. */
  private durable: LogState;
  /** What open() verified, handed to the first load() if nothing was written since. */
  private opened: PersistedState | null;
  /** Snapshot reads in progress; old snapshot files are kept while any runs. */
  private snapshotReads = 0;
  private staleSnapshots: string[] = [];
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly dir: string,
    private readonly db: Db,
    private readonly log: Logger,
    private readonly chunkSize: number,
    verified: PersistedState,
    state: LogState,
  ) {
    this.snapshotDir = path.join(dir, SNAPSHOT_DIR);
    this.view = { state, terms: verified.entries.map((e) => e.term) };
    this.durable = state;
    this.opened = verified;
    this.committer = new GroupCommitter(
      (plans, sync) => this.write(plans, sync),
      (cause) => new StorageFailedError(dir, cause),
    );
  }

  /**
   * Opens (or creates) the storage in `options.dir` and verifies everything in it, as `load()`
   * does, plus the checks of level-safeguards.ts.
   * @throws CorruptStorageError if anything fails verification; a `CORRUPT` mark is left behind.
   */
  static async open(options: LevelRaftStorageOptions): Promise<LevelRaftStorage> {
    const dir = path.resolve(options.dir);
    const log = options.logger ?? silentLogger;
    const chunkSize = options.snapshotChunkSize ?? DEFAULT_SNAPSHOT_CHUNK_SIZE;
    await ensurePrivateDir(dir);
    await checkCorruptMark(dir);

    let db: Db | null = null;
    try {
      await checkLevelFiles(dir);
      await ensurePrivateDir(path.join(dir, LOG_DIR));
      await ensurePrivateDir(path.join(dir, SNAPSHOT_DIR));
      db = await openLevel(dir);
      await scanLevelLog(dir);
      await restrictOwnModes(dir);

      const verified = await readVerified(dir, db);
      const state = verified.state ?? emptyView(INITIAL_HARD_STATE).state;
      await consumeCleanMark(dir, state);
      const stray = await removeStrayFiles(path.join(dir, SNAPSHOT_DIR), state.snapshotFile);
      if (stray.length > 0) log.warn({ dir, files: stray }, 'removed stray snapshot files');

      log.info(
        { dir, lastIndex: state.lastIndex, snapshotIndex: state.snapshotIndex },
        'opened raft storage',
      );
      return new LevelRaftStorage(dir, db, log, chunkSize, verified.persisted, state);
    } catch (err) {
      await db?.close().catch(() => undefined);
      if (err instanceof CorruptStorageError) {
        log.error({ dir, index: err.index, file: err.file, err }, 'raft storage is corrupt');
        await writeCorruptMark(dir, err);
      }
      throw err;
    }
  }

  /** Write counters: compare `groups` with `items` to see group commit at work. */
  get stats(): Readonly<GroupCommitStats> {
    return { ...this.committer.stats };
  }

  async load(): Promise<PersistedState> {
    this.checkUsable();
    await this.committer.idle();
    this.checkUsable();
    if (this.opened !== null) {
      const opened = this.opened;
      this.opened = null;
      return opened;
    }
    this.snapshotReads++;
    try {
      return (await readVerified(this.dir, this.db)).persisted;
    } finally {
      this.snapshotReads--;
    }
  }

  save(batch: SaveBatch, sync: boolean): Promise<void> {
    try {
      this.checkUsable();
      const plan = planSave(this.view, batch, sync);
      this.opened = null;
      return this.committer.submit(plan);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Compacts the log behind `snapshot`. Its file is written and synced first, outside the group
   * committer, so saves of later entries go on meanwhile; the compaction is then planned against
   * the log as it is by then, and its group only renames the file into place before the batch
   * that names it.
   */
  async compact(snapshot: Snapshot): Promise<void> {
    this.checkUsable();
    const { index } = snapshot.meta;
    if (index <= this.view.state.snapshotIndex) {
      this.log.debug({ index }, 'ignored compaction to an older snapshot');
      return;
    }
    const staged = await stageSnapshotFile(
      this.snapshotDir,
      `staged-${index}-${randomBytes(4).toString('hex')}`,
      snapshot,
      this.chunkSize,
    );
    let renamed = false;
    try {
      this.checkUsable();
      // Another compaction or an installed snapshot may have moved past this one meanwhile.
      const plan = planCompact(this.view, snapshot);
      if (plan === null) {
        this.log.debug({ index }, 'ignored compaction to an older snapshot');
        return;
      }
      this.opened = null;
      await this.committer.submit({ ...plan, staged });
      renamed = true;
    } finally {
      // A failed group may have renamed it already; then this removes nothing.
      if (!renamed) await fs.rm(path.join(this.snapshotDir, staged), { force: true });
    }
  }

  async openSnapshot(): Promise<SnapshotReader | null> {
    this.checkUsable();
    const { snapshotFile, snapshotIndex } = this.durable;
    if (snapshotFile === null) return null;
    this.snapshotReads++;
    try {
      const site = { dir: this.dir, index: snapshotIndex, file: `${SNAPSHOT_DIR}/${snapshotFile}` };
      return await openSnapshotFile(this.snapshotDir, snapshotFile, site);
    } finally {
      this.snapshotReads--;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.committer.idle();
    await this.db.close();
    if (this.committer.failed === null) {
      await writeCleanMark(this.dir, this.durable);
      await restrictOwnModes(this.dir);
    }
    this.log.info({ dir: this.dir, lastIndex: this.durable.lastIndex }, 'closed raft storage');
  }

  private checkUsable(): void {
    if (this.closing !== null) throw new StorageClosedError(this.dir);
    if (this.committer.failed !== null) throw this.committer.failed;
  }

  /** Writes one group: snapshot files first, then one LevelDB batch, then old snapshots go. */
  private async write(plans: WritePlan[], sync: boolean): Promise<void> {
    for (const plan of plans) {
      if (plan.snapshot !== null) {
        const name = plan.state.snapshotFile!;
        if (plan.staged === undefined) {
          await writeSnapshotFile(this.snapshotDir, name, plan.snapshot, this.chunkSize);
        } else {
          await publishSnapshotFile(this.snapshotDir, plan.staged, name);
        }
      }
    }

    // A chained batch: abstract-level's array form copies and re-validates every operation in
    // JavaScript, which cost about four times as much CPU per entry (cluster/bench/raft-cpu.ts).
    // write() closes the batch, whatever its outcome; close() releases it if encoding throws.
    const batch = this.db.batch();
    const last = plans[plans.length - 1]!;
    try {
      for (const plan of plans) {
        for (const [from, to] of plan.deletes) {
          for (let i = from; i <= to; i++) batch.del(entryKey(i));
        }
        for (const e of plan.puts) batch.put(entryKey(e.index), encodeEntry(e));
      }
      batch.put(STATE_KEY, encodeState(last.state));
    } catch (err) {
      await batch.close();
      throw err;
    }
    await batch.write({ sync });
    this.durable = last.state;

    for (const plan of plans) {
      if (plan.obsoleteSnapshot !== null) this.staleSnapshots.push(plan.obsoleteSnapshot);
    }
    if (plans.some((p) => p.snapshot !== null)) await this.tidyAfterSnapshot();
  }

  /**
   * Deletes snapshot files the durable state no longer names (unless a read is under way; then
   * the next snapshot, or the next open, deletes them) and narrows the modes of files LevelDB
   * created since the last sweep. Failures here lose nothing, so they are only logged.
   */
  private async tidyAfterSnapshot(): Promise<void> {
    try {
      if (this.snapshotReads === 0 && this.staleSnapshots.length > 0) {
        const stale = this.staleSnapshots;
        this.staleSnapshots = [];
        for (const name of stale) await removeIfExists(path.join(this.snapshotDir, name));
        await syncDir(this.snapshotDir);
      }
      await restrictOwnModes(this.dir);
    } catch (err) {
      this.log.warn({ dir: this.dir, err }, 'failed to tidy after a snapshot');
    }
  }
}

/**
 * Narrows the modes of what this storage owns in `dir`: the directory itself, `log/` and
 * `snapshots/` with everything in them, and its mark files. Nothing else in `dir` is touched.
 */
async function restrictOwnModes(dir: string): Promise<void> {
  await ensurePrivateDir(dir);
  for (const name of [LOG_DIR, SNAPSHOT_DIR, CLEAN_MARK, CORRUPT_MARK]) {
    await restrictModes(path.join(dir, name)).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
  }
}

/** Opens LevelDB, turning its reports of damage into {@link CorruptStorageError}. */
async function openLevel(dir: string): Promise<Db> {
  const db: Db = new ClassicLevel(path.join(dir, LOG_DIR), {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause ?? err;
    if (isLevelDamage(cause)) {
      const site = { dir, file: LOG_DIR };
      throw new CorruptStorageError(site, 'LevelDB cannot open the log database', { cause });
    }
    throw err;
  }
  return db;
}

/** Reads every record and the snapshot, verifying all of it. */
async function readVerified(
  dir: string,
  db: Db,
): Promise<VerifiedLog & { persisted: PersistedState }> {
  const verifier = new LogVerifier(dir);
  const iterator = db.iterator({ fillCache: false });
  try {
    for (;;) {
      const records = await iterator.nextv(1024);
      if (records.length === 0) break;
      for (const [key, value] of records) verifier.add(key, value);
    }
  } catch (err) {
    if (!isLevelDamage(err)) throw err;
    const at = verifier.position;
    throw new CorruptStorageError(
      { dir, index: at > 0 ? at : undefined, file: LOG_DIR },
      `LevelDB cannot read the log: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    await iterator.close();
  }
  const log = verifier.finish();
  const { state, entries } = log;
  if (state === null) {
    const files = await listIfExists(path.join(dir, SNAPSHOT_DIR));
    if (files.some((name) => name.endsWith('.snap'))) {
      throw new CorruptStorageError(
        { dir, file: SNAPSHOT_DIR },
        'snapshot files exist but the log has no state record',
      );
    }
    return { ...log, persisted: { hardState: { ...INITIAL_HARD_STATE }, snapshot: null, entries } };
  }

  let snapshot: Snapshot | null = null;
  if (state.snapshotFile !== null) {
    const file = `${SNAPSHOT_DIR}/${state.snapshotFile}`;
    const site = { dir, index: state.snapshotIndex, file };
    snapshot = await readSnapshotFile(path.join(dir, SNAPSHOT_DIR), state.snapshotFile, site);
    if (snapshot.meta.index !== state.snapshotIndex || snapshot.meta.term !== state.snapshotTerm) {
      throw new CorruptStorageError(site, 'snapshot file holds a different index or term');
    }
  } else if (state.snapshotIndex !== 0) {
    throw verifier.corrupt('state record names a snapshot index but no snapshot file');
  }
  return { ...log, persisted: { hardState: { ...state.hardState }, snapshot, entries } };
}

/** LevelDB's own reports of damaged or missing files. */
function isLevelDamage(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'LEVEL_CORRUPTION') return true;
  return code === 'LEVEL_IO_ERROR' && !/permission denied/i.test(String(message));
}
