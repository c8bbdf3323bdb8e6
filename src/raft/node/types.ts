/**
 * The shapes a {@link RaftNode} is built from and reports: its options, the state machine it
 * drives, the addresses it keeps per member, and its status for the HTTP layer.
 */
import type { RaftOptions } from '../core/config.js';
import type { ConfState, NodeId, Role } from '../core/types.js';
import type { RaftStorage } from '../../storage/raft-storage.js';
import type { Transport } from '../transport/types.js';
import type { Logger } from '../../util/logger.js';

/** Where a member can be reached. Travels msgpackr-encoded in a ConfChange's `context`. */
export interface NodeMeta {
  /** The `host:port` of the member's cluster (Raft transport) listener. */
  clusterAddr: string;
  /** The base URL or `host:port` of the member's client API listener. */
  apiAddr: string;
}

/** One application command handed to the state machine: a committed normal entry. */
export interface AppliedCommand {
  index: number;
  term: number;
  data: Uint8Array;
}

/** Where a state-machine snapshot (or a restored one) stands in the log. */
export interface StateMachineSnapshotMeta {
  index: number;
  term: number;
}

/**
 * The replicated application the node drives. The node calls it from its single loop, never
 * concurrently with itself, so an implementation needs no locking against the node.
 *
 * Contract:
 * - `apply` is deterministic: every node applies the same commands in the same order and must
 *   end in the same state with the same results. It is given only application commands; the
 *   leader's empty entries and membership entries are counted applied without reaching it.
 *   A command the application cannot use must become a result, not a throw: a throw is fatal
 *   (the node stops), since skipping an entry would make the replicas diverge.
 * - `snapshot` captures the state as of the last command applied, synchronously, before its
 *   first await: the node goes on applying commands while the promise is pending, and none of
 *   them may show in what it resolves to (a LevelDB snapshot, or a copy made at the call).
 * - `restore` discards all prior state and replaces it with a snapshot's.
 * - `appliedIndex`, if present, makes the machine durable: it returns the index of the last
 *   command (or restored snapshot) whose effects survive a crash, written atomically with them.
 *   The node then skips, after a restart, what the machine already holds.
 */
export interface StateMachine<R = unknown> {
  /** Applies commands in order and returns one result per command. */
  apply(commands: readonly AppliedCommand[]): Promise<R[]>;
  /** Serialises the current state. */
  snapshot(): Promise<Uint8Array>;
  /** Replaces the whole state with `data`, taken at `meta`. */
  restore(data: Uint8Array, meta: StateMachineSnapshotMeta): Promise<void>;
  /** The index of the last durable command or snapshot, for a durable machine. */
  appliedIndex?(): number;
}

/** The Raft core options a node passes through; `random` defaults to `Math.random`. */
export type NodeRaftOptions = Partial<Omit<RaftOptions, 'id' | 'applied' | 'logger'>>;

export interface RaftNodeOptions<R = unknown> {
  /** This node's id; must match the transport's. */
  id: NodeId;
  storage: RaftStorage;
  transport: Transport;
  stateMachine: StateMachine<R>;
  /** Milliseconds per Raft tick. Default 100. */
  tickMs?: number;
  /** Tunables of the Raft core (election and heartbeat ticks, batching limits...). */
  raft?: NodeRaftOptions;
  logger?: Logger;
  /** Entries applied since the last snapshot before a new one is taken. Default 8192. */
  snapshotThreshold?: number;
  /**
   * Least time between two snapshots, in ms; each wait is drawn between this and twice this, so
   * that the members of a cluster do not all snapshot at once (Vault's `snapshot_interval`).
   * A snapshot is taken once both this time has passed and `snapshotThreshold` entries were
   * applied. Counted in ticks. Default 0: at the threshold alone.
   */
  snapshotIntervalMs?: number;
  /** Log entries kept behind a snapshot, so a follower a little behind needs none. Default 1024. */
  keepEntries?: number;
  /**
   * The founding voters and their addresses, for a node that founds a cluster; every founding
   * node must be given the same voters. The cluster is bootstrapped only on empty storage, but
   * the addresses seed the directory on every start (until the log says otherwise), so a
   * founding node should be given them on every start, as its configuration would.
   */
  bootstrap?: ReadonlyMap<NodeId, NodeMeta>;
  /**
   * Members already known, e.g. from a join response, for a node joining an existing cluster.
   * The lowest-priority source of addresses: what the log and snapshots say wins.
   */
  peers?: ReadonlyMap<NodeId, NodeMeta>;
  /** This node's own addresses, reported in `status()` until the log says otherwise. */
  meta?: NodeMeta;
  /** Milliseconds before a proposal or membership change rejects. Default 10 000. */
  proposalTimeoutMs?: number;
  /** Milliseconds before a read index rejects. Default 5 000. */
  readTimeoutMs?: number;
  /** A learner marked for promotion is promoted once within this many entries. Default 64. */
  promoteLag?: number;
}

/** The lifecycle of a node; every state after `running` is final. */
export type NodeState = 'starting' | 'running' | 'stopped' | 'removed' | 'failed';

export interface MemberStatus {
  id: NodeId;
  meta: NodeMeta | null;
}

export interface PeerProgress {
  match: number;
  next: number;
  state: string;
}

/**
 * What a leader's driver knows of a member beyond the core's progress, for health reports
 * (`sys/storage/raft/autopilot/state`). The wall clock lives here, never in the core.
 */
export interface PeerContact {
  /** `Date.now()` when the last message from the member arrived; null: none since this start. */
  lastHeardAt: number | null;
  /**
   * The term of the entry at the member's match index in this log, null once compacted away;
   * for this node, the term of its last entry.
   */
  matchTerm: number | null;
}

/** What `RaftNode.status()` reports, for the HTTP layer and operators. */
export interface NodeStatus {
  id: NodeId;
  state: NodeState;
  role: Role;
  term: number;
  leader: NodeId | null;
  leaderMeta: NodeMeta | null;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  voters: MemberStatus[];
  learners: MemberStatus[];
  /** Per member, when this node leads; empty otherwise. */
  progress: Record<NodeId, PeerProgress>;
  /** Per member (this node included), when this node leads; empty otherwise. */
  contact: Record<NodeId, PeerContact>;
}

/** Options of `RaftNode.addLearner`. */
export interface AddLearnerOptions {
  /** Let the leader promote the learner to voter once it has caught up. */
  promoteWhenCaughtUp?: boolean;
}

/** The events a node emits, with their arguments. */
export type NodeEvents = {
  /** Leadership as this node sees it changed. */
  leader: [leader: NodeId | null, term: number];
  /** A committed membership change was applied. */
  membership: [config: ConfState];
  /** A snapshot from the leader replaced the state machine. */
  'snapshot-restored': [index: number];
  /** This node took a snapshot and compacted its log. */
  'snapshot-taken': [index: number];
  /** This node learned it is no longer a member; it stopped taking part. */
  removed: [info: { index: number; by: NodeId }];
  /** A broken invariant or damaged storage stopped the node. */
  fatal: [error: Error];
  /** The node stopped (after `stop()`, removal or a fatal error). */
  stopped: [];
};

/** A handler for one request channel multiplexed over the transport. */
export type ChannelHandler = (from: NodeId, payload: Uint8Array) => Promise<Uint8Array>;
