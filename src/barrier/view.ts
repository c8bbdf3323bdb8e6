/**
 * A prefix-scoped view of barrier storage, like a chroot: each secrets engine and auth method
 * gets one for its mount, and nothing it does can reach a path outside the prefix.
 *
 * Escape is ruled out twice. The view refuses relative paths that are absolute or hold `.`/`..`
 * or empty segments before joining them to its prefix, and the barrier under it refuses such
 * paths again after the join. Joining is plain concatenation, so `prefix + path` always starts
 * with the prefix.
 */
import { BarrierConditionFailedError, InvalidPathError } from './errors.js';
import { assertValidPath, assertValidPrefix } from './paths.js';
import type { BarrierBatchOp, BarrierStorage } from './types.js';

/** Storage below `prefix` of a parent storage (the barrier). Paths are relative to the prefix. */
export class BarrierView implements BarrierStorage {
  /**
   * @param parent the storage every call is forwarded to, with the prefix prepended
   * @param prefix non-empty, relative and ending with `/`, e.g. `logical/6c0f2a/`
   */
  constructor(
    private readonly parent: BarrierStorage,
    readonly prefix: string,
  ) {
    assertValidPrefix(prefix);
    if (prefix.length === 0) throw new InvalidPathError(prefix, 'a view needs a prefix');
  }

  async get(path: string): Promise<Uint8Array | undefined> {
    return this.parent.get(this.resolve(path));
  }

  async put(path: string, value: Uint8Array): Promise<void> {
    return this.parent.put(this.resolve(path), value);
  }

  async delete(path: string): Promise<void> {
    return this.parent.delete(this.resolve(path));
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    return this.parent.list(this.prefix + prefix);
  }

  async batch(ops: readonly BarrierBatchOp[]): Promise<void> {
    const resolved = ops.map((op) => ({ ...op, path: this.resolve(op.path) }));
    try {
      await this.parent.batch(resolved);
    } catch (err) {
      // Report the failed op by the path the caller gave, not the one inside the barrier.
      if (err instanceof BarrierConditionFailedError) {
        const path = ops[err.index]?.path ?? '';
        throw new BarrierConditionFailedError(err.index, path, { cause: err });
      }
      throw err;
    }
  }

  /** A view nested below this one; it is flattened onto the same parent. */
  view(prefix: string): BarrierStorage {
    assertValidPrefix(prefix);
    if (prefix.length === 0) throw new InvalidPathError(prefix, 'a view needs a prefix');
    return new BarrierView(this.parent, this.prefix + prefix);
  }

  private resolve(path: string): string {
    assertValidPath(path);
    return this.prefix + path;
  }
}
