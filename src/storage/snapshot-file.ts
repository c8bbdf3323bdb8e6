/**
 * Snapshot files: a checksummed header holding the meta, then the data in checksummed chunks, so
 * a reader can verify and stream one chunk at a time. Layout (integers big-endian):
 *
 *     "COFFSNAP" | u32 header length | header (sealed msgpack: meta, size, chunk size, count)
 *     chunk 0:   u32 length | u32 CRC-32 over (u32 chunk number, data) | data
 *     chunk 1... (every chunk but the last is exactly the chunk size; there is at least one)
 *
 * Files are written to `<name>.tmp`, fsynced, renamed, and the directory fsynced, so a crash
 * leaves either no file or a complete one.
 */
import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Snapshot, SnapshotMeta } from '../raft/core/types.js';
import { FILE_MODE, isMissing, syncDir } from './durable-file.js';
import { CorruptStorageError } from './errors.js';
import type { CorruptionSite } from './errors.js';
import type { SnapshotReader } from './raft-storage.js';
import { checksum, openValue, RecordError, sealValue } from './record-codec.js';

const MAGIC = new TextEncoder().encode('COFFSNAP');
const PREAMBLE = MAGIC.length + 4;
const CHUNK_HEADER = 8;
/** Far above any real header (meta with a few hundred members); guards against a damaged length. */
const MAX_HEADER = 1 << 20;
const HEADER_KEY = new TextEncoder().encode('snapshot-header');

interface SnapshotHeader {
  meta: SnapshotMeta;
  size: number;
  chunkSize: number;
  chunkCount: number;
}

/** Writes `snapshot` durably as `<dir>/<name>` in chunks of `chunkSize` bytes. */
export async function writeSnapshotFile(
  dir: string,
  name: string,
  snapshot: Snapshot,
  chunkSize: number,
): Promise<void> {
  await publishSnapshotFile(dir, await stageSnapshotFile(dir, name, snapshot, chunkSize), name);
}

/**
 * The first half of {@link writeSnapshotFile}: writes and fsyncs `snapshot` as `<dir>/<name>.tmp`
 * and returns that name. Nothing names the file yet; a crash leaves a stray file that opening the
 * storage removes.
 */
