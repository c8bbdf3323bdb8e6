/**
 * The storage a backend sees: its mount's slice of the encrypted barrier, with paths relative to
 * the mount (the core hands each backend a view, so nothing it does can reach another mount's
 * data). `InmemStorage` is the in-memory twin engine tests run on.
 *
 * Paths are relative and slash-separated: no leading or trailing `/`, no empty, `.` or `..`
 * segment, no NUL. Implementations refuse other paths with a 400-class error.
 */
import { listChildren } from './list-children.js';
import { InvalidRequestError, StorageConditionFailedError } from './errors.js';

/**
 * A precondition on an op's path, checked when the batch is applied: `ifAbsent` holds when
 * nothing is stored there, `ifValue` when exactly these (plaintext) bytes are.
 */
export type StorageCondition = { readonly ifAbsent: true } | { readonly ifValue: Uint8Array };

export type StorageOp =
  | {
      readonly type: 'put';
      readonly path: string;
      readonly value: Uint8Array;
      readonly condition?: StorageCondition;
    }
  | { readonly type: 'delete'; readonly path: string; readonly condition?: StorageCondition };

export interface Storage {
  /** The value at `path`, or undefined when nothing is stored there. */
  get(path: string): Promise<Uint8Array | undefined>;

  /** Stores `value` at `path`, replacing what was there. */
  put(path: string, value: Uint8Array): Promise<void>;

  /** Removes `path`; removing an absent path succeeds. */
  delete(path: string): Promise<void>;

  /**
   * The immediate children of `prefix` (`''` or ending with `/`), sorted, each sub-folder once
   * with a trailing `/`. With `a/b` and `a/c/d` stored, `list('a/')` is `['b', 'c/']`.
   */
  list(prefix: string): Promise<string[]>;

  /**
   * Applies `ops` atomically and in order, each condition checked against the state the earlier
   * ops left. A failing condition rejects with {@link StorageConditionFailedError} and nothing
   * is written. This is what makes a read-check-write (a KV check-and-set) safe against a
   * concurrent writer on any node.
   */
  batch(ops: readonly StorageOp[]): Promise<void>;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * `value` as JSON bytes, for {@link Storage.put}. The bytes sit in Node's buffer pool (a fresh
 * allocation per value, as `TextEncoder` makes, costs more than the encoding), seen through a
 * plain `Uint8Array`.
 */
export function encodeJson(value: unknown): Uint8Array {
  // JSON.stringify gives undefined for undefined, a function or a symbol: empty bytes, as before.
  const text: string | undefined = JSON.stringify(value);
  const bytes = Buffer.from(text ?? '', 'utf8');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Parses JSON bytes that a backend stored itself. Throws `SyntaxError` on damage. */
export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

/** The JSON value at `path`, or undefined when nothing is stored there. */
export async function getJson<T>(storage: Storage, path: string): Promise<T | undefined> {
  const bytes = await storage.get(path);
  return bytes === undefined ? undefined : decodeJson<T>(bytes);
}

/** Stores `value` as JSON at `path`. */
export async function putJson(storage: Storage, path: string, value: unknown): Promise<void> {
  await storage.put(path, encodeJson(value));
}

/**
 * A {@link Storage} in a `Map`, for tests and single-process tools. It checks paths loosely (the
 * barrier's rules are stricter; a refused path is an `InvalidRequestError`) and copies bytes in
 * and out.
 */
export class InmemStorage implements Storage {
  private readonly entries = new Map<string, Uint8Array>();

  async get(path: string): Promise<Uint8Array | undefined> {
    const value = this.entries.get(checkPath(path));
    return value === undefined ? undefined : new Uint8Array(value);
  }

  async put(path: string, value: Uint8Array): Promise<void> {
    this.entries.set(checkPath(path), new Uint8Array(value));
  }

  async delete(path: string): Promise<void> {
    this.entries.delete(checkPath(path));
  }

  async list(prefix: string): Promise<string[]> {
    return listChildren(this.entries.keys(), prefix);
  }

  async batch(ops: readonly StorageOp[]): Promise<void> {
    const staged = new Map<string, Uint8Array | undefined>();
    const current = (path: string): Uint8Array | undefined =>
      staged.has(path) ? staged.get(path) : this.entries.get(path);

    ops.forEach((op, index) => {
      checkPath(op.path);
      if (op.condition !== undefined && !holds(op.condition, current(op.path))) {
        throw new StorageConditionFailedError(index, op.path);
      }
      staged.set(op.path, op.type === 'put' ? new Uint8Array(op.value) : undefined);
    });
    for (const [path, value] of staged) {
      if (value === undefined) this.entries.delete(path);
      else this.entries.set(path, value);
    }
  }

  /** Every stored path, sorted: for tests. */
  paths(): string[] {
    return [...this.entries.keys()].sort();
  }
}

function holds(condition: StorageCondition, current: Uint8Array | undefined): boolean {
  if ('ifAbsent' in condition) return current === undefined;
  return current !== undefined && Buffer.from(current).equals(condition.ifValue);
}

function checkPath(path: string): string {
  if (path.length === 0 || path.startsWith('/') || path.endsWith('/') || path.includes('\0')) {
    throw new InvalidRequestError('invalid storage path', { path });
  }
  return path;
}
