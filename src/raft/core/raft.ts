/**
 * The Raft consensus algorithm as a pure, deterministic state machine.
 *
 * A `Raft` never does I/O, reads a clock or draws unseeded randomness. The driver feeds it
 * logical time with {@link Raft.tick}, peer messages with {@link Raft.step}, and requests with
 * {@link Raft.propose}, {@link Raft.proposeConfChange}, {@link Raft.readIndex} and
 * {@link Raft.transferLeadership}; it then collects the resulting work with {@link Raft.ready},
 * carries it out in the order the {@link Ready} contract gives, and calls {@link Raft.advance}.
 *
 * Beyond the Raft paper (Ongaro & Ousterhout 2014) it implements pre-vote and check-quorum
 * (dissertation §9.6), single-server membership changes with learners (dissertation §4), read
 * index (dissertation §6.4), leadership transfer (dissertation §3.10), snapshots (§7), batched
 * and pipelined replication with fast backtracking (§5.3).
 */
import { invariant } from '../../util/assert.js';
import type { Logger } from '../../util/logger.js';
import { randomInt } from '../../util/random.js';
import { resolveOptions } from './config.js';
import type { RaftOptions, ResolvedRaftOptions } from './config.js';
import { ConfChangeError, NotLeaderError, ProposalDroppedError, SnapshotError, TransferError } from './errors.js';
import { RaftLog, entrySize } from './log.js';
import { Progress } from './progress.js';
import { quorumIndex, quorumSize } from './quorum.js';
import { ReadIndexQueue } from './read-index.js';
import { isWellFormed } from './validate.js';
import type {
  AppendRequest,
  AppendResponse,
  ConfChange,
  ConfState,
  Entry,
  HardState,
  HeartbeatRequest,
  HeartbeatResponse,
  Message,
  NodeId,
  PersistedState,
  ReadIndexResponse,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotRequest,
  SoftState,
  VoteRequest,
} from './types.js';

type Campaign = 'pre-vote' | 'vote' | 'transfer';

export class Raft {
  readonly id: NodeId;
  private readonly opts: ResolvedRaftOptions;
  private readonly log: Logger;
  readonly raftLog: RaftLog;

  // Persistent state (Raft Figure 2), written out through Ready.hardState.
  private term: number;
  private vote: NodeId | null;

  // Volatile state.
  private role: Role = 'follower';
  private leader: NodeId | null = null;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Votes received in the current (pre-)campaign: true = granted. */
  private votes = new Map<NodeId, boolean>();
  /** The leader's view of each member (itself included). */
  private progress = new Map<NodeId, Progress>();
  private configVersionSeen = -1;
  private leadTransferee: NodeId | null = null;
  /** Bytes proposed and not yet committed, for the leader's budget. */
  private uncommittedBytes = 0;
  private readonly reads: ReadIndexQueue;
  /** Reads that arrived at a leader before it committed an entry of its own term. */
  private readsAwaitingCommit: { id: string; from: NodeId }[] = [];
  private readHeartbeatDue = false;
  /**
   * Entries the leader owes its followers. Sending is deferred to ready(), so every proposal made
   * between two Readies travels in one message per follower: this batching is where throughput
   * comes from. A new commit index is not broadcast on its own: followers learn it from their
   * next append or heartbeat (see {@link Raft.maybeCommit}).
   */
  private appendsDue = false;

  // Outputs gathered for the next Ready.
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private droppedReads: string[] = [];
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  /** Set between ready() and advance(); see the Ready contract. */
  private inFlight: { lastEntry: number; applyTo: number; snapshot: boolean } | null = null;

  constructor(options: RaftOptions, persisted: PersistedState) {
    this.opts = resolveOptions(options);
    this.id = this.opts.id;
    this.log = this.opts.logger;
    this.raftLog = new RaftLog(
      persisted.snapshot,
      persisted.entries,
      persisted.hardState.commit,
      this.opts.applied,
    );
    this.term = persisted.hardState.term;
    this.vote = persisted.hardState.vote;
    this.reads = new ReadIndexQueue();
    this.prevHardState = this.hardState();
    this.resetElectionTimeout();
    this.syncConfig();
    this.prevSoftState = this.softState();
    this.log.info(
      {
        term: this.term,
        commit: this.raftLog.committed,
        applied: this.raftLog.applied,
        lastIndex: this.raftLog.lastIndex(),
        config: this.raftLog.config(),
      },
      'raft node started',
    );
  }

