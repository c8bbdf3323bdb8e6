/**
 * Drives an auth method backend through `handleRequest` on in-memory storage, with a manual
 * clock and a chosen client address, as the core would after its token and ACL checks.
 */
import {
  InmemStorage,
  LOCAL_CONNECTION,
  makeRequest,
  type AuthBackend,
  type BackendContext,
  type Operation,
  type Request,
  type Response,
  type StorageOp,
} from '../../src/logical/index.js';
import { silentLogger } from '../../src/util/logger.js';

/**
 * In-memory storage whose batches can be held at a gate: {@link GatedStorage.holdBatches}
 * makes the next `count` batches wait until all of them have been submitted, which is where
 * two logins on different nodes would both have read a record and not yet written it.
 */
export class GatedStorage extends InmemStorage {
  batches = 0;
  private gate: { count: number; waiting: Array<() => void> } | undefined;

  holdBatches(count: number): void {
    this.gate = { count, waiting: [] };
  }

  override async batch(ops: readonly StorageOp[]): Promise<void> {
    this.batches += 1;
    const gate = this.gate;
    if (gate !== undefined) {
      await new Promise<void>((release) => {
        gate.waiting.push(release);
        if (gate.waiting.length === gate.count) {
          this.gate = undefined;
          for (const waiter of gate.waiting) waiter();
        }
      });
    }
    return super.batch(ops);
  }
}

export interface AuthHarness<B extends AuthBackend = AuthBackend> {
  backend: B;
  storage: GatedStorage;
  clock: { now: number };
  /** Calls the backend from 127.0.0.1 unless `remoteAddress` says otherwise. */
  call(
    operation: Operation,
    path: string,
    data?: Record<string, unknown>,
    remoteAddress?: string,
  ): Promise<Response | null>;
  /** The request `call` would make. */
  request(operation: Operation, path: string, data?: Record<string, unknown>): Request;
  /** The backend's existence check for an update of `path`. */
  exists(path: string): Promise<boolean | undefined>;
}

/** The harness clock starts here: 2024-01-01T00:00:00Z. */
export const T0 = Date.parse('2024-01-01T00:00:00.000Z');

/**
 * A fresh mount of the backend `build` makes, at `auth/<mountName>/`. Pass another harness's
 * `storage` to get a second backend on the same data, as another node's would be.
 */
export function authHarness<B extends AuthBackend>(
  build: (context: BackendContext) => B,
  mountName: string,
  storage = new GatedStorage(),
): AuthHarness<B> {
  const clock = { now: T0 };
  const backend = build({
    storage,
    logger: silentLogger,
    mountPath: `auth/${mountName}/`,
    options: {},
    now: () => clock.now,
  });
  let ids = 0;
  const request = (
    operation: Operation,
    path: string,
    data: Record<string, unknown> = {},
    remoteAddress = LOCAL_CONNECTION.remoteAddress,
  ): Request =>
    makeRequest(
      { operation, path, data, connection: { ...LOCAL_CONNECTION, remoteAddress } },
      () => `req-${++ids}`,
    );
  return {
    backend,
    storage,
    clock,
    call: (operation, path, data, remoteAddress) =>
      backend.handleRequest(request(operation, path, data, remoteAddress)),
    request: (operation, path, data) => request(operation, path, data),
    exists: async (path) => {
      const check = backend.existenceCheck;
      if (check === undefined) return undefined;
      return check.call(backend, request('update', path));
    },
  };
}

/** Every stored value, decoded as UTF-8, joined: to check that a secret is never stored. */
export async function storedText(storage: InmemStorage): Promise<string> {
  const values = await Promise.all(storage.paths().map((path) => storage.get(path)));
  return values.map((bytes) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8')).join('\n');
}
