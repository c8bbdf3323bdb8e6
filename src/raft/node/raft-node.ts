/**
 * The one driver loop of a Coffer node (DESIGN.md "Layers", rank 3): it owns the Raft core,
 * and every input reaches the core through it.
 *
 * Timer ticks, transport messages, proposals, reads, membership and transfer requests, and the
 * transport's delivery reports are queued as they arrive and fed to the core between Readies.
 * Then one Ready is carried out in the order its contract gives (src/raft/core/types.ts): save
 * snapshot, entries and hard state (fsync when `mustSync`) → restore a received snapshot → send
 * → apply committed entries → serve reads → `advance()`. Whatever arrives while a save is in
 * flight joins the next Ready, so concurrent proposals share one fsync (group commit). Nothing is
 * acknowledged, to a peer or a caller, before the save holding it resolved.
 *
 * The node owns its transport (started by `start`, stopped on the way out) and its storage
 * (closed on the way out). The state machine belongs to the caller.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Raft } from '../core/raft.js';
import {
  ConfChangeError,
  NotLeaderError as CoreNotLeaderError,
  ProposalDroppedError,
  TransferError,
} from '../core/errors.js';
import type {
  ConfChange,
  ConfigEntry,
  Entry,
  Message,
  NodeId,
  Ready,
  Role,
  Snapshot,
} from '../core/types.js';
import { invariant } from '../../util/assert.js';
import type { Logger } from '../../util/logger.js';
import {
  decodeEnvelope,
  encodeContext,
  encodeEnvelope,
  MemberDirectory,
  readPayload,
  tagCommand,
} from './directory.js';
import type { SnapshotEnvelope } from './directory.js';
import {
  MembershipChangeError,
  NoLeaderError,
  NodeStoppedError,
  NodeTimeoutError,
  NotLeaderError,
  ProposalRefusedError,
  TransferRefusedError,
} from './errors.js';
import {
  decodeNotice,
  encodeNotice,
  leaderDuties,
  NODE_CHANNEL,
  peerAddresses,
  transferTarget,
} from './membership.js';
import { resolveNodeOptions } from './node-options.js';
import type { ResolvedNodeOptions } from './node-options.js';
import { RequestMux } from './request-mux.js';
import type {
  AddLearnerOptions,
  AppliedCommand,
  ChannelHandler,
  NodeEvents,
  NodeMeta,
  NodeState,
  NodeStatus,
  PeerContact,
  RaftNodeOptions,
} from './types.js';
import { ProposalTracker, ReadTracker, TransferTracker, Waiter } from './waiters.js';

/** A request for the core, run by the loop between Readies. */
type Input = (raft: Raft) => void;

/** Readies carried out back to back before the loop yields to I/O callbacks. */
const MAX_BURST = 32;
/** How long a leader waits for a removed member to take its removal notice. */
const NOTICE_TIMEOUT_MS = 2_000;

export class RaftNode<R = unknown> extends EventEmitter<NodeEvents> {
  readonly id: NodeId;
  private readonly opts: ResolvedNodeOptions<R>;
  private readonly log: Logger;
  private readonly mux: RequestMux;
  private readonly directory = new MemberDirectory();
  private raft: Raft | null = null;
  private state: NodeState = 'starting';

  private inputs: Input[] = [];
  /** Inputs to try again at the next tick (membership changes the core cannot take yet). */
  private retries: Input[] = [];
  private pendingTicks = 0;
  private wake: (() => void) | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private starting: Promise<void> | null = null;
  private loopDone: Promise<void> | null = null;
  private stopRequested = false;
  private removal: { index: number; by: NodeId } | null = null;
  private failure: Error | null = null;

  /** Every caller's waiter, so the node's end can reject them all. */
  private readonly outstanding = new Set<Waiter<unknown>>();
  private readonly proposals = new ProposalTracker();
  private readonly reads = new ReadTracker();
  private readonly transfers = new TransferTracker();
  private readonly readPrefix = `${randomBytes(4).toString('hex')}:`;
  private readSeq = 0;

