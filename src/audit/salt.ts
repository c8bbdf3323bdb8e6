/**
 * The per-device salt: the HMAC key under which a device hashes what it logs, so the same secret
 * hashes differently in two devices' logs and a log alone cannot be checked against guesses.
 * It is a random UUID (as Vault's is), stored at `salt` in the device's own storage view, created
 * the first time the device needs it and read back after every unseal, so hashes stay comparable
 * across restarts and with `sys/audit-hash`.
 */
import { createHmac, randomUUID } from 'node:crypto';

import { StorageConditionFailedError } from '../logical/errors.js';
import type { Storage } from '../logical/storage.js';

/** Where the salt lives in the device's view. */
export const SALT_PATH = 'salt';

/** The prefix that marks a hashed value in the log. */
export const HMAC_PREFIX = 'hmac-sha256:';

export class AuditSalt {
  private key: Promise<Buffer> | undefined;

  constructor(private readonly storage: Storage) {}

  /**
   * The salt, read from storage or created there on first use. Concurrent callers (on this node
   * or another) agree on one value: the creation is conditional on nothing being stored yet. A
   * failed load is not remembered, so the next call tries again.
   */
  load(): Promise<Buffer> {
    if (this.key === undefined) {
      this.key = this.readOrCreate();
      this.key.catch(() => {
        this.key = undefined;
      });
    }
    return this.key;
  }

  /** `value` hashed under the salt, as it appears in the log. */
  async hash(value: string): Promise<string> {
    return hmacWith(await this.load(), value);
  }

  private async readOrCreate(): Promise<Buffer> {
    const stored = await this.storage.get(SALT_PATH);
    if (stored !== undefined) return Buffer.from(stored);

    const fresh = Buffer.from(randomUUID(), 'utf8');
    try {
      await this.storage.batch([
        { type: 'put', path: SALT_PATH, value: fresh, condition: { ifAbsent: true } },
      ]);
      return fresh;
    } catch (err) {
      if (!(err instanceof StorageConditionFailedError)) throw err;
      const winner = await this.storage.get(SALT_PATH);
      if (winner === undefined) throw err;
      return Buffer.from(winner);
    }
  }
}

/** `hmac-sha256:<hex>` of `value` (UTF-8) under `key`. */
export function hmacWith(key: Uint8Array, value: string): string {
  return HMAC_PREFIX + createHmac('sha256', key).update(value, 'utf8').digest('hex');
}
