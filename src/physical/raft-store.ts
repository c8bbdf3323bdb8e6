/**
 * The replicated {@link PhysicalStore}: writes are Raft proposals, applied by a
 * {@link KvStateMachine} on every node; reads are served from the local state machine after a
 * read index, so they are linearizable on followers too (DESIGN.md "The read path").
 *
 * On a follower, writes are forwarded to the leader over the node's `physical` request channel
 * and proposed there; the leader answers with the apply result. A forwarded write is never
 * forwarded again: a node that stopped leading in between refuses it, and the caller sees
 * `PhysicalUnavailableError`. A forwarded write resolves once this node has applied it too.
 *
 * {@link RaftPhysicalStore.readBarrier} lets a caller take one read index and then serve many
 * reads locally with `{ stale: true }` (the core does so once per API request).
 */
import type { NodeId } from '../raft/core/types.js';
import { NodeError, NotLeaderError } from '../raft/node/errors.js';
import type { RaftNode } from '../raft/node/raft-node.js';
import { silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { ConditionFailedError, PhysicalError, PhysicalUnavailableError } from './errors.js';
import { assertValidBatch, assertValidKey, assertValidPrefix } from './semantics.js';
import { decodeResult, decodeWrite, encodeResult, encodeWrite } from './state-machine.js';
import type { KvStateMachine, WriteResult } from './state-machine.js';
import type { BatchOp, PhysicalStore } from './types.js';

/** The node request channel that carries forwarded writes. */
export const PHYSICAL_CHANNEL = 'physical';

export interface RaftPhysicalStoreOptions {
  /** The node whose state machine is `stateMachine`. */
  node: RaftNode<WriteResult>;
  stateMachine: KvStateMachine;
  /** Forward writes made on a follower to the leader. Default true. */
  forwardWrites?: boolean;
  /** Milliseconds a forwarded write may take. Default 10 000. */
  forwardTimeoutMs?: number;
  logger?: Logger;
}

/** Options of `get` and `list`. */
export interface ReadOptions {
  /**
   * Skip the read index and answer from what this node has applied: faster, and possibly
   * behind the leader (for reads that tolerate that, such as a follower's health page).
   */
  stale?: boolean;
}

export class RaftPhysicalStore implements PhysicalStore {
  private readonly node: RaftNode<WriteResult>;
  private readonly machine: KvStateMachine;
  private readonly forwardWrites: boolean;
  private readonly forwardTimeoutMs: number;
  private readonly log: Logger;
  /** The read index round in flight, shared by {@link RaftPhysicalStore.readBarrier} callers. */
  private round: Promise<void> | null = null;
  /** The round that starts once `round` settles; callers arriving meanwhile join it. */
  private nextRound: Promise<void> | null = null;

  constructor(options: RaftPhysicalStoreOptions) {
    this.node = options.node;
    this.machine = options.stateMachine;
    this.forwardWrites = options.forwardWrites ?? true;
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? 10_000;
    this.log = options.logger ?? silentLogger;
    this.node.handle(PHYSICAL_CHANNEL, (from, payload) => this.serveForwarded(from, payload));
  }

  async get(key: string, options: ReadOptions = {}): Promise<Uint8Array | undefined> {
    assertValidKey(key);
    await this.linearize(options);
    return this.machine.get(key);
  }

  async list(prefix: string, options: ReadOptions = {}): Promise<string[]> {
    assertValidPrefix(prefix);
    await this.linearize(options);
    return this.machine.list(prefix);
  }

  /**
   * Resolves once this node has applied everything committed before the call: afterwards a
   * `{ stale: true }` read is linearizable with respect to the moment of the call. Concurrent
   * callers share read index rounds, but only a round that starts after a caller arrived
   * serves it: a caller arriving while a round is in flight waits for the next one, which
   * starts when that round settles and serves everyone who arrived in between. Throws
   * `PhysicalUnavailableError` when no read index can be had (no leader, timeout).
   */
  readBarrier(): Promise<void> {
    if (this.nextRound !== null) return this.nextRound;
    const current = this.round;
    if (current === null) return this.startRound();
    const next = current
      .then(noop, noop)
      .then(() => {
        this.nextRound = null;
        return this.startRound();
      });
    this.nextRound = next;
    return next;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    assertValidKey(key);
    await this.batch([{ type: 'put', key, value }]);
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.batch([{ type: 'delete', key }]);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    assertValidBatch(ops);
    if (ops.length === 0) return;
    const result = await this.write(encodeWrite(ops));
    if (result.ok) return;
    if (result.failure === 'condition') throw new ConditionFailedError(result.index, result.key);
    throw new PhysicalUnavailableError('the replicated store refused a malformed write');
  }

  /** Stops serving forwarded writes. The node and state machine are closed by their owner. */
  close(): void {
    this.node.handle(PHYSICAL_CHANNEL, null);
  }

  private startRound(): Promise<void> {
    const round = this.linearize({}).finally(() => {
      if (this.round === round) this.round = null;
    });
    this.round = round;
    return round;
  }

  private async linearize(options: ReadOptions): Promise<void> {
    if (options.stale === true) return;
    try {
      await this.node.readIndex();
    } catch (err) {
      throw unavailable('no linearizable read is possible now', err);
    }
  }

  private async write(command: Uint8Array): Promise<WriteResult> {
    try {
      return await this.node.propose(command);
    } catch (err) {
      if (err instanceof NotLeaderError && err.leader !== null && this.forwardWrites) {
        const result = await this.forward(err.leader, command);
        // The leader answered after applying the write there; wait until it is applied here
        // too, so that a local read right after the write sees it. The write is committed
        // whatever happens to this wait, so a failure of it is only logged.
        await this.readBarrier().catch((cause: unknown) => {
          this.log.warn({ err: cause }, 'could not wait for a forwarded write to apply here');
        });
        return result;
      }
      throw unavailable('the write could not be committed', err);
    }
  }

  private async forward(leader: NodeId, command: Uint8Array): Promise<WriteResult> {
    let answer: Uint8Array;
    try {
      answer = await this.node.request(leader, PHYSICAL_CHANNEL, command, this.forwardTimeoutMs);
    } catch (err) {
      throw unavailable('the write forwarded to the leader failed', err, { leader });
    }
    try {
      return decodeResult(answer);
    } catch (err) {
      throw unavailable('the leader answered a forwarded write with garbage', err, { leader });
    }
  }

  /** The leader's side of a forwarded write: propose it here and return the apply result. */
  private async serveForwarded(from: NodeId, command: Uint8Array): Promise<Uint8Array> {
    if (decodeWrite(command) === null) {
      this.log.warn({ from }, 'refused a malformed forwarded write');
      throw new PhysicalUnavailableError('malformed forwarded write');
    }
    return encodeResult(await this.node.propose(command));
  }
}

function noop(): void {}

/** Wraps a node failure in the store's contract error, keeping its code and the leader. */
function unavailable(message: string, err: unknown, fields: Record<string, unknown> = {}): Error {
  if (err instanceof PhysicalError) return err;
  const extra: Record<string, unknown> = { ...fields };
  if (err instanceof NodeError) extra.reason = err.code;
  if (err instanceof NotLeaderError) {
    extra.leader = err.leader;
    extra.leaderApiAddr = err.leaderMeta?.apiAddr ?? null;
  }
  return new PhysicalUnavailableError(message, extra, { cause: err });
}
