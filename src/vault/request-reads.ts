/**
 * One linearization point per API request. A replicated store makes every plain read wait for
 * a read index; a request that reads the token, a metadata record and a version would pay that
 * three times. Instead the core runs each request inside a {@link RequestReads.run} scope: the
 * first storage read in it takes one read barrier (a read index round that started after the
 * request arrived), and every later read of the same request is served from this node's state
 * machine without another round. The reads are then linearizable with respect to the request's
 * start, which is what Vault clients rely on.
 *
 * The scope travels with the request's async calls (`AsyncLocalStorage`), so the barrier, the
 * token store and the engines keep their shape: they see a plain {@link PhysicalStore}. Reads
 * outside any request (unseal, background work) take a read index each, as before. Writes are
 * untouched: they stay Raft proposals, and a request's reads after its own write see it (a
 * write resolves only once this node has applied it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import type { BatchOp, PhysicalStore } from '../physical/types.js';
import { ForwardRequiredError } from './errors.js';

/**
 * A physical store that can take one read barrier and then serve reads locally: the replicated
 * store (src/physical/raft-store.ts) is one.
 */
export interface BarrierReadStore extends PhysicalStore {
  /** Resolves once a read index taken after the call is applied on this node. */
  readBarrier(): Promise<void>;
  get(key: string, options?: { stale?: boolean }): Promise<Uint8Array | undefined>;
  list(prefix: string, options?: { stale?: boolean }): Promise<string[]>;
}

/** True when `store` offers {@link BarrierReadStore.readBarrier}. */
export function hasReadBarrier(store: PhysicalStore): store is BarrierReadStore {
  return typeof (store as Partial<BarrierReadStore>).readBarrier === 'function';
}

/** Read options for a read the scope's barrier already covers. */
const STALE = { stale: true } as const;

/** The state of one request's scope. */
interface RequestScope {
  /** The request's barrier, once its first read asked for it. */
  barrier: Promise<void> | null;
  /** True once the barrier has resolved: later reads need not wait on it again. */
  passed: boolean;
  /** A follower serving a read itself: any write means the leader must serve the request. */
  readOnly: boolean;
}

/**
 * Wraps a physical store so that reads inside a {@link RequestReads.run} scope share one read
 * barrier. Over a store without {@link BarrierReadStore.readBarrier} (the memory store, which is
 * linearizable by itself) it passes every call through.
 */
export class RequestReads implements PhysicalStore {
  private readonly scopes = new AsyncLocalStorage<RequestScope>();
  private readonly barrierStore: BarrierReadStore | null;

  constructor(private readonly inner: PhysicalStore) {
    this.barrierStore = hasReadBarrier(inner) ? inner : null;
  }

  /**
   * Runs `work` as one request: its storage reads are linearized by one read barrier, taken at
   * its first read. A scope nested in another one starts its own barrier.
   */
  run<T>(work: () => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
    const scope = { barrier: null, passed: false, readOnly: options.readOnly ?? false };
    return this.scopes.run(scope, work);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const store = this.barrierStore;
    const scope = this.scopes.getStore();
    if (store === null || scope === undefined) return this.inner.get(key);
    if (!scope.passed) await this.satisfy(store, scope);
    return store.get(key, STALE);
  }

  async list(prefix: string): Promise<string[]> {
    const store = this.barrierStore;
    const scope = this.scopes.getStore();
    if (store === null || scope === undefined) return this.inner.list(prefix);
    if (!scope.passed) await this.satisfy(store, scope);
    return store.list(prefix, STALE);
  }

  put(key: string, value: Uint8Array): Promise<void> {
    this.refuseInReadOnlyScope();
    return this.inner.put(key, value);
  }

  delete(key: string): Promise<void> {
    this.refuseInReadOnlyScope();
    return this.inner.delete(key);
  }

  batch(ops: readonly BatchOp[]): Promise<void> {
    this.refuseInReadOnlyScope();
    return this.inner.batch(ops);
  }

  private refuseInReadOnlyScope(): void {
    if (this.scopes.getStore()?.readOnly === true) throw new ForwardRequiredError();
  }

  /** Waits for the scope's barrier; a failed one is dropped so a later read may try again. */
  private async satisfy(store: BarrierReadStore, scope: RequestScope): Promise<void> {
    let barrier = scope.barrier;
    if (barrier === null) {
      barrier = store.readBarrier();
      scope.barrier = barrier;
    }
    try {
      await barrier;
      scope.passed = true;
    } catch (err) {
      if (scope.barrier === barrier) scope.barrier = null;
      throw err;
    }
  }
}
