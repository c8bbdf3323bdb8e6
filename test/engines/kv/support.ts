/** Drives a KV backend through `handleRequest` on in-memory storage, with a manual clock. */
import { createKvBackend } from '../../../src/engines/kv/index.js';
import {
  InmemStorage,
  makeRequest,
  type Backend,
  type Operation,
  type Response,
  type StorageOp,
} from '../../../src/logical/index.js';
import { silentLogger } from '../../../src/util/logger.js';

/**
 * In-memory storage that can run a hook just before a batch applies: the place where a
 * concurrent writer on another node would land between a handler's reads and its batch.
 */
export class HookedStorage extends InmemStorage {
  /** Runs (once) before the next batch; cleared before it runs. */
  beforeBatch: ((ops: readonly StorageOp[]) => Promise<void>) | undefined;
  batches = 0;

  override async batch(ops: readonly StorageOp[]): Promise<void> {
    this.batches += 1;
    const hook = this.beforeBatch;
    this.beforeBatch = undefined;
    if (hook !== undefined) await hook(ops);
    return super.batch(ops);
  }
}

export interface KvHarness {
  backend: Backend;
  storage: HookedStorage;
  clock: { now: number };
  call(
    operation: Operation,
    path: string,
    data?: Record<string, unknown>,
  ): Promise<Response | null>;
  /** The backend's existence check for an update of `path`. */
  exists(path: string): Promise<boolean | undefined>;
}

/**
 * A fresh KV mount (version 2 unless `options` say otherwise) whose clock starts at
 * 2024-01-01T00:00:00Z and moves only when told to.
 */
export function kvHarness(options: Record<string, string> = { version: '2' }): KvHarness {
  const storage = new HookedStorage();
  const clock = { now: Date.parse('2024-01-01T00:00:00.000Z') };
  const backend = createKvBackend({
    storage,
    logger: silentLogger,
    mountPath: 'secret/',
    options,
    now: () => clock.now,
  });
  let ids = 0;
  const newId = (): string => `kv-${++ids}`;
  return {
    backend,
    storage,
    clock,
    call: (operation, path, data = {}) =>
      backend.handleRequest(makeRequest({ operation, path, data }, newId)),
    exists: async (path) => {
      const check = backend.existenceCheck;
      if (check === undefined) return undefined;
      return check.call(backend, makeRequest({ operation: 'update', path }, newId));
    },
  };
}

/** `response.data.data`, for data reads. */
export function secretOf(response: Response | null): unknown {
  return (response?.data as { data?: unknown } | null | undefined)?.data;
}