  /**
   * Writes the first entry of a brand-new cluster: a config entry at index 1, term 1 making
   * `voters` the initial members. Every founding node must bootstrap with the same voters; a
   * node that will join an existing cluster later must not bootstrap at all.
   */
  bootstrap(voters: NodeId[]): void {
    this.assertNotInFlight();
    invariant(this.raftLog.lastIndex() === 0 && this.term === 0, 'bootstrap needs an empty log', {
      lastIndex: this.raftLog.lastIndex(),
      term: this.term,
    });
    invariant(voters.length > 0, 'bootstrap needs at least one voter');
    const config: ConfState = { voters: [...new Set(voters)].sort(), learners: [] };
    this.raftLog.append([{ kind: 'config', term: 1, index: 1, change: null, config }]);
    this.raftLog.commitTo(1);
    this.term = 1;
    this.syncConfig();
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  /** Advances logical time by one tick. */
  tick(): void {
    this.assertNotInFlight();
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /**
   * Feeds a message from a peer. Stale, malformed or misaddressed messages are dropped and
   * logged at debug level; they never throw.
   */
  step(m: Message): void {
    this.assertNotInFlight();
    if (!isWellFormed(m)) {
      this.log.debug({ term: this.term }, 'malformed message dropped');
      return;
    }
    if (m.to !== this.id || m.from === this.id) {
      this.drop(m, 'misaddressed');
      return;
    }

    // Term rules (Raft §5.1), with the pre-vote and check-quorum exceptions.
    if (m.term > this.term) {
      if ((m.type === 'vote' || m.type === 'pre-vote') && !m.transfer && this.inLease()) {
        this.drop(m, 'vote request while the leader lease holds');
        return;
      }
      if (m.type === 'pre-vote' || (m.type === 'pre-vote-resp' && !m.reject)) {
        // A pre-vote neither raises our term nor, when granted, the candidate's.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else if (m.type === 'vote' && this.role !== 'leader') {
        // Adopt the term but keep the election clock running: only a granted vote resets it
        // (Raft Figure 2, "Followers"). Otherwise stale candidates that keep losing could, one
        // after another, hold back the timeout of the only node able to win (soak seed 140967,
        // with pre-vote off).
        const elapsed = this.electionElapsed;
        this.becomeFollower(m.term, null);
        this.electionElapsed = elapsed;
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if (m.type === 'append' || m.type === 'heartbeat') {
        // A stale leader (cut off, then healed) learns our term from this and steps down;
        // without it pre-vote and check-quorum could leave it stuck (etcd raft, "stale leader").
        this.send({ type: 'append-resp', to: m.from, term: this.term, reject: false, index: 0, hint: null });
      } else if (m.type === 'pre-vote') {
        this.send({ type: 'pre-vote-resp', to: m.from, term: this.term, reject: true });
      } else {
        this.drop(m, 'stale term');
      }
      return;
    }

    switch (m.type) {
      case 'vote':
      case 'pre-vote':
        this.handleVoteRequest(m);
        return;
    }

    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  /**
   * Appends commands to the log on the leader and returns where the first one landed. The
   * commands are committed once the entry at the returned index has the returned term when
   * applied; if another term's entry is applied there instead, they were lost.
   *
   * @throws NotLeaderError on any node but the leader.
   * @throws ProposalDroppedError while a leadership transfer runs or the uncommitted budget is spent.
   */
  propose(commands: Uint8Array[]): { index: number; term: number } {
    this.assertNotInFlight();
    if (commands.length === 0) throw new ProposalDroppedError('empty');
    this.assertCanPropose();
    const first = this.raftLog.lastIndex() + 1;
    const entries: Entry[] = commands.map((data, i) => ({
      kind: 'normal',
      term: this.term,
      index: first + i,
      data,
    }));
    const bytes = entries.reduce((sum, e) => sum + entrySize(e), 0);
    const limit = this.opts.maxUncommittedBytes;
    if (limit > 0 && this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > limit) {
      throw new ProposalDroppedError('uncommitted_limit');
    }
    this.appendEntries(entries);
    return { index: first, term: this.term };
  }

  /**
   * Starts a membership change on the leader. Only one change may be uncommitted at a time, and
   * a new leader must first commit an entry of its own term (the fix to single-server changes
   * in Ongaro's raft-dev post of 2015). Returns the change's log position, as `propose` does.
   */
  proposeConfChange(change: ConfChange): { index: number; term: number } {
    this.assertNotInFlight();
    this.assertCanPropose();
    if (this.raftLog.term(this.raftLog.committed) !== this.term) {
      throw new ConfChangeError('leader_not_ready', 'the leader has not committed an entry of its term yet');
    }
    if (this.raftLog.lastConfigIndex() > this.raftLog.committed) {
      throw new ConfChangeError('in_flight', 'another membership change is in progress');
    }
    const config = applyChange(this.raftLog.config(), change);
    if (change.type === 'add-voter') this.assertReadyToVote(change.nodeId);
    const index = this.raftLog.lastIndex() + 1;
    this.appendEntries([{ kind: 'config', term: this.term, index, change, config }]);
    this.log.info({ change: change.type, nodeId: change.nodeId, index, term: this.term }, 'membership change proposed');
    return { index, term: this.term };
  }

  /**
   * Asks for the index a linearizable read with this `id` must wait for. The answer comes in a
   * later Ready's `readStates` (or `droppedReads` if leadership is lost). On a follower the
   * request goes to the leader (dissertation §6.4).
   */
  readIndex(id: string): void {
    this.assertNotInFlight();
    if (this.role === 'leader') {
      this.leaderReadIndex(id, this.id);
    } else if (this.leader !== null) {
      this.send({ type: 'read-index', to: this.leader, term: this.term, id });
    } else {
      this.droppedReads.push(id);
    }
  }

  /**
   * Hands leadership to a voter (dissertation §3.10): new proposals are refused, the target is
   * brought up to date and then told to campaign at once. Gives up after an election timeout.
   */
  transferLeadership(to: NodeId): void {
    this.assertNotInFlight();
    if (this.role !== 'leader') throw new NotLeaderError(this.leader);
    if (to === this.id) return;
    if (!this.raftLog.config().voters.includes(to)) {
      throw new TransferError(`${to} is not a voter and cannot lead`);
    }
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    this.log.info({ term: this.term, to }, 'leadership transfer started');
    const pr = this.progress.get(to)!;
    if (pr.match === this.raftLog.lastIndex()) {
      this.send({ type: 'timeout-now', to, term: this.term });
    } else {
      this.sendAppend(to, true);
    }
  }

  /**
   * Takes the application's snapshot of its state machine at `index` (at most the applied
   * index), makes it the snapshot sent to followers that need compacted entries, and drops log
   * entries up to `index - keepEntries`. The driver stores the returned snapshot and may then
   * delete the same entries from disk.
   */
  createSnapshot(index: number, data: Uint8Array, keepEntries = 0): Snapshot {
    this.assertNotInFlight();
    if (index > this.raftLog.applied) {
      throw new SnapshotError(`cannot snapshot at ${index}: only ${this.raftLog.applied} is applied`);
    }
    if (index < this.raftLog.firstIndex() - 1 || (this.raftLog.snapshot?.meta.index ?? 0) >= index) {
      throw new SnapshotError(`index ${index} is already covered by a snapshot`);
    }
    const snapshot = this.raftLog.compact(index, data, Math.max(0, keepEntries));
    this.log.info({ index, term: snapshot.meta.term }, 'snapshot taken');
    return snapshot;
  }

  /** The driver could not deliver to `to`: probe it again instead of streaming blindly. */
  reportUnreachable(to: NodeId): void {
    const pr = this.progress.get(to);
    if (this.role === 'leader' && pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  /** The driver finished (or failed) streaming a snapshot to `to`. */
  reportSnapshot(to: NodeId, ok: boolean): void {
    const pr = this.progress.get(to);
    if (this.role !== 'leader' || pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's answer (or the next heartbeat) before probing.
    pr.probeSent = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  /** Whether {@link ready} would return any work. */
  hasReady(): boolean {
    return (
      this.msgs.length > 0 ||
      this.readHeartbeatDue ||
      this.appendsDue ||
      this.raftLog.pendingSnapshot !== null ||
      this.raftLog.unstable().length > 0 ||
      this.raftLog.committed > this.raftLog.applied ||
      this.readStates.length > 0 ||
      this.droppedReads.length > 0 ||
      !sameHardState(this.hardState(), this.prevHardState) ||
      !sameSoftState(this.softState(), this.prevSoftState)
    );
  }

  /** Collects the pending work; see {@link Ready} for what to do with it. */
  ready(): Ready {
    this.assertNotInFlight();
    if (this.appendsDue) {
      if (this.role === 'leader') this.bcastAppend(false);
      this.appendsDue = false;
    }
    if (this.readHeartbeatDue) {
      this.readHeartbeatDue = false;
      this.bcastHeartbeat();
    }
    const hardState = this.hardState();
    const softState = this.softState();
    const entries = this.raftLog.unstable();
    const snapshot = this.raftLog.pendingSnapshot;
    const hardChanged = !sameHardState(hardState, this.prevHardState);
    const committedEntries = snapshot === null ? this.raftLog.nextCommitted(this.opts.maxApplyBytes) : [];
    const rd: Ready = {
      softState: sameSoftState(softState, this.prevSoftState) ? null : softState,
      hardState: hardChanged ? hardState : null,
      snapshot,
      entries,
      mustSync:
        entries.length > 0 ||
        snapshot !== null ||
        hardState.term !== this.prevHardState.term ||
        hardState.vote !== this.prevHardState.vote,
      messages: this.msgs,
      committedEntries,
      readStates: this.readStates,
      droppedReads: this.droppedReads,
    };
    this.msgs = [];
    this.readStates = [];
    this.droppedReads = [];
    this.prevHardState = hardState;
    this.prevSoftState = softState;
    this.inFlight = {
      lastEntry: entries.length > 0 ? entries[entries.length - 1]!.index : this.raftLog.stabled,
      applyTo:
        committedEntries.length > 0
          ? committedEntries[committedEntries.length - 1]!.index
          : this.raftLog.applied,
      snapshot: snapshot !== null,
    };
    return rd;
  }

  /** Acknowledges the last Ready: its entries are persisted and its committed entries applied. */
  advance(): void {
    const done = this.inFlight;
    invariant(done !== null, 'advance() without a ready() before it');
    this.inFlight = null;
    if (done.snapshot) {
      const snap = this.raftLog.pendingSnapshot!;
      this.raftLog.pendingSnapshot = null;
      this.raftLog.applied = snap.meta.index;
    }
    this.raftLog.stabled = Math.max(this.raftLog.stabled, done.lastEntry);
    this.raftLog.applied = Math.max(this.raftLog.applied, done.applyTo);
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection (for the driver, tests and status endpoints)

  status(): {
    id: NodeId;
    role: Role;
    term: number;
    leader: NodeId | null;
    vote: NodeId | null;
    commit: number;
    applied: number;
    lastIndex: number;
    firstIndex: number;
    config: ConfState;
    progress: Record<NodeId, { match: number; next: number; state: string }>;
    leadTransferee: NodeId | null;
  } {
    const progress: Record<NodeId, { match: number; next: number; state: string }> = {};
    if (this.role === 'leader') {
      for (const [id, pr] of this.progress) progress[id] = { match: pr.match, next: pr.next, state: pr.state };
    }
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      leader: this.leader,
      vote: this.vote,
      commit: this.raftLog.committed,
      applied: this.raftLog.applied,
      lastIndex: this.raftLog.lastIndex(),
      firstIndex: this.raftLog.firstIndex(),
      config: this.raftLog.config(),
      progress,
      leadTransferee: this.leadTransferee,
    };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  softState(): SoftState {
    return { role: this.role, leader: this.leader, term: this.term };
  }

  // ---------------------------------------------------------------------------------------------
  // Role transitions: one become* each, one log line each.

  private becomeFollower(term: number, leader: NodeId | null): void {
    const wasLeader = this.role === 'leader';
    this.reset(term);
    this.role = 'follower';
    this.leader = leader;
    if (wasLeader) this.log.info({ term, leader }, 'stepped down');
    else this.log.debug({ term, leader }, 'became follower');
  }

  private becomePreCandidate(): void {
    invariant(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    // A pre-candidate keeps its term and vote: a failed pre-vote changes nothing durable.
    this.role = 'pre-candidate';
    this.votes = new Map();
    this.leader = null;
    this.electionElapsed = 0;
    this.resetElectionTimeout();
    this.log.debug({ term: this.term }, 'became pre-candidate');
  }

  private becomeCandidate(): void {
    invariant(this.role !== 'leader', 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
    this.log.info({ term: this.term }, 'became candidate');
  }

  private becomeLeader(): void {
    invariant(this.role === 'candidate', 'only a candidate can become leader', { role: this.role });
    this.reset(this.term);
    this.role = 'leader';
    this.leader = this.id;
    this.resetProgress();
    // An empty entry of the new term lets the leader commit everything before it (Raft §5.4.2,
    // §8) and learn the commit index that reads need.
    this.appendEntries([{ kind: 'normal', term: this.term, index: this.raftLog.lastIndex() + 1, data: new Uint8Array(0) }]);
    this.log.info({ term: this.term, lastIndex: this.raftLog.lastIndex() }, 'elected leader');
  }

  /** Resets the volatile state common to every role change. */
  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    if (this.role === 'leader') this.abandonLeadership();
    this.leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetElectionTimeout();
    this.votes = new Map();
    this.leadTransferee = null;
    this.uncommittedBytes = 0;
  }

  /** Fails the reads a leader was holding when it stops leading. */
  private abandonLeadership(): void {
    for (const read of [...this.reads.drain(), ...this.readsAwaitingCommit]) {
      if (read.from === this.id) this.droppedReads.push(read.id);
      else this.send({ type: 'read-index-resp', to: read.from, term: this.term, id: read.id, index: 0, reject: true });
    }
    this.readsAwaitingCommit = [];
    this.readHeartbeatDue = false;
    this.appendsDue = false;
  }

  private resetElectionTimeout(): void {
    const base = this.opts.electionTicks;
    this.randomizedElectionTimeout = randomInt(this.opts.random, base, 2 * base);
  }

  private resetProgress(): void {
    this.progress = new Map();
    const config = this.raftLog.config();
    for (const id of [...config.voters, ...config.learners]) {
      const pr = new Progress(this.raftLog.lastIndex() + 1, this.opts.maxInflightMsgs);
      if (id === this.id) {
        pr.match = this.raftLog.lastIndex();
        pr.becomeReplicate();
      }
      this.progress.set(id, pr);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Time

  private tickElection(): void {
    this.electionElapsed++;
    if (this.isPromotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.opts.preVote ? 'pre-vote' : 'vote');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;

    if (this.electionElapsed >= this.opts.electionTicks) {
      this.electionElapsed = 0;
      if (this.opts.checkQuorum && !this.quorumActive()) {
        this.log.warn({ term: this.term }, 'stepping down: no quorum heard from within an election timeout');
        this.becomeFollower(this.term, null);
        return;
      }
      if (this.leadTransferee !== null) {
        this.log.warn({ term: this.term, to: this.leadTransferee }, 'leadership transfer timed out');
        this.leadTransferee = null;
      }
    }

    if (this.heartbeatElapsed >= this.opts.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
    this.restartStalledPipelines();
  }

  /**
   * Check-quorum: whether a quorum of voters was heard from since the last check. Resets the
   * marks for the next round.
   */
  private quorumActive(): boolean {
    const voters = this.raftLog.config().voters;
    let active = 0;
    for (const id of voters) {
      const pr = this.progress.get(id);
      if (id === this.id || pr?.recentActive) active++;
    }
    for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
    return active >= quorumSize(voters.length);
  }

  /**
   * A follower in `replicate` whose acknowledgements stopped (lost messages, a restart) would
   * otherwise wait forever for answers to appends it never got: after half an election timeout
   * without progress, fall back to probing it.
   */
  private restartStalledPipelines(): void {
    const patience = Math.max(2 * this.opts.heartbeatTicks, Math.floor(this.opts.electionTicks / 2));
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      if (pr.state !== 'replicate' || pr.match >= this.raftLog.lastIndex()) {
        pr.stalledTicks = 0;
        continue;
      }
      pr.stalledTicks++;
      if (pr.stalledTicks >= patience) {
        this.log.debug({ term: this.term, to: id, match: pr.match }, 'replication stalled: probing again');
        pr.becomeProbe();
        this.sendAppend(id, true);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Elections

  private isPromotable(): boolean {
    return (
      this.raftLog.config().voters.includes(this.id) &&
      this.raftLog.pendingSnapshot === null &&
      this.raftLog.lastIndex() >= this.opts.voteFloor
    );
  }

  /** Whether a live leader was heard from within the election timeout (check-quorum lease). */
  private inLease(): boolean {
    return this.opts.checkQuorum && this.leader !== null && this.electionElapsed < this.opts.electionTicks;
  }

  private campaign(kind: Campaign): void {
    if (!this.isPromotable()) {
      this.log.debug({ term: this.term }, 'not campaigning: not a voter');
      return;
    }
    let term: number;
    if (kind === 'pre-vote') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    const type = kind === 'pre-vote' ? 'pre-vote' : 'vote';
    this.votes.set(this.id, true);
    if (this.tallyVotes() === 'won') {
      this.winCampaign(kind);
      return;
    }
    for (const id of this.raftLog.config().voters) {
      if (id === this.id) continue;
      this.send({
        type,
        to: id,
        term,
        lastLogIndex: this.raftLog.lastIndex(),
        lastLogTerm: this.raftLog.lastTerm(),
        transfer: kind === 'transfer',
      });
    }
  }

  private winCampaign(kind: Campaign): void {
    if (kind === 'pre-vote') this.campaign('vote');
    else this.becomeLeader();
  }

  private tallyVotes(): 'won' | 'lost' | 'pending' {
    const voters = this.raftLog.config().voters;
    let granted = 0;
    let rejected = 0;
    for (const id of voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const need = quorumSize(voters.length);
    if (granted >= need) return 'won';
    if (rejected > voters.length - need) return 'lost';
    return 'pending';
  }

  private handleVoteRequest(m: VoteRequest): void {
    const isPre = m.type === 'pre-vote';
    // We may vote for m.from if we already did this term, or have not voted and follow no
    // leader; a pre-vote for a later term is always considered (dissertation §9.6).
    const canVote =
      this.vote === m.from || (this.vote === null && this.leader === null) || (isPre && m.term > this.term);
    const upToDate = this.raftLog.isUpToDate(m.lastLogIndex, m.lastLogTerm);
    const respType = isPre ? 'pre-vote-resp' : 'vote-resp';
    // A node that knows no configuration (a wiped server waiting to rejoin), or whose log has
    // not reached the entry that re-added it (voteFloor), has forgotten its past votes and log;
    // its vote could elect a leader that lacks committed entries, so it votes only once a
    // leader has sent it the log.
    const knowsCluster = this.raftLog.config().voters.length > 0 && this.raftLog.lastIndex() >= this.opts.voteFloor;
    if (canVote && upToDate && knowsCluster) {
      // A granted pre-vote answers in the term the candidate asked about, so it counts it.
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (!isPre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
      this.log.debug({ term: this.term, candidate: m.from, pre: isPre }, 'vote granted');
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
      this.log.debug({ term: this.term, candidate: m.from, pre: isPre, upToDate, knowsCluster }, 'vote rejected');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Per-role message handling

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeout-now':
        this.log.info({ term: this.term, from: m.from }, 'campaigning at once for a leadership transfer');
        this.campaign('transfer');
        return;
      case 'read-index':
        // Only the leader serves read indexes; the follower's caller retries elsewhere.
        this.send({ type: 'read-index-resp', to: m.from, term: this.term, id: m.id, index: 0, reject: true });
        return;
      case 'read-index-resp':
        this.handleReadIndexResponse(m);
        return;
      default:
        this.drop(m, 'not expected by a follower');
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // A leader of our term exists (Raft §5.2): follow it.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'vote-resp':
      case 'pre-vote-resp': {
        if ((m.type === 'pre-vote-resp') !== (this.role === 'pre-candidate')) {
          this.drop(m, 'answer to another kind of campaign');
          return;
        }
        if (!this.raftLog.config().voters.includes(m.from)) return;
        this.votes.set(m.from, !m.reject);
        const result = this.tallyVotes();
        if (result === 'won') this.winCampaign(this.role === 'pre-candidate' ? 'pre-vote' : 'vote');
        else if (result === 'lost') this.becomeFollower(this.term, null);
        return;
      }
      case 'read-index-resp':
        this.handleReadIndexResponse(m);
        return;
      default:
        this.drop(m, 'not expected by a candidate');
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) {
      this.drop(m, 'from a node outside the configuration');
      return;
    }
    switch (m.type) {
      case 'append-resp':
        pr.recentActive = true;
        this.handleAppendResponse(m, pr);
        return;
      case 'heartbeat-resp':
        pr.recentActive = true;
        this.handleHeartbeatResponse(m, pr);
        return;
      case 'read-index':
        pr.recentActive = true;
        this.leaderReadIndex(m.id, m.from);
        return;
      default:
        this.drop(m, 'not expected by a leader');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Follower side of replication

  private handleAppend(m: AppendRequest): void {
    if (!validAppend(m)) {
      this.drop(m, 'append entries are not contiguous or carry a later term');
      return;
    }
    const committed = this.raftLog.committed;
    if (m.prevIndex < committed) {
      this.send({ type: 'append-resp', to: m.from, term: this.term, reject: false, index: committed, hint: null });
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.prevIndex, m.prevTerm, m.entries);
    if (lastNew !== null) {
      this.syncConfig();
      this.raftLog.commitTo(Math.min(m.commit, lastNew));
      this.send({ type: 'append-resp', to: m.from, term: this.term, reject: false, index: lastNew, hint: null });
      return;
    }
    const hint = this.raftLog.findConflictByTerm(m.prevIndex, m.prevTerm);
    this.log.debug({ term: this.term, prevIndex: m.prevIndex, prevTerm: m.prevTerm, hint }, 'append rejected');
    this.send({ type: 'append-resp', to: m.from, term: this.term, reject: true, index: m.prevIndex, hint });
  }

  private handleHeartbeat(m: HeartbeatRequest): void {
    this.raftLog.commitTo(Math.min(m.commit, this.raftLog.lastIndex()));
    this.send({ type: 'heartbeat-resp', to: m.from, term: this.term, readSeq: m.readSeq });
  }

  private handleSnapshot(m: SnapshotRequest): void {
    const meta = m.snapshot.meta;
    if (meta.index <= this.raftLog.committed) {
      // Nothing new: tell the leader how far we are.
      this.send({ type: 'append-resp', to: m.from, term: this.term, reject: false, index: this.raftLog.committed, hint: null });
      return;
    }
    if (this.raftLog.matchTerm(meta.index, meta.term)) {
      // Our log already holds the snapshot's last entry: commit up to it and keep the rest.
      this.raftLog.commitTo(meta.index);
    } else {
      this.raftLog.restore(m.snapshot);
      this.syncConfig();
      this.log.info({ term: this.term, index: meta.index, snapshotTerm: meta.term }, 'restoring from snapshot');
    }
    // Acknowledge only the snapshot: entries after it in our log are not known to match.
    this.send({ type: 'append-resp', to: m.from, term: this.term, reject: false, index: meta.index, hint: null });
  }

  // ---------------------------------------------------------------------------------------------
  // Leader side of replication

  private appendEntries(entries: Entry[]): void {
    this.raftLog.append(entries);
    for (const e of entries) this.uncommittedBytes += entrySize(e);
    this.syncConfig();
    const self = this.progress.get(this.id);
    if (self !== undefined) self.maybeUpdate(this.raftLog.lastIndex());
    this.maybeCommit();
    this.appendsDue = true;
  }

  /**
   * Sends `to` the entries it lacks, or a snapshot when they are compacted. Returns false when
   * nothing was sent (paused, or nothing to send and `sendIfEmpty` false).
   */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.term(prevIndex);
    if (prevTerm === undefined) return this.sendSnapshot(to, pr);

    const last = this.raftLog.lastIndex();
    const entries = pr.next <= last ? this.raftLog.slice(pr.next, last + 1, this.opts.maxMsgBytes, this.opts.maxMsgEntries) : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    const commit = this.raftLog.committed;
    this.send({ type: 'append', to, term: this.term, prevIndex, prevTerm, entries, commit });
    // The follower commits up to what it holds of this message (handleAppend).
    pr.commitSent = Math.max(pr.commitSent, Math.min(commit, prevIndex + entries.length));
    pr.sentEntries(prevIndex + entries.length, entries.length);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    const snapshot = this.raftLog.snapshot;
    invariant(snapshot !== null, 'log is compacted but there is no snapshot', { to, next: pr.next });
    pr.becomeSnapshot(snapshot.meta.index);
    this.log.info({ term: this.term, to, index: snapshot.meta.index }, 'sending snapshot');
    this.send({ type: 'snapshot', to, term: this.term, snapshot });
    return true;
  }

  private bcastAppend(sendIfEmpty: boolean): void {
    for (const id of this.progress.keys()) {
      if (id !== this.id) this.sendAppend(id, sendIfEmpty);
    }
  }

  private bcastHeartbeat(): void {
    const readSeq = this.reads.lastSeq();
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it is known to hold (it may lack entries).
      const commit = Math.min(pr.match, this.raftLog.committed);
      this.send({ type: 'heartbeat', to: id, term: this.term, commit, readSeq });
      pr.commitSent = Math.max(pr.commitSent, commit);
    }
  }

  private handleAppendResponse(m: AppendResponse, pr: Progress): void {
    if (m.index > this.raftLog.lastIndex()) {
      this.drop(m, 'acknowledges entries beyond the log');
      return;
    }
    if (m.reject) {
      if (pr.state === 'probe' && m.index === pr.next - 1 && m.hint !== null && m.hint.index < pr.match) {
        // The follower says it lacks entries it acknowledged: its disk was wiped (a learner
        // re-added under the same id got an answer from its previous life), or this is a late
        // duplicate of an older rejection. Probing from scratch costs a few round trips in the
        // second case and is the only way forward in the first.
        this.log.warn({ term: this.term, to: m.from, match: pr.match, hint: m.hint.index }, 'follower reports a shorter log than it acknowledged: probing it from scratch');
        pr.match = 0;
      }
      const hintIndex = m.hint === null ? m.index - 1 : this.raftLog.findConflictByTerm(m.hint.index, m.hint.term).index;
      if (pr.maybeDecrTo(m.index, hintIndex)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }

    const wasPaused = pr.isPaused();
    if (pr.maybeUpdate(m.index)) {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
        pr.becomeProbe();
        pr.becomeReplicate();
      }
      this.maybeCommit();
      if (wasPaused) this.sendAppend(m.from, false);
      while (pr.state === 'replicate' && this.sendAppend(m.from, false)) {
        // Fill the pipeline up to the in-flight window.
      }
      this.maybeSendCommit(m.from, pr);
      if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
        this.log.info({ term: this.term, to: m.from }, 'transferee caught up: sending timeout-now');
        this.send({ type: 'timeout-now', to: m.from, term: this.term });
      }
    } else if (pr.state === 'probe' && m.index === pr.match) {
      // A duplicate answer to our probe: probing may go on.
      pr.probeSent = false;
      this.sendAppend(m.from, false);
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponse, pr: Progress): void {
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.isPaused()) pr.freeFirstInflight();
    // A follower behind us gets its next append; in probe state the probe itself is the point,
    // even with no entries to carry.
    if (pr.match < this.raftLog.lastIndex()) this.sendAppend(m.from, pr.state === 'probe');
    if (m.readSeq > 0 && this.raftLog.config().voters.includes(m.from)) {
      for (const read of this.reads.ack(m.from, m.readSeq, quorumSize(this.raftLog.config().voters.length))) {
        this.releaseRead(read.id, read.from, read.index);
      }
    }
  }

  /**
   * Advances the commit index to the highest index a quorum of voters holds, but only through
   * an entry of the current term (Raft §5.4.2, Figure 8). Returns true if it moved.
   *
   * The new index is not broadcast in messages of its own (an empty append per follower, and
   * its answer, for every commit): each follower learns it from the next append or heartbeat it
   * gets, which under load is within the next Ready and at worst one heartbeat interval away.
   * A follower waiting to serve a read gets it at once ({@link Raft.maybeSendCommit}).
   */
  private maybeCommit(): boolean {
    const voters = this.raftLog.config().voters;
    if (voters.length === 0) return false;
    const matches = voters.map((id) => this.progress.get(id)?.match ?? 0);
    const index = quorumIndex(matches);
    if (index <= this.raftLog.committed || this.raftLog.term(index) !== this.term) return false;

    const before = this.raftLog.committed;
    this.raftLog.commitTo(index);
    this.releaseUncommittedBytes(before, index);
    this.onCommitAdvanced(before);
    return true;
  }

  /**
   * Tells follower `id` the commit index now when it was released a read index it has not been
   * told is committed, and holds the entries up to it: it is waiting to apply them to answer a
   * read (a follower read, or a forwarded write waiting to show locally).
   */
  private maybeSendCommit(id: NodeId, pr: Progress): void {
    if (pr.readFloor <= pr.commitSent) return;
    if (Math.min(pr.match, this.raftLog.committed) <= pr.commitSent) return;
    this.sendAppend(id, true);
  }

  private releaseUncommittedBytes(from: number, to: number): void {
    if (this.uncommittedBytes === 0) return;
    let bytes = 0;
    for (let i = Math.max(from + 1, this.raftLog.firstIndex()); i <= to; i++) bytes += entrySize(this.raftLog.entryAt(i));
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes - bytes);
  }

  /** What a new commit index unlocks on the leader: waiting reads, and its own removal. */
  private onCommitAdvanced(before: number): void {
    if (this.raftLog.term(before) !== this.term && this.readsAwaitingCommit.length > 0) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const read of waiting) this.leaderReadIndex(read.id, read.from);
    }
    // A leader removed from the configuration leads until the removal commits, then steps down
    // (dissertation §4.2.2).
    const config = this.raftLog.config();
    if (!config.voters.includes(this.id) && this.raftLog.lastConfigIndex() <= this.raftLog.committed) {
      this.log.info({ term: this.term }, 'stepping down: removed from the configuration');
      this.becomeFollower(this.term, null);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Linearizable reads (dissertation §6.4)

  private leaderReadIndex(id: string, from: NodeId): void {
    if (this.raftLog.term(this.raftLog.committed) !== this.term) {
      // The commit index is only known to be current once an entry of this term committed.
      this.readsAwaitingCommit.push({ id, from });
      return;
    }
    const voters = this.raftLog.config().voters;
    const selfVotes = voters.includes(this.id) ? 1 : 0;
    if (selfVotes >= quorumSize(voters.length)) {
      this.releaseRead(id, from, this.raftLog.committed);
      return;
    }
    this.reads.add({ id, from, index: this.raftLog.committed }, selfVotes === 1 ? this.id : null);
    this.readHeartbeatDue = true;
  }

  private releaseRead(id: string, from: NodeId, index: number): void {
    if (from === this.id) {
      this.readStates.push({ id, index });
      return;
    }
    this.send({ type: 'read-index-resp', to: from, term: this.term, id, index, reject: false });
    const pr = this.progress.get(from);
    if (pr === undefined) return;
    pr.readFloor = Math.max(pr.readFloor, index);
    this.maybeSendCommit(from, pr);
  }

  private handleReadIndexResponse(m: ReadIndexResponse): void {
    if (m.reject) this.droppedReads.push(m.id);
    else this.readStates.push({ id: m.id, index: m.index });
  }

  // ---------------------------------------------------------------------------------------------
  // Membership

  /** Brings the role and the leader's progress map in line with the configuration in the log. */
  private syncConfig(): void {
    if (this.configVersionSeen === this.raftLog.configVersion) return;
    this.configVersionSeen = this.raftLog.configVersion;
    const config = this.raftLog.config();
    if (this.role !== 'leader') return;

    const members = new Set([...config.voters, ...config.learners]);
    for (const id of members) {
      if (!this.progress.has(id)) this.progress.set(id, new Progress(this.raftLog.lastIndex() + 1, this.opts.maxInflightMsgs));
    }
    for (const id of [...this.progress.keys()]) {
      if (!members.has(id)) this.progress.delete(id);
    }
    if (this.leadTransferee !== null && !config.voters.includes(this.leadTransferee)) this.leadTransferee = null;
    // Fewer voters may mean a smaller quorum that is already met.
    this.maybeCommit();
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /**
   * A voter must hold the log before it counts towards quorums: a voter with an empty log knows
   * no configuration and will not vote, and one far behind slows every commit. So a node becomes
   * a voter only as a learner that has caught up to the newest configuration entry.
   */
  private assertReadyToVote(id: NodeId): void {
    const pr = this.progress.get(id);
    if (!this.raftLog.config().learners.includes(id) || pr === undefined) {
      throw new ConfChangeError('invalid', `${id} must join as a learner before it can vote`);
    }
    if (pr.match < this.raftLog.lastConfigIndex() || pr.match === 0) {
      throw new ConfChangeError('invalid', `${id} has not caught up yet (it holds up to ${pr.match})`);
    }
  }

  private assertCanPropose(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leader);
    if (this.leadTransferee !== null) throw new ProposalDroppedError('transferring');
  }

  private assertNotInFlight(): void {
    invariant(this.inFlight === null, 'the core was called between ready() and advance()');
  }

  private send(m: DistributiveOmit<Message, 'from'>): void {
    this.msgs.push({ ...m, from: this.id } as Message);
  }

  private drop(m: Message, reason: string): void {
    this.log.debug({ term: this.term, type: m.type, from: m.from, msgTerm: m.term, reason }, 'message dropped');
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The membership that results from `change`, or a ConfChangeError when it makes no sense. */
export function applyChange(config: ConfState, change: ConfChange): ConfState {
  const voters = new Set(config.voters);
  const learners = new Set(config.learners);
  const id = change.nodeId;
  if (typeof id !== 'string' || id === '') throw new ConfChangeError('invalid', 'node id must be a non-empty string');
  switch (change.type) {
    case 'add-learner':
      if (voters.has(id)) throw new ConfChangeError('invalid', `${id} is already a voter`);
      if (learners.has(id)) throw new ConfChangeError('invalid', `${id} is already a learner`);
      learners.add(id);
      break;
    case 'add-voter':
      if (voters.has(id)) throw new ConfChangeError('invalid', `${id} is already a voter`);
      learners.delete(id);
      voters.add(id);
      break;
    case 'remove':
      if (!voters.has(id) && !learners.has(id)) throw new ConfChangeError('invalid', `${id} is not a member`);
      if (voters.has(id) && voters.size === 1) throw new ConfChangeError('invalid', 'cannot remove the last voter');
      voters.delete(id);
      learners.delete(id);
      break;
    default:
      throw new ConfChangeError('invalid', 'unknown change type');
  }
  return { voters: [...voters].sort(), learners: [...learners].sort() };
}

function validAppend(m: AppendRequest): boolean {
  if (!Number.isInteger(m.prevIndex) || m.prevIndex < 0 || !Array.isArray(m.entries)) return false;
  let term = m.prevTerm;
  for (const [i, e] of m.entries.entries()) {
    if (e.index !== m.prevIndex + 1 + i || e.term < term || e.term > m.term) return false;
    term = e.term;
  }
  return true;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader && a.term === b.term;
}
