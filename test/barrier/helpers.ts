// Shared fixtures for the barrier tests: an initialised and unsealed barrier over a memory
// store, and a store wrapper that can pause or meddle between a read and a write.
import { randomBytes } from 'node:crypto';

import { Barrier, type BarrierOptions } from '../../src/barrier/barrier.js';
import { MemoryStore } from '../../src/physical/memory-store.js';
import type { BatchOp, PhysicalStore } from '../../src/physical/types.js';

export const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);
export const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

export interface BarrierFixture {
  store: MemoryStore;
  barrier: Barrier;
  unsealKey: Buffer;
}

/** A fresh memory store with an initialised, unsealed barrier on it. */
export async function unsealedBarrier(options: BarrierOptions = {}): Promise<BarrierFixture> {
  const store = new MemoryStore();
  const barrier = new Barrier(store, options);
  const unsealKey = randomBytes(32);
  await barrier.initialize(unsealKey);
  await barrier.unseal(unsealKey);
  return { store, barrier, unsealKey };
}

/** True when `needle` occurs anywhere in `haystack`. */
export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) !== -1;
}

/**
 * A PhysicalStore that forwards to a MemoryStore but lets a test run code before a call
 * completes: `beforeGet` runs after the read and before the caller sees it, `beforeBatch` runs
 * before the batch is applied.
 */
export class HookedStore implements PhysicalStore {
  beforeGet: ((key: string) => Promise<void>) | null = null;
  beforeBatch: ((ops: readonly BatchOp[]) => Promise<void>) | null = null;

  constructor(readonly inner: MemoryStore = new MemoryStore()) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const value = await this.inner.get(key);
    await this.beforeGet?.(key);
    return value;
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.inner.put(key, value);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    await this.beforeBatch?.(ops);
    return this.inner.batch(ops);
  }
}
