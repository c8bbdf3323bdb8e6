/**
 * The audit table the core holds: which devices are enabled at which paths, persisted as JSON at
 * `audit` in the storage the core gives (its `core/` view, behind the barrier), and the open
 * devices themselves, registered with the {@link AuditBroker} that logs through them.
 *
 * Each device gets a storage view of its own from the core's `deviceStorage(uuid)`, where its
 * salt lives; the uuid is new each time a device is enabled, so re-enabling a path starts a new
 * salt. Table changes (enable, disable, load, close) run one at a time.
 */
import { randomUUID } from 'node:crypto';

import { InvalidRequestError } from '../logical/errors.js';
import { getJson, putJson, type Storage } from '../logical/storage.js';
import type { Logger } from '../util/logger.js';
import { AuditBroker } from './broker.js';
import { FileAuditDevice, type FileAuditDeviceInit, type LineSink } from './file-device.js';
import { filePathOf, parseFileOptions } from './file-options.js';
import { AuditSalt, SALT_PATH } from './salt.js';
import type {
  AuditDevice,
  AuditEnableConfig,
  AuditRequestEntry,
  AuditResponseEntry,
  AuditTableEntry,
} from './types.js';

/** The key of the table in the storage the core gives the manager. */
export const AUDIT_TABLE_KEY = 'audit';

/** The device types `sys/audit` can enable. */
export const AUDIT_DEVICE_TYPES: readonly string[] = ['file'];

export interface AuditManagerOptions {
  /** Where the table is kept (the core's `core/` view). */
  readonly storage: Storage;
  /** A device's own storage view, for its salt. */
  readonly deviceStorage: (uuid: string) => Storage;
  readonly logger: Logger;
  /** Milliseconds; the time on each line. */
  readonly now: () => number;
  readonly newUuid?: () => string;
  /** Where `file_path=stdout` devices write; `process.stdout` by default. */
  readonly stdout?: LineSink;
}

interface StoredTable {
  readonly entries: AuditTableEntry[];
}

export class AuditManager {
  /** Logs through the enabled devices; the core calls it for every audited request. */
  readonly broker: AuditBroker;

  private table: AuditTableEntry[] = [];
  private changes: Promise<void> = Promise.resolve();
  /** The {@link deviceKey} of each device registered with the broker, by its path. */
  private readonly registered = new Map<string, string>();
  /** The values of `registered`, kept as a set for {@link AuditManager.hasDevice}. */
  private registeredKeys: ReadonlySet<string> = new Set();

  constructor(private readonly options: AuditManagerOptions) {
    this.broker = new AuditBroker(options.logger);
  }

  /**
   * Reads the table and opens every device in it (at unseal). A device whose file cannot be
   * opened now is still registered, and fails its writes until it can: an enabled device never
   * silently stops counting, so the fail-closed rule keeps holding.
   */
  load(): Promise<void> {
    return this.serialized(async () => {
      await this.closeAll();
      const stored = await getJson<StoredTable>(this.options.storage, AUDIT_TABLE_KEY);
      this.table = stored?.entries ?? [];
      for (const entry of this.table) {
        this.register(entry, await this.openStored(entry));
      }
      this.options.logger.info({ devices: this.table.length }, 'audit devices loaded');
    });
  }

  /**
   * Enables a device at `path`: checks the config, opens the device, then stores the table.
   *
   * @throws InvalidRequestError (400) for a bad path, an unknown type, a bad option, a file that
   *   cannot be opened, a path that is in use (or nests with one in use), or a file another
   *   device already writes.
   */
  enable(path: string, config: AuditEnableConfig): Promise<void> {
    return this.serialized(async () => {
      const folder = normalizeAuditPath(path);
      if (!AUDIT_DEVICE_TYPES.includes(config.type)) {
        throw new InvalidRequestError(`unknown audit backend type: "${config.type}"`);
      }
      const options = { ...(config.options ?? {}) };
      const parsed = parseFileOptions(options);
      this.assertFree(folder, options);

      const entry: AuditTableEntry = {
        path: folder,
        type: config.type,
        description: config.description ?? '',
        options,
        local: config.local ?? false,
        uuid: (this.options.newUuid ?? randomUUID)(),
      };
      const init = this.deviceInit(entry, parsed);
      let device: AuditDevice;
      try {
        device = await FileAuditDevice.open(init);
      } catch (err) {
        const reason = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new InvalidRequestError(
          `failed to open the audit file: ${reason}`,
          { path: folder },
          { cause: err },
        );
      }

      try {
        // Make the salt now, while this node is writing anyway.
        if (!parsed.format.logRaw) await init.salt.load();
        await this.store([...this.table, entry]);
      } catch (err) {
        await device.close().catch(() => undefined);
        throw err;
      }
      this.register(entry, device);
      this.options.logger.info({ path: folder, type: entry.type }, 'audit device enabled');
    });
  }

  /**
   * Disables the device at `path`: stores the table without it, closes it and removes its salt.
   * Resolves to false when nothing was enabled there (Vault answers that with success too).
   */
  disable(path: string): Promise<boolean> {
    return this.serialized(async () => {
      const folder = normalizeAuditPath(path);
      const entry = this.table.find((candidate) => candidate.path === folder);
      if (entry === undefined) return false;

      await this.store(this.table.filter((candidate) => candidate !== entry));
      const device = this.deregister(folder);
      try {
        await device?.close();
        await this.options.deviceStorage(entry.uuid).delete(SALT_PATH);
      } catch (err) {
        this.options.logger.warn({ path: folder, err }, 'failed to clean up audit device');
      }
      this.options.logger.info({ path: folder }, 'audit device disabled');
      return true;
    });
  }