  /** The last index applied (or covered by a restored snapshot). */
  private applied = 0;
  /** The last index whose command reached the state machine, or a restored snapshot's index. */
  private commandIndex = 0;
  private snapshotIndex = 0;
  /** The state machine snapshot being read out, while the loop goes on applying. */
  private capturing: Promise<void> | null = null;
  /** A state machine snapshot read out and waiting for the loop to compact the log behind it. */
  private captured: { index: number; envelope: SnapshotEnvelope } | null = null;
  /** The storage compacting its log behind a snapshot, while the loop goes on. */
  private compacting: Promise<void> | null = null;
  /** Why that compaction failed: the loop stops the node on it. */
  private compactionFailure: Error | null = null;
  /** Ticks since the last snapshot began (or since start), and how many it must reach. */
  private ticksSinceSnapshot = 0;
  private snapshotDueTicks = 0;
  private role: Role = 'follower';
  /** Term and vote as last written to storage: what a crash would bring back. */
  private durableVote: { term: number; vote: NodeId | null } = { term: 0, vote: null };
  private leader: NodeId | null = null;
  /** Removed members the transport keeps reaching until they were told. */
  private readonly farewell = new Set<NodeId>();
  private peersKey = '';
  /** What the peer set was last computed from (see refreshPeers). */
  private peerInputs = '';
  /** Per peer, the wall time its last message arrived (for status(); the core keeps no clock). */
  private readonly lastHeard = new Map<NodeId, number>();

