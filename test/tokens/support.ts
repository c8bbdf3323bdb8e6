/**
 * A token store on in-memory storage with a manual clock, a fake expiry tracker that records
 * every call, and an `onRevoke` that records each revoked subtree; plus its backend.
 */
import type { ExpiryTracker, NewLease } from '../../src/leases/types.js';
import {
  InmemStorage,
  makeRequest,
  type Backend,
  type Operation,
  type Response,
} from '../../src/logical/index.js';
import {
  createTokenBackend,
  TokenStore,
  type CreatedToken,
  type CreateTokenParams,
  type TokenEntry,
  type TokenStoreOptions,
} from '../../src/tokens/index.js';

export const T0 = Date.parse('2024-01-01T00:00:00.000Z');
export const HOUR = 3600;

/** Records what the store asked the expiration manager to do. */
export class FakeExpiry implements ExpiryTracker {
  readonly tracked = new Map<string, NewLease>();
  readonly calls: string[] = [];

  async track(lease: NewLease): Promise<void> {
    this.calls.push(`track ${lease.id}`);
    this.tracked.set(lease.id, lease);
  }

  async untrack(id: string): Promise<void> {
    this.calls.push(`untrack ${id}`);
    this.tracked.delete(id);
  }
}

export interface TokenHarness {
  storage: InmemStorage;
  clock: { now: number };
  expiry: FakeExpiry;
  /** Each `onRevoke` call's entries, by accessor. */
  revoked: string[][];
  /** Set to make `onRevoke` reject. */
  failRevoke: { on: boolean };
  store: TokenStore;
  backend: Backend;
  root: { clientToken: string; entry: TokenEntry };
  /** Creates a token as `parent` with `auth/token/create` as its path. */
  child(
    parent: TokenEntry,
    params?: Partial<CreateTokenParams>,
  ): Promise<CreatedToken>;
  call(
    operation: Operation,
    path: string,
    token: string | undefined,
    data?: Record<string, unknown>,
    sudo?: boolean,
  ): Promise<Response | null>;
}

export async function tokenHarness(
  options: Pick<
    TokenStoreOptions,
    'maxTtlSeconds' | 'defaultTtlSeconds' | 'isIssuerLive' | 'onRenewLogin'
  > = {},
): Promise<TokenHarness> {
  const storage = new InmemStorage();
  const clock = { now: T0 };
  const expiry = new FakeExpiry();
  const revoked: string[][] = [];
  const failRevoke = { on: false };
  const store = await TokenStore.open({
    storage,
    now: () => clock.now,
    expiry,
    onRevoke: async (entries) => {
      if (failRevoke.on) throw new Error('lease revocation failed');
      revoked.push(entries.map((entry) => entry.accessor));
    },
    ...options,
  });
  const root = await store.createRoot();
  const backend = createTokenBackend(store, { now: () => clock.now });
  let ids = 0;
  return {
    storage,
    clock,
    expiry,
    revoked,
    failRevoke,
    store,
    backend,
    root,
    child: (parent, params = {}) => store.create(parent, { path: 'auth/token/create', ...params }),
    call: (operation, path, token, data = {}, sudo) =>
      backend.handleRequest(
        makeRequest(
          {
            operation,
            path,
            data,
            clientToken: token,
            mountPoint: 'auth/token/',
            ...(sudo === undefined ? {} : { sudo }),
          },
          () => `req-${++ids}`,
        ),
      ),
  };
}

/** Every stored byte of `storage`, keys and values, as one string. */
export async function dumpStorage(storage: InmemStorage): Promise<string> {
  const parts: string[] = [];
  for (const path of storage.paths()) {
    const value = await storage.get(path);
    parts.push(path, Buffer.from(value ?? new Uint8Array()).toString('latin1'));
  }
  return parts.join('\n');
}
