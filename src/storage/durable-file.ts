/**
 * Small file-system steps that make writes survive a crash and keep a node's data private:
 * private directories, atomic file replacement (temp file, fsync, rename, directory fsync) and a
 * sweep that restricts the modes of files created by code we do not control (LevelDB).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Mode of every directory raft storage creates: owner only. */
export const DIR_MODE = 0o700;
/** Mode of every file raft storage creates: owner read and write. */
export const FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) with mode 0700, and narrows it to 0700 if it existed. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
  await fs.chmod(dir, DIR_MODE);
}

/** Flushes a directory's entries (new, renamed or deleted files) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` with `bytes` so that after a crash it holds either the old or the new content:
 * the bytes go to `<file>.tmp` (mode 0600), which is fsynced, renamed over `file`, and the
 * directory is fsynced so the rename itself is durable.
 */
export async function writeFileDurably(file: string, bytes: Uint8Array): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await fs.open(temp, 'w', FILE_MODE);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
  await syncDir(path.dirname(file));
}

/** Deletes `file` and makes the deletion durable; a file already gone is fine. */
export async function removeDurably(file: string): Promise<void> {
  await removeIfExists(file);
  await syncDir(path.dirname(file));
}

export async function removeIfExists(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}

/** The file's content, or null when it does not exist. */
export async function readIfExists(file: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** The names in `dir`, or an empty list when it does not exist. */
export async function listIfExists(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/**
 * Sets `root` to 0700 if it is a directory, 0600 if a file, and does the same for everything
 * under it. LevelDB creates its files with the process umask; this narrows them. Files it creates
 * between two sweeps are still unreachable to others, because the directories above are 0700.
 */
export async function restrictModes(root: string): Promise<void> {
  const stat = await fs.lstat(root);
  if (stat.isSymbolicLink()) return;
  const wanted = stat.isDirectory() ? DIR_MODE : FILE_MODE;
  if ((stat.mode & 0o777) !== wanted) await fs.chmod(root, wanted);
  if (!stat.isDirectory()) return;
  for (const name of await fs.readdir(root)) {
    try {
      await restrictModes(path.join(root, name));
    } catch (err) {
      // LevelDB may delete a file (an old .log or table) between readdir and chmod.
      if (!isMissing(err)) throw err;
    }
  }
}

export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
