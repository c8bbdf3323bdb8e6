/** Drives a KV v2 backend through `handleRequest` on in-memory storage, with a manual clock. */
import { createKvBackend } from '../../../src/engines/kv/index.js';
import {
  InmemStorage,
  makeRequest,
  type Backend,
  type Operation,
  type Response,
} from '../../../src/logical/index.js';
import { silentLogger } from '../../../src/util/logger.js';

export interface KvHarness {
  backend: Backend;
  storage: InmemStorage;
  clock: { now: number };
  call(
    operation: Operation,
    path: string,
    data?: Record<string, unknown>,
  ): Promise<Response | null>;
}

/** A fresh KV mount whose clock starts at 2024-01-01T00:00:00Z and moves only when told to. */
export function kvHarness(): KvHarness {
  const storage = new InmemStorage();
  const clock = { now: Date.parse('2024-01-01T00:00:00.000Z') };
  const backend = createKvBackend({
    storage,
    logger: silentLogger,
    mountPath: 'secret/',
    options: { version: '2' },
    now: () => clock.now,
  });
  let ids = 0;
  return {
    backend,
    storage,
    clock,
    call: (operation, path, data = {}) =>
      backend.handleRequest(makeRequest({ operation, path, data }, () => `kv-${++ids}`)),
  };
}
