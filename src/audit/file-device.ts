/**
 * The `file` audit device: one JSON line per entry, appended to a file (or written to standard
 * output, or formatted and dropped for `discard`), each line chained to the one before it by
 * `prev_hash` (chain.ts).
 *
 * Every operation that touches the file (a write, `reopen`, `close`) runs in one queue per device,
 * one at a time, so lines never interleave and the chain is always computed from the line really
 * written before. Opening a file that already has lines continues its chain from the last one. A
 * last line cut short (a crash or a full disk mid-write) is ended with a newline first: the chain
 * continues from its bytes, and the verifier will point at it.
 *
 * When a write fails, the device drops its file handle; the next operation opens the file again,
 * which ends any torn line, so one failure never glues two lines together.
 */
import { open, type FileHandle } from 'node:fs/promises';

import type { Logger } from '../util/logger.js';
import { CHAIN_FIELD, GENESIS_HASH, lineHash } from './chain.js';
import type { FileDeviceOptions } from './file-options.js';
import { formatRequest, formatResponse } from './format.js';
import type { StringHasher } from './hash-strings.js';
import { hmacWith, type AuditSalt } from './salt.js';
import type { AuditDevice, AuditRequestEntry, AuditResponseEntry } from './types.js';

/** Where `stdout` lines go; `process.stdout` unless a test passes its own. */
export interface LineSink {
  write(chunk: Uint8Array, callback: (err?: Error | null) => void): unknown;
}

export interface FileAuditDeviceInit {
  readonly options: FileDeviceOptions;
  readonly salt: AuditSalt;
  readonly logger: Logger;
  /** Milliseconds; the time written on each line. */
  readonly now: () => number;
  readonly stdout?: LineSink;
}

const NEWLINE = 0x0a;
const TAIL_CHUNK = 64 * 1024;
const CREATE_MODE = 0o600;

export class FileAuditDevice implements AuditDevice {
  readonly type = 'file';

  private handle: FileHandle | undefined;
  private prevHash = GENESIS_HASH;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();

  private constructor(private readonly init: FileAuditDeviceInit) {}

  /**
   * A device that has opened its file (created with the configured mode) and read where the
   * chain stands. Rejects with the file system's error when the file cannot be opened.
   */
  static async open(init: FileAuditDeviceInit): Promise<FileAuditDevice> {
    const device = FileAuditDevice.unopened(init);
    await device.enqueue(() => device.openFile());
    return device;
  }

  /**
   * A device that opens its file on its first write. For unseal, where a device whose file is
   * missing for now must still count as enabled (and fail its writes) rather than vanish.
   */
  static unopened(init: FileAuditDeviceInit): FileAuditDevice {
    return new FileAuditDevice(init);
  }

  async logRequest(entry: AuditRequestEntry): Promise<void> {
    const hasher = await this.hasher();
    await this.write((time) => formatRequest(entry, hasher, this.init.options.format, time));
  }

  async logResponse(entry: AuditResponseEntry): Promise<void> {
    const hasher = await this.hasher();
    await this.write((time) => formatResponse(entry, hasher, this.init.options.format, time));
  }

  async hash(input: string): Promise<string> {
    return this.init.salt.hash(input);
  }

  reopen(): Promise<void> {
    return this.enqueue(async () => {
      this.assertOpen();
      await this.closeFile();
      await this.openFile();
    });
  }

  close(): Promise<void> {
    return this.enqueue(async () => {
      this.closed = true;
      await this.closeFile();
    });
  }

  // -------------------------------------------------------------------------------------------

  private async hasher(): Promise<StringHasher> {
    if (this.init.options.format.logRaw) return (value) => value;
    const key = await this.init.salt.load();
    return (value) => hmacWith(key, value);
  }

  private write(build: (time: string) => Record<string, unknown>): Promise<void> {
    return this.enqueue(async () => {
      this.assertOpen();
      const { target, prefix } = this.init.options;
      if (target.kind === 'discard') {
        build(new Date(this.init.now()).toISOString());
        return;
      }
      if (target.kind === 'file' && this.handle === undefined) await this.openFile();

      const object = build(new Date(this.init.now()).toISOString());
      object[CHAIN_FIELD] = this.prevHash;
      const line = Buffer.from(prefix + JSON.stringify(object), 'utf8');
      const bytes = Buffer.concat([line, Buffer.from([NEWLINE])]);

      if (target.kind === 'stdout') await writeToSink(this.init.stdout ?? process.stdout, bytes);
      else await this.appendToFile(bytes);
      this.prevHash = lineHash(line);
    });
  }

  private async appendToFile(bytes: Buffer): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) throw new Error('audit file is not open');
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
        offset += bytesWritten;
      }
    } catch (err) {
      // Let the next write open the file again, which ends whatever part of this line landed.
      this.handle = undefined;
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  private async openFile(): Promise<void> {
    const { target, mode } = this.init.options;
    if (target.kind !== 'file') {
      this.prevHash = GENESIS_HASH;
      return;
    }
    const handle = await open(target.path, 'a+', mode ?? CREATE_MODE);
    try {
      // open() applies the umask and leaves an existing file's mode alone; set it exactly.
      if (mode !== null) await handle.chmod(mode);
      this.prevHash = await this.continueChain(handle, target.path);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    this.handle = handle;
  }

  /** The hash the next line chains from, ending a torn last line first. */
  private async continueChain(handle: FileHandle, path: string): Promise<string> {
    const { size } = await handle.stat();
    if (size === 0) return GENESIS_HASH;

    const last = await readLastLine(handle, size);
    if (!last.terminated) {
      this.init.logger.warn({ path }, 'audit file ends with an unterminated line; ending it');
      await handle.write(Buffer.from([NEWLINE]), 0, 1, null);
    }
    return lineHash(last.line);
  }

  private async closeFile(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) await handle.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('audit device is closed');
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The last line of a file of `size` bytes (without its newline), reading back from the end. */
async function readLastLine(
  handle: FileHandle,
  size: number,
): Promise<{ line: Buffer; terminated: boolean }> {
  const lastByte = Buffer.alloc(1);
  await handle.read(lastByte, 0, 1, size - 1);
  const terminated = lastByte[0] === NEWLINE;

  const chunks: Buffer[] = [];
  let position = terminated ? size - 1 : size;
  while (position > 0) {
    const length = Math.min(TAIL_CHUNK, position);
    const start = position - length;
    const chunk = Buffer.alloc(length);
    const { bytesRead } = await handle.read(chunk, 0, length, start);
    const data = chunk.subarray(0, bytesRead);
    const newline = data.lastIndexOf(NEWLINE);
    if (newline !== -1) {
      chunks.unshift(data.subarray(newline + 1));
      break;
    }
    chunks.unshift(data);
    position = start;
  }
  return { line: Buffer.concat(chunks), terminated };
}

function writeToSink(sink: LineSink, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    sink.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}
