/**
 * Errors a {@link RaftNode} rejects its callers' promises with. Each has a stable `code` and the
 * HTTP status the API layer answers with when nothing above translates it. Causes from the core
 * or storage travel as `cause`.
 */
import { CofferError } from '../../util/errors.js';
import type { NodeId } from '../core/types.js';
import type { NodeMeta } from './types.js';

/** Base class of every node error. */
export abstract class NodeError extends CofferError {
  constructor(message: string, fields: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, fields, options);
    this.name = new.target.name;
  }
}

/** Thrown by the constructor for options that cannot work. */
export class NodeConfigError extends NodeError {
  readonly code = 'node_config_invalid';
  readonly httpStatus = 500;
}

/**
 * Thrown by `propose`, membership changes and transfers on a node that does not lead. `leader`
 * (with its addresses, when known) is where the caller should go instead.
 */
export class NotLeaderError extends NodeError {
  readonly code = 'not_leader';
  readonly httpStatus = 503;

  constructor(
    readonly leader: NodeId | null,
    readonly leaderMeta: NodeMeta | null,
  ) {
    super(leader === null ? 'no leader is known' : 'this node is not the leader', { leader });
  }
}

/** Thrown by `readIndex` when no leader could confirm the read (none known, or it stepped down). */
export class NoLeaderError extends NodeError {
  readonly code = 'no_leader';
  readonly httpStatus = 503;

  constructor(message = 'no leader could serve the read') {
    super(message);
  }
}

/**
 * Thrown by `propose` when another entry was applied at the index the proposal got: it was
 * overwritten by a new leader and will never apply. Safe to retry.
 */
export class ProposalLostError extends NodeError {
  readonly code = 'proposal_lost';
  readonly httpStatus = 503;

  constructor(index: number, term: number) {
    super('the proposal was overwritten by another leader', { index, term });
  }
}

/**
 * Thrown by `propose` when a snapshot from the leader covered the proposal's index before this
 * node applied it: it may or may not have been committed.
 */
export class ProposalOutcomeUnknownError extends NodeError {
  readonly code = 'proposal_outcome_unknown';
  readonly httpStatus = 503;

  constructor(index: number, term: number) {
    super('a snapshot covered the proposal before it applied here', { index, term });
  }
}

/** Thrown when the core refuses a proposal for now (transfer under way, budget spent). */
export class ProposalRefusedError extends NodeError {
  readonly code = 'proposal_refused';
  readonly httpStatus = 503;

  constructor(
    readonly reason: string,
    cause: unknown,
  ) {
    super('the leader refused the proposal', { reason }, { cause });
  }
}

/** Thrown when an operation did not finish in time; a write's outcome is then unknown. */
export class NodeTimeoutError extends NodeError {
  readonly code = 'node_timeout';
  readonly httpStatus = 503;

  constructor(
    readonly operation: 'propose' | 'read' | 'membership' | 'transfer',
    timeoutMs: number,
  ) {
    super(`${operation} timed out`, { operation, timeoutMs });
  }
}

/** Thrown for everything pending or new once the node stopped, was removed or failed. */
export class NodeStoppedError extends NodeError {
  readonly code = 'node_stopped';
  readonly httpStatus = 503;

  constructor(
    readonly reason: 'stopped' | 'removed' | 'failed',
    cause?: unknown,
  ) {
    super(`the raft node is ${reason}`, { reason }, { cause });
  }
}

/**
 * Thrown by `addLearner`, `promote` and `removeNode` when the change cannot be made: it makes
 * no sense for the membership (`invalid`, HTTP 400), or another change stayed in flight until
 * the timeout (`in_flight`, HTTP 409).
 */
export class MembershipChangeError extends NodeError {
  readonly code = 'membership_change_refused';
  readonly httpStatus: number;

  constructor(
    readonly reason: 'in_flight' | 'leader_not_ready' | 'invalid' | 'unknown_member',
    message: string,
    cause?: unknown,
  ) {
    super(message, { reason }, { cause });
    this.httpStatus = reason === 'invalid' || reason === 'unknown_member' ? 400 : 409;
  }
}

/** Thrown by `transferLeadership` and `stepDown` when leadership cannot move to the target. */
export class TransferRefusedError extends NodeError {
  readonly code = 'transfer_refused';
  readonly httpStatus = 409;

  constructor(message: string, fields: Record<string, unknown> = {}, cause?: unknown) {
    super(message, fields, { cause });
  }
}