  /**
   * True when a device of `type` that writes to `filePath` (its `file_path` option, or `path`)
   * is enabled and registered with the broker on this node, whether or not its last write
   * succeeded: the broker's fail-closed rule covers a device that cannot write. A set lookup,
   * cheap enough to ask on every request.
   */
  hasDevice(type: string, filePath: string): boolean {
    return this.registeredKeys.has(deviceKey(type, filePath));
  }

  /** True while at least one device is registered with the broker: lines are being written. */
  get logging(): boolean {
    return this.broker.size > 0;
  }

  /** The enabled devices, sorted by path. */
  list(): AuditTableEntry[] {
    return [...this.table].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** See {@link AuditBroker.hash}; `path` may omit its trailing `/`. */
  hash(path: string, input: string): Promise<string> {
    return this.broker.hash(normalizeAuditPath(path), input);
  }

  logRequest(entry: AuditRequestEntry): Promise<void> {
    return this.broker.logRequest(entry);
  }

  logResponse(entry: AuditResponseEntry): Promise<void> {
    return this.broker.logResponse(entry);
  }

  /** Reopens every device's file, for log rotation (the server calls it on SIGHUP). */
  reopen(): Promise<void> {
    return this.broker.reopen();
  }

  /** Closes every device (at seal); the table stays in storage for the next `load`. */
  close(): Promise<void> {
    return this.serialized(() => this.closeAll());
  }

  // -------------------------------------------------------------------------------------------

  private async openStored(entry: AuditTableEntry): Promise<AuditDevice> {
    let init: FileAuditDeviceInit;
    try {
      init = this.deviceInit(entry, parseFileOptions(entry.options));
    } catch (err) {
      this.options.logger.error({ path: entry.path, err }, 'stored audit device is invalid');
      return brokenDevice(entry.type, err);
    }
    try {
      return await FileAuditDevice.open(init);
    } catch (err) {
      this.options.logger.error({ path: entry.path, err }, 'failed to open audit device');
      return FileAuditDevice.unopened(init);
    }
  }

  private deviceInit(
    entry: AuditTableEntry,
    options: ReturnType<typeof parseFileOptions>,
  ): FileAuditDeviceInit {
    return {
      options,
      salt: new AuditSalt(this.options.deviceStorage(entry.uuid)),
      logger: this.options.logger,
      now: this.options.now,
      stdout: this.options.stdout,
    };
  }

  /** Refuses a path that is taken or nests with a taken one, and a file already written to. */
  private assertFree(folder: string, options: Record<string, string>): void {
    for (const other of this.table) {
      if (other.path.startsWith(folder) || folder.startsWith(other.path)) {
        throw new InvalidRequestError(`path already in use at ${other.path}`, { path: folder });
      }
    }
    const file = filePathOf(options);
    if (file !== undefined && this.table.some((other) => filePathOf(other.options) === file)) {
      // Two devices appending to one file would interleave two hash chains.
      throw new InvalidRequestError('another audit device already writes to that file', {
        path: folder,
      });
    }
  }

  private async store(entries: AuditTableEntry[]): Promise<void> {
    const table: StoredTable = { entries };
    await putJson(this.options.storage, AUDIT_TABLE_KEY, table);
    this.table = entries;
  }

  private async closeAll(): Promise<void> {
    for (const path of this.broker.paths()) {
      try {
        await this.deregister(path)?.close();
      } catch (err) {
        this.options.logger.warn({ path, err }, 'failed to close audit device');
      }
    }
    this.table = [];
  }

  private register(entry: AuditTableEntry, device: AuditDevice): void {
    this.broker.register(entry.path, device);
    const target = entry.options.file_path ?? entry.options.path ?? '';
    this.registered.set(entry.path, deviceKey(entry.type, target));
    this.registeredKeys = new Set(this.registered.values());
  }

  private deregister(path: string): AuditDevice | undefined {
    const device = this.broker.deregister(path);
    this.registered.delete(path);
    this.registeredKeys = new Set(this.registered.values());
    return device;
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.changes.then(task);
    this.changes = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/**
 * `path` as the table keys it: with one trailing `/`.
 *
 * @throws InvalidRequestError (400) for an empty path or one with an empty, `.` or `..` segment.
 */
export function normalizeAuditPath(path: string): string {
  const bare = path.endsWith('/') ? path.slice(0, -1) : path;
  const segments = bare.split('/');
  if (bare === '' || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidRequestError('invalid audit device path', { path });
  }
  return `${bare}/`;
}

/** What {@link AuditManager.hasDevice} looks a device up by: its type and where it writes. */
function deviceKey(type: string, filePath: string): string {
  return `${type}\u0000${filePath}`;
}

/** A device whose stored config no longer parses: it counts as enabled and fails every write. */
function brokenDevice(type: string, cause: unknown): AuditDevice {
  const fail = async (): Promise<never> => {
    throw new Error('audit device configuration is invalid', { cause });
  };
  return {
    type,
    logRequest: fail,
    logResponse: fail,
    hash: fail,
    reopen: fail,
    close: async () => undefined,
  };
}