  /** @throws NodeConfigError when an option cannot work. */
  constructor(options: RaftNodeOptions<R>) {
    super();
    this.opts = resolveNodeOptions(options);
    this.id = this.opts.id;
    this.log = this.opts.logger;
    this.snapshotDueTicks = this.drawSnapshotWait();
    this.mux = new RequestMux(this.opts.transport);
    this.mux.handle(NODE_CHANNEL, (from, payload) => this.onNotice(from, payload));
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Loads the storage, brings the state machine to the snapshot (unless a durable machine holds
   * it already), builds the core (bootstrapping a founding node on empty storage), starts the
   * transport and the loop.
   * @throws CorruptStorageError when the storage fails verification; InvariantError when the
   *   stored state is inconsistent with the state machine's applied index.
   */
  start(): Promise<void> {
    invariant(this.starting === null && this.state === 'starting', 'a raft node starts only once');
    this.starting = this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    const { storage, stateMachine: sm, transport } = this.opts;
    const persisted = await storage.load();
    this.durableVote = { term: persisted.hardState.term, vote: persisted.hardState.vote };
    this.directory.seed(this.opts.bootstrap);
    this.directory.seed(this.opts.peers);
    if (this.opts.meta !== undefined) this.directory.seed(new Map([[this.id, this.opts.meta]]));

    const durable = sm.appliedIndex?.();
    if (persisted.snapshot !== null) {
      const meta = persisted.snapshot.meta;
      const envelope = decodeEnvelope(persisted.snapshot.data);
      this.directory.restore(envelope);
      this.snapshotIndex = meta.index;
      if (durable === undefined || durable < envelope.commandIndex) {
        await sm.restore(envelope.data, { index: meta.index, term: meta.term });
        this.commandIndex = meta.index;
      } else {
        this.commandIndex = durable;
      }
      this.applied = Math.max(this.commandIndex, meta.index);
    } else {
      this.applied = this.commandIndex = durable ?? 0;
    }
    for (const entry of persisted.entries) this.noteEntry(entry);

    const raft = new Raft({ ...this.opts.raft, applied: this.applied }, persisted);
    this.raft = raft;
    const empty = persisted.snapshot === null && persisted.entries.length === 0;
    if (this.opts.bootstrap !== undefined && empty && persisted.hardState.term === 0) {
      raft.bootstrap([...this.opts.bootstrap.keys()]);
      this.log.info({ voters: [...this.opts.bootstrap.keys()] }, 'bootstrapped a new cluster');
    }
    this.refreshPeers();

    // Messages arriving from here on queue up for the loop.
    this.state = 'running';
    transport.onMessage((m) => {
      this.lastHeard.set(m.from, Date.now());
      this.enqueue((core) => core.step(m));
    });
    transport.onUnreachable((peer) => this.enqueue((core) => core.reportUnreachable(peer)));
    transport.onSnapshotStatus((peer, ok) => this.enqueue((core) => core.reportSnapshot(peer, ok)));
    try {
      await transport.start();
    } catch (err) {
      this.state = 'failed';
      await storage.close().catch(() => undefined);
      throw err;
    }
    this.ticker = setInterval(() => {
      this.pendingTicks++;
      this.notify();
    }, this.opts.tickMs);
    this.loopDone = this.run();
    const { term, commit, lastIndex } = raft.status();
    this.log.info({ term, commit, applied: this.applied, lastIndex }, 'node started');
  }

  /**
   * Stops the loop after the Ready in progress, rejects everything pending with
   * `NodeStoppedError`, stops the transport and closes the storage. Idempotent.
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.starting?.catch(() => undefined);
    if (this.loopDone === null) {
      // Never started, or failed to: release what the node owns all the same.
      if (this.state === 'starting') this.state = 'stopped';
      await this.opts.transport.stop().catch(() => undefined);
      await this.opts.storage.close().catch(() => undefined);
      return;
    }
    this.notify();
    await this.loopDone;
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  /**
   * Proposes an application command. Resolves with the state machine's result once the entry is
   * applied here with the term it was proposed in.
   * @throws NotLeaderError on a node that does not lead (with the leader, when known).
   * @throws ProposalLostError when another entry was applied at its index.
   * @throws ProposalOutcomeUnknownError when a snapshot covered it first.
   * @throws ProposalRefusedError while a transfer runs or the uncommitted budget is spent.
   * @throws NodeTimeoutError after `proposalTimeoutMs` (the outcome is then unknown).
   * @throws NodeStoppedError when the node stops first.
   */
  propose(data: Uint8Array): Promise<R> {
    const waiter = this.newWaiter<R>(this.opts.proposalTimeoutMs, 'propose');
    const tagged = tagCommand(data);
    this.submit(waiter, (core) => {
      const { index, term } = core.propose([tagged]);
      this.proposals.add(index, term, waiter as Waiter<unknown>);
    });
    return waiter.promise;
  }

  /**
   * Resolves once this node has applied everything a linearizable read must see (read index,
   * dissertation §6.4). Works on followers, which ask the leader.
   * @throws NoLeaderError when no leader could confirm the read.
   * @throws NodeTimeoutError after `readTimeoutMs`; NodeStoppedError when the node stops first.
   */
  readIndex(): Promise<void> {
    const waiter = this.newWaiter<void>(this.opts.readTimeoutMs, 'read');
    const id = `${this.readPrefix}${++this.readSeq}`;
    this.reads.add(id, waiter);
    this.submit(waiter, (core) => core.readIndex(id));
    return waiter.promise;
  }

  /**
   * Adds `id` as a learner reachable at `meta`; resolves once the change is applied here. With
   * `promoteWhenCaughtUp`, whichever node leads promotes it to voter once its log is close to the
   * leader's (`promoteLag`).
   * @throws NotLeaderError, MembershipChangeError, NodeTimeoutError, NodeStoppedError.
   */
  addLearner(id: NodeId, meta: NodeMeta, options: AddLearnerOptions = {}): Promise<void> {
    const context = encodeContext(meta, options.promoteWhenCaughtUp === true);
    return this.changeMembership({ type: 'add-learner', nodeId: id, context });
  }

  /** Makes learner `id` a voter; resolves once the change is applied here. */
  promote(id: NodeId): Promise<void> {
    const meta = this.directory.get(id);
    const context = meta === null ? undefined : encodeContext(meta, false);
    return this.changeMembership({ type: 'add-voter', nodeId: id, context });
  }

  /** Removes member `id`; resolves once the change is applied here. */
  removeNode(id: NodeId): Promise<void> {
    return this.changeMembership({ type: 'remove', nodeId: id });
  }

  /**
   * Hands leadership to voter `to` (dissertation §3.10); resolves once this node sees `to` lead.
   * @throws NotLeaderError, TransferRefusedError, NodeTimeoutError, NodeStoppedError.
   */
  transferLeadership(to: NodeId): Promise<void> {
    const waiter = this.newWaiter<void>(this.opts.proposalTimeoutMs, 'transfer');
    this.submit(waiter, (core) => this.beginTransfer(core, to, waiter as Waiter<unknown>));
    return waiter.promise;
  }

  /** Hands leadership to the most caught-up other voter. */
  stepDown(): Promise<void> {
    const waiter = this.newWaiter<void>(this.opts.proposalTimeoutMs, 'transfer');
    this.submit(waiter, (core) => {
      const status = core.status();
      if (status.role !== 'leader') throw new CoreNotLeaderError(status.leader);
      const to = transferTarget(this.id, status.config, status.progress);
      if (to === null) throw new TransferRefusedError('there is no other voter to lead');
      this.beginTransfer(core, to, waiter as Waiter<unknown>);
    });
    return waiter.promise;
  }

  /** Sends `payload` to `peer`'s handler of `channel` (see request-mux.ts). */
  request(
    peer: NodeId,
    channel: string,
    payload: Uint8Array,
    timeoutMs: number,
  ): Promise<Uint8Array> {
    invariant(channel !== NODE_CHANNEL, 'the node channel is reserved');
    return this.mux.request(peer, channel, payload, timeoutMs);
  }

  /** Serves requests on `channel` (null removes the handler). */
  handle(channel: string, handler: ChannelHandler | null): void {
    invariant(channel !== NODE_CHANNEL, 'the node channel is reserved');
    this.mux.handle(channel, handler);
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection

  status(): NodeStatus {
    const core = this.raft;
    const s = core?.status();
    const member = (id: NodeId): { id: NodeId; meta: NodeMeta | null } => ({
      id,
      meta: this.directory.get(id),
    });
    return {
      id: this.id,
      state: this.state,
      role: s?.role ?? 'follower',
      term: s?.term ?? 0,
      leader: s?.leader ?? null,
      leaderMeta: this.directory.get(s?.leader ?? null),
      commit: s?.commit ?? 0,
      applied: this.applied,
      lastIndex: s?.lastIndex ?? 0,
      snapshotIndex: this.snapshotIndex,
      voters: (s?.config.voters ?? []).map(member),
      learners: (s?.config.learners ?? []).map(member),
      progress: s?.progress ?? {},
      contact: core === null ? {} : this.contact(core, s!.progress),
    };
  }

  /** What `status().contact` reports: per member with progress, i.e. only while leading. */
  private contact(core: Raft, progress: Record<NodeId, { match: number }>) {
    const contact: Record<NodeId, PeerContact> = {};
    for (const [id, pr] of Object.entries(progress)) {
      contact[id] =
        id === this.id
          ? { lastHeardAt: Date.now(), matchTerm: core.raftLog.lastTerm() }
          : {
              lastHeardAt: this.lastHeard.get(id) ?? null,
              matchTerm: core.raftLog.term(pr.match) ?? null,
            };
    }
    return contact;
  }

  /** The addresses of member `id`, when known. */
  memberMeta(id: NodeId): NodeMeta | null {
    return this.directory.get(id);
  }

  // ---------------------------------------------------------------------------------------------
  // The loop

  private async run(): Promise<void> {
    let burst = 0;
    try {
      while (!this.stopRequested && this.removal === null) {
        if (this.compactionFailure !== null) throw this.compactionFailure;
        const core = this.raft!;
        const idle = this.inputs.length === 0 && this.pendingTicks === 0 && !core.hasReady();
        if (idle && this.captured === null) {
          burst = 0;
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        if (++burst > MAX_BURST) {
          burst = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        this.drainInputs(core);
        if (core.hasReady()) await this.handleReady(core, core.ready());
        if (this.removal === null) await this.maybeSnapshot(core);
      }
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
    }
    await this.finish();
  }

  private drainInputs(core: Raft): void {
    const ticks = this.pendingTicks;
    this.pendingTicks = 0;
    this.ticksSinceSnapshot += ticks;
    for (let i = 0; i < ticks; i++) core.tick();
    if (ticks > 0) leaderDuties(core, this.directory, this.opts.promoteLag, this.log);

    const inputs = ticks > 0 ? [...this.retries, ...this.inputs] : this.inputs;
    if (ticks > 0) this.retries = [];
    this.inputs = [];
    for (const input of inputs) input(core);
    if (this.transfers.size > 0) this.transfers.settle(core.status());
  }

  /** Carries out one Ready, in the contract's order. */
  private async handleReady(core: Raft, rd: Ready): Promise<void> {
    if (rd.softState !== null) {
      this.onSoftState(rd.softState.role, rd.softState.leader, rd.softState.term);
    }
    for (const entry of rd.entries) this.noteEntry(entry);
    const envelope = rd.snapshot === null ? null : decodeEnvelope(rd.snapshot.data);

    // A leader may send before its own write is durable (dissertation §10.2.1): see
    // sendsBeforePersist. Anything else is sent only after step 2.
    const early = this.sendsBeforePersist(rd);
    if (early && rd.messages.length > 0) await this.send(rd.messages);

    // 1-2. Persist; nothing below may happen before this resolves.
    if (rd.snapshot !== null || rd.entries.length > 0 || rd.hardState !== null) {
      await this.opts.storage.save(
        { hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot },
        rd.mustSync,
      );
      if (rd.hardState !== null) {
        this.durableVote = { term: rd.hardState.term, vote: rd.hardState.vote };
      }
    }
    if (rd.snapshot !== null) await this.installSnapshot(rd.snapshot, envelope!);

    // 3. Send, to peers the transport knows by now.
    this.refreshPeers();
    if (!early && rd.messages.length > 0) await this.send(rd.messages);

    // 4-5. Apply, then serve the reads the applied index now covers.
    await this.applyCommitted(rd.committedEntries);
    for (const read of rd.readStates) this.reads.indexKnown(read.id, read.index);
    for (const id of rd.droppedReads) this.reads.dropped(id, new NoLeaderError());
    this.reads.appliedTo(this.applied);

    // 6.
    core.advance();
  }

  /**
   * Whether this Ready's messages may leave before its write is durable. They may when this
   * node leads and the Ready neither changes the durable term or vote nor carries a snapshot:
   * then its messages are appends, heartbeats, read-index answers and refusals, which promise
   * nothing about this node's disk. The leader's own copy counts towards a commit before it is
   * synced, but an entry is applied and acknowledged only in a later Ready, which the loop
   * handles after this one's write is done; so every acknowledged entry is on the leader's disk
   * and on a quorum's. The follower's fsync and the leader's then overlap instead of adding up.
   */
  private sendsBeforePersist(rd: Ready): boolean {
    if (this.role !== 'leader' || rd.snapshot !== null) return false;
    const hs = rd.hardState;
    return hs === null || (hs.term === this.durableVote.term && hs.vote === this.durableVote.vote);
  }

  /** Sends `messages` to the peers the transport knows by now. */
  private async send(messages: Message[]): Promise<void> {
    this.refreshPeers();
    this.opts.transport.send(await this.withSnapshotData(messages));
  }

  private async applyCommitted(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const commands: AppliedCommand[] = [];
    for (const e of entries) {
      if (e.kind !== 'normal') continue;
      const payload = readPayload(e.data);
      if (payload.kind !== 'command') continue;
      commands.push({ index: e.index, term: e.term, data: payload.data });
    }
    const results = commands.length === 0 ? [] : await this.opts.stateMachine.apply(commands);
    invariant(results.length === commands.length, 'the state machine answers every command', {
      commands: commands.length,
      results: results.length,
    });

    let next = 0;
    for (const e of entries) {
      invariant(e.index === this.applied + 1, 'committed entries apply in order', {
        applied: this.applied,
        index: e.index,
      });
      let result: unknown = undefined;
      if (e.kind === 'config') {
        this.onConfigApplied(e);
      } else if (next < commands.length && commands[next]!.index === e.index) {
        result = results[next++];
        this.commandIndex = e.index;
      } else if (readPayload(e.data).kind === 'unknown') {
        this.log.warn({ index: e.index }, 'skipped an entry of an unknown kind');
      }
      this.applied = e.index;
      this.proposals.applied(e.index, e.term, result);
    }
  }

  /** A snapshot from the leader replaces the state machine (Ready step 1). */
  private async installSnapshot(snapshot: Snapshot, envelope: SnapshotEnvelope): Promise<void> {
    const { index, term } = snapshot.meta;
    this.directory.restore(envelope);
    await this.opts.stateMachine.restore(envelope.data, { index, term });
    this.applied = this.commandIndex = this.snapshotIndex = index;
    this.proposals.coveredBySnapshot(index);
    this.log.info({ index, term, bytes: snapshot.data.length }, 'snapshot restored');
    this.emit('snapshot-restored', index);
  }

  /**
   * Compacts the log behind a snapshot once enough was applied since the last one, in two steps
   * so that the loop never waits for the state machine to be read out (a large one takes a good
   * part of a second, long enough to miss heartbeats): here the state machine captures its
   * state as of the last applied entry, and the loop goes on while the capture is read out; at a
   * later turn, once it is, the log is compacted behind it. A snapshot restored from the leader
   * meanwhile makes the capture moot.
   */
  private async maybeSnapshot(core: Raft): Promise<void> {
    const captured = this.captured;
    if (captured !== null) {
      this.captured = null;
      if (captured.index > this.snapshotIndex) this.compactBehind(core, captured);
      return;
    }
    if (this.capturing !== null || this.compacting !== null) return;
    if (this.applied - this.snapshotIndex < this.opts.snapshotThreshold) return;
    if (this.ticksSinceSnapshot < this.snapshotDueTicks) return;
    this.ticksSinceSnapshot = 0;
    this.snapshotDueTicks = this.drawSnapshotWait();
    const index = this.applied;
    const base = this.directory.envelope(new Uint8Array(0), this.commandIndex);
    // Nothing is being applied now, and snapshot() captures before its first await (types.ts).
    this.capturing = this.opts.stateMachine
      .snapshot()
      .then(
        (data) => {
          this.captured = { index, envelope: { ...base, data } };
          this.notify();
        },
        (err: unknown) => this.log.warn({ err, index }, 'state machine snapshot failed'),
      )
      .finally(() => {
        this.capturing = null;
      });
  }

  /** Ticks to wait before the next snapshot: `snapshotIntervalMs` stretched by up to twice. */
  private drawSnapshotWait(): number {
    const ticks = Math.ceil(this.opts.snapshotIntervalMs / this.opts.tickMs);
    // No draw without an interval: the core's random sequence stays what it was.
    return ticks === 0 ? 0 : Math.floor(ticks * (1 + this.opts.raft.random()));
  }

  /**
   * Compacts the core's log behind `captured` now, and the stored log beside the loop: writing a
   * snapshot of a large state takes long, and saves of later entries need not wait for it (the
   * storage orders the two). Until it is done, no other snapshot starts; if it fails, the loop
   * stops the node.
   */
  private compactBehind(
    core: Raft,
    captured: { index: number; envelope: SnapshotEnvelope },
  ): void {
    const { index } = captured;
    const envelope = encodeEnvelope(captured.envelope);
    const snapshot = core.createSnapshot(index, envelope, this.opts.keepEntries);
    this.compacting = this.opts.storage
      .compact(snapshot)
      .then(
        () => {
          // A snapshot installed from the leader meanwhile may have moved past this one.
          if (index <= this.snapshotIndex) return;
          this.snapshotIndex = index;
          this.log.info({ index, term: snapshot.meta.term, bytes: envelope.length }, 'snapshot taken');
          this.emit('snapshot-taken', index);
        },
        (err: unknown) => {
          this.compactionFailure = err instanceof Error ? err : new Error(String(err));
        },
      )
      .finally(() => {
        this.compacting = null;
        this.notify();
      });
  }

  /** Snapshot messages normally carry the data; read it back from storage when they do not. */
  private async withSnapshotData(messages: Message[]): Promise<Message[]> {
    for (const [i, m] of messages.entries()) {
      if (m.type !== 'snapshot' || m.snapshot.data.length > 0) continue;
      const reader = await this.opts.storage.openSnapshot();
      if (reader === null) continue;
      try {
        if (reader.meta.index !== m.snapshot.meta.index) continue;
        messages[i] = { ...m, snapshot: { meta: m.snapshot.meta, data: await reader.readAll() } };
      } finally {
        await reader.close();
      }
    }
    return messages;
  }

  // ---------------------------------------------------------------------------------------------
  // Roles and membership

  private onSoftState(role: Role, leader: NodeId | null, term: number): void {
    if (role === 'leader' && this.role !== 'leader') this.log.info({ term }, 'became leader');
    if (role !== 'leader' && this.role === 'leader') {
      this.log.info({ term, leader }, 'stepped down');
    }
    const leaderChanged = leader !== this.leader;
    this.role = role;
    this.leader = leader;
    if (leaderChanged) {
      this.log.debug({ term, leader }, 'leader changed');
      this.emit('leader', leader, term);
    }
  }

  /** What an entry in the log says about members: addresses, and removals to announce. */
  private noteEntry(entry: Entry): void {
    this.directory.noteEntry(entry);
    if (entry.kind === 'config' && entry.change?.type === 'remove' && entry.index > this.applied) {
      this.farewell.add(entry.change.nodeId);
    }
  }

  private onConfigApplied(e: ConfigEntry): void {
    const { voters, learners } = e.config;
    const change = e.change?.type ?? 'bootstrap';
    const member = e.change?.nodeId;
    const fields = { index: e.index, change, member, voters, learners };
    this.log.info(fields, 'membership change applied');
    this.emit('membership', e.config);
    if (e.change?.type !== 'remove') {
      for (const id of [...voters, ...learners]) this.farewell.delete(id);
      return;
    }
    const removed = e.change.nodeId;
    if (removed === this.id && this.isPreviousLife(e.index)) {
      this.log.info({ index: e.index }, 'replayed the removal of this id before it rejoined; ignoring');
    } else if (removed === this.id) {
      this.removal = { index: e.index, by: this.id };
    } else if (this.role === 'leader') {
      void this.sendRemovalNotice(removed, e.index);
    } else {
      this.farewell.delete(removed);
    }
  }

  private async sendRemovalNotice(peer: NodeId, index: number): Promise<void> {
    try {
      const notice = encodeNotice({ type: 'removed', index });
      await this.mux.request(peer, NODE_CHANNEL, notice, NOTICE_TIMEOUT_MS);
      this.log.info({ peer, index }, 'told a removed member of its removal');
    } catch (err) {
      this.log.warn({ peer, index, err }, 'could not tell a removed member of its removal');
    }
    this.farewell.delete(peer);
    if (this.state === 'running') this.enqueue(() => this.refreshPeers());
  }

  private async onNotice(from: NodeId, payload: Uint8Array): Promise<Uint8Array> {
    const notice = decodeNotice(payload);
    const voters = this.raft?.status().config.voters ?? [];
    if (notice === null || !voters.includes(from) || this.state !== 'running') {
      throw new Error('notice refused');
    }
    if (this.isPreviousLife(notice.index)) return new Uint8Array(0);
    if (this.removal === null) this.removal = { index: notice.index, by: from };
    this.notify();
    return new Uint8Array(0);
  }

  /**
   * Whether a log index predates this node's current life: a node wiped and added back under
   * the same id replays, or hears of, its own earlier removal, which must not stop it
   * (RaftOptions.voteFloor is the index of the entry that added it back).
   */
  private isPreviousLife(index: number): boolean {
    return index < (this.opts.raft.voteFloor ?? 0);
  }

  private beginTransfer(core: Raft, to: NodeId, waiter: Waiter<unknown>): void {
    core.transferLeadership(to);
    if (to === this.id) waiter.resolve(undefined);
    else this.transfers.add(to, waiter);
  }

  private changeMembership(change: ConfChange): Promise<void> {
    const waiter = this.newWaiter<void>(this.opts.proposalTimeoutMs, 'membership');
    const attempt = (core: Raft): void => {
      try {
        const { index, term } = core.proposeConfChange(change);
        this.proposals.add(index, term, waiter as Waiter<unknown>);
      } catch (err) {
        // A new leader first commits an entry of its term, and one change runs at a time: try
        // again at the next tick, until the deadline.
        const retry = err instanceof ConfChangeError && err.reason !== 'invalid';
        if (!retry) throw err;
        this.retries.push((c) => {
          if (!waiter.settled) this.runFor(waiter, attempt, c);
        });
      }
    };
    this.submit(waiter, attempt);
    return waiter.promise;
  }

  /** Gives the transport the members' addresses whenever they change. */
  private refreshPeers(): void {
    const core = this.raft;
    if (core === null) return;
    // Called at every Ready: skip the work unless something the peer set depends on changed.
    const leader = core.softState().leader;
    const inputs = `${core.raftLog.configVersion}|${this.directory.version}|${leader}|${[...this.farewell].join(',')}`;
    if (inputs === this.peerInputs) return;
    this.peerInputs = inputs;
    const { peers, missing } = peerAddresses({
      self: this.id,
      config: core.raftLog.config(),
      farewell: this.farewell,
      leader,
      directory: this.directory,
    });
    const key = JSON.stringify([...peers]);
    if (key === this.peersKey) return;
    this.peersKey = key;
    this.opts.transport.setPeers(peers);
    this.log.debug({ peers: [...peers.keys()] }, 'peer set updated');
    if (missing.length > 0) this.log.warn({ members: missing }, 'no address known for members');
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  private newWaiter<T>(timeoutMs: number, operation: NodeTimeoutError['operation']): Waiter<T> {
    const waiter = new Waiter<T>(timeoutMs, () => new NodeTimeoutError(operation, timeoutMs));
    const w = waiter as Waiter<unknown>;
    this.outstanding.add(w);
    const forget = (): void => {
      this.outstanding.delete(w);
    };
    waiter.promise.then(forget, forget);
    return waiter;
  }

  /** Queues `work` for the loop; errors the core throws for the request reject `waiter`. */
  private submit<T>(waiter: Waiter<T>, work: Input): void {
    if (this.state !== 'running' || this.stopRequested) {
      const reason = this.state === 'running' ? 'stopped' : endReason(this.state);
      waiter.reject(new NodeStoppedError(reason));
      return;
    }
    this.enqueue((core) => {
      if (!waiter.settled) this.runFor(waiter, work, core);
    });
  }

  /** Runs `work` in the loop; a refusal from the core rejects `waiter`, anything else is fatal. */
  private runFor<T>(waiter: Waiter<T>, work: Input, core: Raft): void {
    try {
      work(core);
    } catch (err) {
      const translated = this.translate(err);
      if (translated === null) throw err;
      waiter.reject(translated);
    }
  }

  /** Maps the core's refusals to node errors; null for anything else (which is fatal). */
  private translate(err: unknown): Error | null {
    if (err instanceof CoreNotLeaderError) {
      return new NotLeaderError(err.leader, this.directory.get(err.leader));
    }
    if (err instanceof ProposalDroppedError) return new ProposalRefusedError(err.reason, err);
    if (err instanceof ConfChangeError) {
      return new MembershipChangeError(err.reason, err.message, err);
    }
    if (err instanceof TransferError) return new TransferRefusedError(err.message, {}, err);
    if (err instanceof TransferRefusedError) return err;
    return null;
  }

  private enqueue(input: Input): void {
    if (this.state !== 'running') return;
    this.inputs.push(input);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Ends the node after the loop exits: for a stop, a removal or a failure. */
  private async finish(): Promise<void> {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    const reason = this.failure !== null ? 'failed' : this.removal !== null ? 'removed' : 'stopped';
    this.state = reason;
    this.inputs = [];
    this.retries = [];
    if (this.failure !== null) {
      this.log.error({ err: this.failure }, 'node failed: stopping');
      this.emit('fatal', this.failure);
    } else if (this.removal !== null) {
      this.log.info(this.removal, 'removed from the cluster: no longer taking part');
      this.emit('removed', this.removal);
    }

    const error = new NodeStoppedError(reason, this.failure ?? undefined);
    this.proposals.rejectAll(error);
    this.reads.rejectAll(error);
    for (const waiter of [...this.outstanding]) waiter.reject(error);
    this.transfers.clear();

    // The state machine's owner may close it once the node has stopped: not under a capture.
    await this.capturing;
    await this.compacting;
    const { transport, storage } = this.opts;
    await transport.stop().catch((err: unknown) => this.log.warn({ err }, 'transport stop failed'));
    await storage.close().catch((err: unknown) => this.log.warn({ err }, 'storage close failed'));
    this.log.info({ reason, applied: this.applied }, 'node stopped');
    this.emit('stopped');
  }
}

function endReason(state: NodeState): 'stopped' | 'removed' | 'failed' {
  return state === 'removed' || state === 'failed' ? state : 'stopped';
}
