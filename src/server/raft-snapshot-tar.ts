/**
 * A minimal tar writer and reader (POSIX.1-1988 "ustar" headers) for the handful of regular
 * files in a snapshot archive (raft-snapshot-archive.ts). `tar -xzf` unpacks what it writes.
 *
 * Only what snapshots need: regular files with names of at most 100 bytes, no directories, links,
 * long-name or pax extended headers. The reader refuses anything else rather than skipping it, and
 * checks every header's checksum and that every file lies inside the bytes it was given.
 */

const BLOCK = 512;
const NAME_BYTES = 100;
const USTAR_MAGIC = 'ustar\0';
/** Largest file size the 11 octal digits of the size field hold. */
const MAX_SIZE = 0o77777777777;

/** One regular file of an archive. */
export interface TarFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** Thrown by {@link readTar} when the bytes are not a tar archive it can read. */
export class MalformedTarError extends Error {
  readonly code = 'malformed_tar';

  constructor(
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'MalformedTarError';
  }
}

/**
 * Writes `files` as a tar archive, each with mode 0600, owner 0:0 and `mtime`, followed by the
 * two zero blocks that end an archive.
 * @throws RangeError for an empty or too long name, or a file too large for the size field.
 */
export function writeTar(files: readonly TarFile[], mtime: Date): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    parts.push(header(file, mtime));
    parts.push(Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength));
    const padding = (BLOCK - (file.data.byteLength % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/**
 * Reads the regular files of a tar archive, in archive order. The data of each file is a view
 * into `bytes`, not a copy.
 * @throws MalformedTarError for a bad checksum, an entry that is not a regular file, a size
 *   field it cannot read, or a file that runs past the end of `bytes`.
 */
export function readTar(bytes: Uint8Array): TarFile[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const files: TarFile[] = [];
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > buffer.length) {
      throw new MalformedTarError('the archive ends without its end-of-archive blocks');
    }
    const block = buffer.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) return files;

    if (checksum(block) !== readOctal(block, 148, 8, 'checksum')) {
      throw new MalformedTarError('bad tar header checksum', { offset });
    }
    const name = readString(block, 0, NAME_BYTES);
    const prefix = readString(block, 345, 155);
    const fullName = prefix === '' ? name : `${prefix}/${name}`;
    const type = String.fromCharCode(block[156]!);
    if (type !== '0' && type !== '\0') {
      throw new MalformedTarError('the archive holds an entry that is not a regular file', {
        name: fullName,
        type,
      });
    }
    const size = readOctal(block, 124, 12, 'size');
    const start = offset + BLOCK;
    if (start + size > buffer.length) {
      throw new MalformedTarError('a file runs past the end of the archive', { name: fullName });
    }
    files.push({ name: fullName, data: buffer.subarray(start, start + size) });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
}

function header(file: TarFile, mtime: Date): Buffer {
  const name = Buffer.from(file.name, 'utf8');
  if (name.length === 0 || name.length > NAME_BYTES) {
    throw new RangeError(`a tar file name must be 1 to ${NAME_BYTES} bytes: ${file.name}`);
  }
  if (file.data.byteLength > MAX_SIZE) throw new RangeError(`${file.name} is too large for tar`);

  const block = Buffer.alloc(BLOCK);
  name.copy(block, 0);
  writeOctal(block, 100, 8, 0o600);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, file.data.byteLength);
  writeOctal(block, 136, 12, Math.floor(mtime.getTime() / 1000));
  block.write('0', 156, 'ascii');
  block.write(USTAR_MAGIC, 257, 'ascii');
  block.write('00', 263, 'ascii');
  // The checksum is computed with its own field as spaces, then written as six octal digits,
  // a NUL and a space (POSIX.1 "ustar Interchange Format").
  block.fill(0x20, 148, 156);
  const sum = checksum(block);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** The header checksum: the sum of its bytes, with the checksum field counted as spaces. */
function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

/** Writes `value` as zero-padded octal digits filling `width - 1` bytes, then a NUL. */
function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, 'ascii');
}

function readOctal(block: Buffer, offset: number, width: number, field: string): number {
  const text = block
    .subarray(offset, offset + width)
    .toString('ascii')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (!/^[0-7]+$/.test(text)) throw new MalformedTarError(`unreadable tar ${field} field`);
  return parseInt(text, 8);
}

function readString(block: Buffer, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? width : end).toString('utf8');
}
