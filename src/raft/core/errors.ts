/**
 * Errors the Raft core returns to its caller for requests it cannot take. Each has a stable
 * `code` the layers above map to HTTP statuses. A broken internal invariant is not among them:
 * that is an `InvariantError` from src/util/assert.ts and stops the node.
 */
import type { NodeId } from './types.js';

/** Base class: every core error has a stable machine-readable code. */
export abstract class RaftError extends Error {
  abstract readonly code: string;
}

/**
 * Thrown by `propose`, `proposeConfChange` and `transferLeadership` on a node that is not the
 * leader. `leader` is the node it believes leads now, if any, so callers can redirect.
 */
export class NotLeaderError extends RaftError {
  readonly code = 'not_leader';

  constructor(readonly leader: NodeId | null) {
    super(leader === null ? 'no leader is known' : `not the leader; the leader is ${leader}`);
    this.name = 'NotLeaderError';
  }
}

/**
 * Thrown by `propose` when the leader will not take more work now: a leadership transfer is
 * under way, or the uncommitted tail of the log is over its byte budget. Retrying later is safe.
 */
export class ProposalDroppedError extends RaftError {
  readonly code = 'proposal_dropped';

  constructor(readonly reason: 'transferring' | 'uncommitted_limit' | 'empty') {
    super(`proposal dropped: ${reason.replace('_', ' ')}`);
    this.name = 'ProposalDroppedError';
  }
}

/**
 * Thrown by `proposeConfChange` when the change cannot start. `reason` says why:
 * - `in_flight`: another membership change is not committed yet (HTTP 409);
 * - `leader_not_ready`: the leader has not committed an entry of its own term yet (retry);
 * - `invalid`: the change makes no sense for the current membership (HTTP 400).
 */
export class ConfChangeError extends RaftError {
  readonly code = 'conf_change_refused';

  constructor(
    readonly reason: 'in_flight' | 'leader_not_ready' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'ConfChangeError';
  }
}

/** Thrown by `transferLeadership` when the target cannot take over. */
export class TransferError extends RaftError {
  readonly code = 'transfer_refused';

  constructor(message: string) {
    super(message);
    this.name = 'TransferError';
  }
}

/** Thrown by `createSnapshot` for an index the core cannot snapshot at. */
export class SnapshotError extends RaftError {
  readonly code = 'snapshot_refused';

  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}
