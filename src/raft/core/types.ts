/**
 * The shapes that cross the Raft core's boundary: log entries, hard state, snapshots, messages
 * between peers and the {@link Ready} batch the driver acts on. Everything here is plain data
 * (numbers, strings, `Uint8Array`), so it can be encoded with msgpackr for disk and wire as is.
 */

/** A node's identity in the cluster, e.g. `node1`. Stable for the life of the node's data. */
export type NodeId = string;

/** The members of the cluster at one point of the log. */
export interface ConfState {
  /** Nodes that vote and count towards quorums. */
  voters: NodeId[];
  /** Nodes that receive the log but neither vote nor count towards quorums. */
  learners: NodeId[];
}

/**
 * One membership change. `add-voter` on an existing learner promotes it.
 * `context` is opaque to the core: the application puts the node's addresses there.
 */
export interface ConfChange {
  type: 'add-learner' | 'add-voter' | 'remove';
  nodeId: NodeId;
  context?: Uint8Array;
}

/** An application command. An empty `data` is the no-op a new leader appends. */
export interface NormalEntry {
  kind: 'normal';
  term: number;
  index: number;
  data: Uint8Array;
}

/**
 * A membership change. It takes effect on every node as soon as it is in that node's log,
 * committed or not (Raft dissertation §4.1); `config` is the whole resulting membership, so a
 * node can learn the configuration from the newest config entry alone.
 */
export interface ConfigEntry {
  kind: 'config';
  term: number;
  index: number;
  change: ConfChange | null;
  config: ConfState;
}

export type Entry = NormalEntry | ConfigEntry;

/** What must survive a crash, besides the log: written before any message that depends on it. */
export interface HardState {
  term: number;
  /** The candidate this node voted for in `term`, or null. */
  vote: NodeId | null;
  commit: number;
}

export interface SnapshotMeta {
  /** The last log index the snapshot covers. */
  index: number;
  /** The term of the entry at `index`. */
  term: number;
  /** The membership as of `index`. */
  config: ConfState;
}

/** A state-machine snapshot. `data` is opaque to the core. */
export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

/** The reasons a follower turns down an append; used for fast backtracking. */
export interface RejectHint {
  /** The index the follower suggests the leader probes next at... */
  index: number;
  /** ...whose term, in the follower's log, is this (0 when the follower has no entry there). */
  term: number;
}

interface MessageBase {
  from: NodeId;
  to: NodeId;
  /** The sender's term; for pre-votes, the term the sender would campaign in. */
  term: number;
}

/** RequestVote (Raft §5.2) and its pre-vote twin (dissertation §9.6). */
export interface VoteRequest extends MessageBase {
  type: 'vote' | 'pre-vote';
  lastLogIndex: number;
  lastLogTerm: number;
  /** Set when the campaign follows a leadership transfer: voters ignore their leader lease. */
  transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  type: 'vote-resp' | 'pre-vote-resp';
  reject: boolean;
}

/** AppendEntries (Raft §5.3). */
export interface AppendRequest extends MessageBase {
  type: 'append';
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  commit: number;
}

export interface AppendResponse extends MessageBase {
  type: 'append-resp';
  reject: boolean;
  /** On success, the follower's last index matching the leader; on reject, the `prevIndex` refused. */
  index: number;
  /** On reject, where the leader should look next. */
  hint: RejectHint | null;
}

/**
 * A leader's heartbeat. `commit` is capped at what the follower is known to hold, and `readSeq`
 * identifies the newest pending read-index round this heartbeat confirms leadership for.
 */
export interface HeartbeatRequest extends MessageBase {
  type: 'heartbeat';
  commit: number;
  readSeq: number;
}

export interface HeartbeatResponse extends MessageBase {
  type: 'heartbeat-resp';
  readSeq: number;
}

/** InstallSnapshot (Raft §7). The driver may stream `snapshot.data` in chunks. */
export interface SnapshotRequest extends MessageBase {
  type: 'snapshot';
  snapshot: Snapshot;
}

/** Tells a caught-up voter to campaign at once: the last step of a leadership transfer. */
export interface TimeoutNowRequest extends MessageBase {
  type: 'timeout-now';
}

/** A follower asking the leader for a read index on behalf of read `id`. */
export interface ReadIndexRequest extends MessageBase {
  type: 'read-index';
  id: string;
}

/** The leader's answer: read `id` is linearizable once the follower has applied `index`. */
export interface ReadIndexResponse extends MessageBase {
  type: 'read-index-resp';
  id: string;
  index: number;
  reject: boolean;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotRequest
  | TimeoutNowRequest
  | ReadIndexRequest
  | ReadIndexResponse;

export type MessageType = Message['type'];

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** What a node believes about leadership; not persisted. */
export interface SoftState {
  role: Role;
  leader: NodeId | null;
  term: number;
}

/** A read that may be served once the local state machine has applied `index`. */
export interface ReadState {
  id: string;
  index: number;
}

/**
 * One batch of work from the core. The driver must act on the fields in this order, and only then
 * call `advance()`; no other call into the core may happen between `ready()` and `advance()`:
 *
 * 1. If `snapshot` is set, persist it and restore the state machine from it.
 * 2. Persist `entries` (each replaces any stored entry at the same index and everything after it)
 *    and `hardState` if set. When `mustSync` is true, fsync before going on. Only now is it safe
 *    to tell anyone about them.
 * 3. Send `messages`. A follower's acknowledgement to the leader is among them, so nothing is
 *    acknowledged before it is on disk. One exception: a leader whose Ready keeps its durable
 *    term and vote and has no snapshot may send before step 2 (dissertation §10.2.1), because
 *    the entries it counts for itself are applied only in a later Ready, after this write.
 * 4. Apply `committedEntries` to the state machine, in order. They may include entries from
 *    `entries` in the same batch, which step 2 has already made durable.
 * 5. Serve `readStates` once the applied index reaches each one's `index`; fail `droppedReads`.
 * 6. Call `advance()`.
 */
export interface Ready {
  /** Set when leadership or role changed since the last Ready. */
  softState: SoftState | null;
  /** Set when term, vote or commit changed since the last Ready. */
  hardState: HardState | null;
  /** A snapshot received from the leader, to persist and restore before anything else. */
  snapshot: Snapshot | null;
  /** Entries to persist; the first one's index may be at or below entries already stored. */
  entries: Entry[];
  /** True when `entries`, term or vote changed: the write must be fsynced before step 3. */
  mustSync: boolean;
  /** Messages to send after step 2. */
  messages: Message[];
  /** Committed entries to apply, in log order. */
  committedEntries: Entry[];
  /** Reads whose linearization point is known. */
  readStates: ReadState[];
  /** Reads the core could not serve (no leader, leadership lost): fail them to the client. */
  droppedReads: string[];
}

/** What a node starts from: whatever its storage held when it last stopped. */
export interface PersistedState {
  hardState: HardState;
  /** The newest snapshot, or null if the node never had one. */
  snapshot: Snapshot | null;
  /** The log entries after the snapshot, contiguous and in order. */
  entries: Entry[];
}
