/**
 * Barrier storage as the logical `Storage` backends and core stores see. The view already scopes
 * and encrypts; this only translates the barrier's condition failure into the logical one, so
 * nothing above the core needs to know the barrier exists.
 */
import { BarrierConditionFailedError } from '../barrier/errors.js';
import type { BarrierStorage } from '../barrier/types.js';
import { StorageConditionFailedError } from '../logical/errors.js';
import type { Storage, StorageOp } from '../logical/storage.js';

export class BarrierBackedStorage implements Storage {
  constructor(private readonly view: BarrierStorage) {}

  get(path: string): Promise<Uint8Array | undefined> {
    return this.view.get(path);
  }

  put(path: string, value: Uint8Array): Promise<void> {
    return this.view.put(path, value);
  }

  delete(path: string): Promise<void> {
    return this.view.delete(path);
  }

  list(prefix: string): Promise<string[]> {
    return this.view.list(prefix);
  }

  async batch(ops: readonly StorageOp[]): Promise<void> {
    try {
      await this.view.batch(ops);
    } catch (err) {
      if (err instanceof BarrierConditionFailedError) {
        throw new StorageConditionFailedError(err.index, err.path, { cause: err });
      }
      throw err;
    }
  }
}