export async function stageSnapshotFile(
  dir: string,
  name: string,
  snapshot: Snapshot,
  chunkSize: number,
): Promise<string> {
  const { data } = snapshot;
  const chunkCount = Math.max(1, Math.ceil(data.length / chunkSize));
  const header = sealValue(
    HEADER_KEY,
    encodeHeader({ meta: snapshot.meta, size: data.length, chunkSize, chunkCount }),
  );
  const preamble = new Uint8Array(PREAMBLE);
  preamble.set(MAGIC);
  new DataView(preamble.buffer).setUint32(MAGIC.length, header.length);

  const temp = `${name}.tmp`;
  const handle = await fs.open(path.join(dir, temp), 'w', FILE_MODE);
  try {
    await handle.writev([preamble, header]);
    for (let i = 0; i < chunkCount; i++) {
      const chunk = data.subarray(i * chunkSize, (i + 1) * chunkSize);
      const chunkHeader = new Uint8Array(CHUNK_HEADER);
      const view = new DataView(chunkHeader.buffer);
      view.setUint32(0, chunk.length);
      view.setUint32(4, chunkChecksum(i, chunk));
      await handle.writev([chunkHeader, chunk]);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** The second half of {@link writeSnapshotFile}: renames staged file `temp` to `name`, durably. */
export async function publishSnapshotFile(dir: string, temp: string, name: string): Promise<void> {
  await fs.rename(path.join(dir, temp), path.join(dir, name));
  await syncDir(dir);
}

/**
 * Opens `<dir>/<name>` and verifies its header; chunks are verified as they are read.
 * `site` names the storage in errors.
 * @throws CorruptStorageError if the file is missing, its header is damaged, or its length is
 *   not what the header promises.
 */
export async function openSnapshotFile(
  dir: string,
  name: string,
  site: CorruptionSite,
): Promise<SnapshotFileReader> {
  let handle: FileHandle;
  try {
    handle = await fs.open(path.join(dir, name), 'r');
  } catch (err) {
    if (isMissing(err)) throw new CorruptStorageError(site, 'snapshot file is missing');
    throw err;
  }
  try {
    return await SnapshotFileReader.open(handle, site);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** A verified view of one snapshot file; see {@link SnapshotReader}. */
export class SnapshotFileReader implements SnapshotReader {
  private constructor(
    private readonly handle: FileHandle,
    private readonly site: CorruptionSite,
    private readonly header: SnapshotHeader,
    private readonly dataStart: number,
  ) {}

  static async open(handle: FileHandle, site: CorruptionSite): Promise<SnapshotFileReader> {
    const fileSize = (await handle.stat()).size;
    const preamble = await readExactly(handle, 0, PREAMBLE);
    const sameMagic = MAGIC.every((byte, i) => preamble?.[i] === byte);
    if (preamble === null || !sameMagic) {
      throw new CorruptStorageError(site, 'snapshot file has no valid preamble');
    }
    const headerLength = new DataView(preamble.buffer).getUint32(MAGIC.length);
    if (headerLength > MAX_HEADER || PREAMBLE + headerLength > fileSize) {
      throw new CorruptStorageError(site, `snapshot header length ${headerLength} is impossible`);
    }
    const sealed = await readExactly(handle, PREAMBLE, headerLength);
    if (sealed === null) throw new CorruptStorageError(site, 'snapshot header is cut short');
    const header = decodeHeader(sealed, site);

    const dataStart = PREAMBLE + headerLength;
    const expected = dataStart + header.chunkCount * CHUNK_HEADER + header.size;
    if (fileSize !== expected) {
      throw new CorruptStorageError(
        site,
        `snapshot file is ${fileSize} bytes long, its header promises ${expected}`,
      );
    }
    return new SnapshotFileReader(handle, site, header, dataStart);
  }

  get meta(): SnapshotMeta {
    return this.header.meta;
  }

  get size(): number {
    return this.header.size;
  }

  get chunkCount(): number {
    return this.header.chunkCount;
  }

  async readChunk(i: number): Promise<Uint8Array> {
    const { chunkSize, chunkCount, size } = this.header;
    if (!Number.isInteger(i) || i < 0 || i >= chunkCount) {
      throw new RangeError(`snapshot chunk ${i} is out of range 0..${chunkCount - 1}`);
    }
    const length = i < chunkCount - 1 ? chunkSize : size - i * chunkSize;
    const offset = this.dataStart + i * (CHUNK_HEADER + chunkSize);
    const bytes = await readExactly(this.handle, offset, CHUNK_HEADER + length);
    const damaged = (detail: string): CorruptStorageError =>
      new CorruptStorageError(this.site, `snapshot chunk ${i} ${detail}`);
    if (bytes === null) throw damaged('is cut short');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0) !== length) throw damaged('has a damaged length');
    const data = bytes.subarray(CHUNK_HEADER);
    if (view.getUint32(4) !== chunkChecksum(i, data)) throw damaged('fails its checksum');
    return data;
  }

  async readAll(): Promise<Uint8Array> {
    const all = new Uint8Array(this.header.size);
    for (let i = 0; i < this.header.chunkCount; i++) {
      all.set(await this.readChunk(i), i * this.header.chunkSize);
    }
    return all;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Reads and verifies a whole snapshot file. @throws CorruptStorageError */
export async function readSnapshotFile(
  dir: string,
  name: string,
  site: CorruptionSite,
): Promise<Snapshot> {
  const reader = await openSnapshotFile(dir, name, site);
  try {
    return { meta: reader.meta, data: await reader.readAll() };
  } finally {
    await reader.close();
  }
}

/** The header as sealed: a list, like every other record. */
function encodeHeader(h: SnapshotHeader): unknown[] {
  const { index, term, config } = h.meta;
  return [index, term, config.voters, config.learners, h.size, h.chunkSize, h.chunkCount];
}

function decodeHeader(sealed: Uint8Array, site: CorruptionSite): SnapshotHeader {
  let raw: unknown;
  try {
    raw = openValue(HEADER_KEY, sealed);
  } catch (err) {
    if (err instanceof RecordError) {
      throw new CorruptStorageError(site, `snapshot header: ${err.message}`);
    }
    throw err;
  }
  const list = Array.isArray(raw) ? raw : [];
  const [index, term, voters, learners, size, chunkSize, chunkCount] = list as unknown[];
  const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  const isIds = (ids: unknown): ids is string[] =>
    Array.isArray(ids) && ids.every((id) => typeof id === 'string');
  const valid =
    list.length === 7 &&
    isCount(index) &&
    isCount(term) &&
    isIds(voters) &&
    isIds(learners) &&
    isCount(size) &&
    isCount(chunkSize) &&
    chunkSize > 0 &&
    chunkCount === Math.max(1, Math.ceil(size / chunkSize));
  if (!valid) throw new CorruptStorageError(site, 'snapshot header has an unknown layout');
  return { meta: { index, term, config: { voters, learners } }, size, chunkSize, chunkCount };
}

/** CRC-32 over the chunk number and the data, so chunks cannot trade places unnoticed. */
function chunkChecksum(i: number, data: Uint8Array): number {
  const number = new Uint8Array(4);
  new DataView(number.buffer).setUint32(0, i);
  return checksum(data, checksum(number));
}

/** Reads `length` bytes at `offset`, or returns null if the file ends first. */
async function readExactly(
  handle: FileHandle,
  offset: number,
  length: number,
): Promise<Uint8Array | null> {
  const buffer = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) return null;
    done += bytesRead;
  }
  return buffer;
}
