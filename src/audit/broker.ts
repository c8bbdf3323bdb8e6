/**
 * The audit broker: the enabled devices by path, and the fail-closed rule (vault-api.md §7,
 * "Fail closed"). A line counts as logged once ANY device has written it; when devices are
 * enabled and none could, the request fails with {@link AuditFailedError} rather than go
 * unaudited. With no device enabled there is nothing to do.
 *
 * Unlike Vault, which waits for every device in turn, the broker resolves as soon as the first
 * device succeeds: a device that hangs (a stalled disk) does not hold up requests while another
 * one works. The others' writes carry on, and their failures are logged.
 */
import { InvalidRequestError } from '../logical/errors.js';
import type { Logger } from '../util/logger.js';
import { AuditFailedError } from './errors.js';
import type { AuditDevice, AuditRequestEntry, AuditResponseEntry } from './types.js';

export class AuditBroker {
  private readonly devices = new Map<string, AuditDevice>();

  constructor(private readonly logger: Logger) {}

  /** Adds `device` at `path` (with its trailing `/`), replacing what was there. */
  register(path: string, device: AuditDevice): void {
    this.devices.set(path, device);
  }

  /** Removes and returns the device at `path`, if any; the caller closes it. */
  deregister(path: string): AuditDevice | undefined {
    const device = this.devices.get(path);
    this.devices.delete(path);
    return device;
  }

  /** The paths of the registered devices, sorted. */
  paths(): string[] {
    return [...this.devices.keys()].sort();
  }

  get size(): number {
    return this.devices.size;
  }

  /**
   * Logs a request line. Resolves once one device wrote it (or at once with no device).
   *
   * @throws AuditFailedError (500) when devices are enabled and every one of them failed.
   */
  logRequest(entry: AuditRequestEntry): Promise<void> {
    return this.fanOut('request', entry.request.id, (device) => device.logRequest(entry));
  }

  /**
   * Logs a response line. Resolves once one device wrote it (or at once with no device).
   *
   * @throws AuditFailedError (500) when devices are enabled and every one of them failed.
   */
  logResponse(entry: AuditResponseEntry): Promise<void> {
    return this.fanOut('response', entry.request.id, (device) => device.logResponse(entry));
  }

  /**
   * `input` as the device at `path` logs it, for `sys/audit-hash`.
   *
   * @throws InvalidRequestError (400) when no device is enabled at `path`.
   */
  async hash(path: string, input: string): Promise<string> {
    const device = this.devices.get(path);
    if (device === undefined) {
      throw new InvalidRequestError(`unknown audit backend ${path}`, { path });
    }
    return device.hash(input);
  }

  /** Reopens every device's file (log rotation); failures are logged, not thrown. */
  async reopen(): Promise<void> {
    await Promise.all(
      [...this.devices].map(async ([path, device]) => {
        try {
          await device.reopen();
        } catch (err) {
          this.logger.error({ path, err }, 'failed to reopen audit device');
        }
      }),
    );
  }

  private async fanOut(
    kind: 'request' | 'response',
    requestId: string,
    write: (device: AuditDevice) => Promise<void>,
  ): Promise<void> {
    if (this.devices.size === 0) return;
    const attempts = [...this.devices].map(async ([path, device]) => {
      try {
        await write(device);
      } catch (err) {
        this.logger.error({ path, requestId, kind, err }, 'audit device failed to log');
        throw err;
      }
    });
    try {
      await Promise.any(attempts);
    } catch (err) {
      throw new AuditFailedError(kind, { devices: this.paths(), requestId }, { cause: err });
    }
  }
}
