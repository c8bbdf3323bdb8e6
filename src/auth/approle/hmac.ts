/**
 * The mount's HMAC key and the digests made with it. The key is 32 random bytes stored (behind
 * the barrier) at `hmac-key` the first time one is needed; two nodes racing to make it settle
 * on whichever was stored first, through a conditional write.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  getJson,
  StorageConditionFailedError,
  encodeJson,
  type Storage,
} from '../../logical/index.js';
import { HMAC_KEY_PATH } from './types.js';

/** What a digest is of; part of the HMAC input, so equal strings of two kinds never collide. */
export type DigestKind = 'role-id' | 'secret-id' | 'accessor';

interface StoredKey {
  readonly key: string;
}

export class MountHmac {
  private key: Promise<Buffer> | undefined;

  constructor(private readonly storage: Storage) {}

  /** HMAC-SHA256 of `value` as a `kind`, in lower-case hex. */
  async digest(kind: DigestKind, value: string): Promise<string> {
    const key = await this.loadKey();
    return createHmac('sha256', key).update(`${kind}\0`).update(value, 'utf8').digest('hex');
  }

  private loadKey(): Promise<Buffer> {
    if (this.key === undefined) {
      const loading = this.readOrCreate();
      loading.catch(() => {
        if (this.key === loading) this.key = undefined;
      });
      this.key = loading;
    }
    return this.key;
  }

  private async readOrCreate(): Promise<Buffer> {
    const stored = await getJson<StoredKey>(this.storage, HMAC_KEY_PATH);
    if (stored !== undefined) return Buffer.from(stored.key, 'base64');

    const key = randomBytes(32);
    try {
      await this.storage.batch([
        {
          type: 'put',
          path: HMAC_KEY_PATH,
          value: encodeJson({ key: key.toString('base64') } satisfies StoredKey),
          condition: { ifAbsent: true },
        },
      ]);
      return key;
    } catch (err) {
      if (!(err instanceof StorageConditionFailedError)) throw err;
      const winner = await getJson<StoredKey>(this.storage, HMAC_KEY_PATH);
      if (winner === undefined) throw err;
      return Buffer.from(winner.key, 'base64');
    }
  }
}

/** Whether two hex digests are equal, compared in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length > 0 && left.length === right.length && timingSafeEqual(left, right);
}
