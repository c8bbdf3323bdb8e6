/**
 * The physical store a node's core runs on, which can change once: from the records a join
 * challenge brought (held in memory, read-only) to the replicated store (DESIGN.md "Seal,
 * barrier, join").
 *
 * A node that joins a cluster has no data of its own until the leader adds it. Until then its
 * core must still report the cluster's seal (`sys/seal-status` says initialised, with `t` and
 * `n`) and take the operator's unseal shares, which needs the seal configuration, the root key
 * and the keyring: the leader hands over their stored bytes with the challenge, and they are
 * served from here. Nothing is written in that phase: a write would be lost at the switch, so
 * it is refused. Once the node is a member, {@link SwitchablePhysicalStore.switchTo} points every
 * later call at the replicated store for good.
 *
 * A founding node, or one restarting with Raft data, switches before its core is used at all.
 *
 * It offers the replicated store's read barrier (src/vault/request-reads.ts), so that the core
 * takes one read index per API request and serves the request's other reads locally; without
 * it, every read would wait for a read index of its own. Before the switch there is nothing to
 * linearize against: the barrier resolves at once.
 */
import { MemoryStore } from '../physical/memory-store.js';
import { PhysicalUnavailableError } from '../physical/errors.js';
import { assertValidBatch, assertValidKey } from '../physical/semantics.js';
import type { BatchOp, PhysicalStore } from '../physical/types.js';
import { hasReadBarrier, type BarrierReadStore } from '../vault/request-reads.js';

export type SwitchablePhase = 'joining' | 'replicated';

export class SwitchablePhysicalStore implements BarrierReadStore {
  private target: PhysicalStore = new MemoryStore();
  private replicated = false;

  /** `joining` until {@link SwitchablePhysicalStore.switchTo}, `replicated` after. */
  get phase(): SwitchablePhase {
    return this.replicated ? 'replicated' : 'joining';
  }

  /**
   * Joining phase only: replaces what is served with exactly `records` (path → stored bytes),
   * as a new join challenge brought them.
   * @throws Error when the store was switched already (a bug in the caller).
   */
  async seed(records: ReadonlyMap<string, Uint8Array>): Promise<void> {
    if (this.replicated) throw new Error('the store was switched to the replicated store');
    const memory = new MemoryStore();
    for (const [key, value] of records) await memory.put(key, value);
    this.target = memory;
  }

  /** Serves every later call from `store`; a store switches once, and for good. */
  switchTo(store: PhysicalStore): void {
    if (this.replicated) throw new Error('the store was switched already');
    this.target = store;
    this.replicated = true;
  }

  readBarrier(): Promise<void> {
    const target = this.target;
    return hasReadBarrier(target) ? target.readBarrier() : Promise.resolve();
  }

  get(key: string, options?: { stale?: boolean }): Promise<Uint8Array | undefined> {
    const target = this.target;
    return hasReadBarrier(target) ? target.get(key, options) : target.get(key);
  }

  list(prefix: string, options?: { stale?: boolean }): Promise<string[]> {
    const target = this.target;
    return hasReadBarrier(target) ? target.list(prefix, options) : target.list(prefix);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    assertValidKey(key);
    this.refuseWhileJoining();
    return this.target.put(key, value);
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    this.refuseWhileJoining();
    return this.target.delete(key);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    assertValidBatch(ops);
    this.refuseWhileJoining();
    return this.target.batch(ops);
  }

  private refuseWhileJoining(): void {
    if (!this.replicated) {
      throw new PhysicalUnavailableError('this node stores nothing until it has joined a cluster');
    }
  }
}
