/**
 * Helpers for driving single Raft cores by hand in the paper-rule tests: build a node with a
 * chosen log, term and vote; collect a Ready and acknowledge it; pick messages out of a Ready;
 * and build the messages a test feeds in. Nothing here routes messages between nodes: each test
 * plays every peer itself, so it can check one rule in isolation.
 */
import { seededRandom } from '../../../src/util/random.js';
import { Raft } from '../../../src/raft/core/index.js';
import type {
  AppendRequest,
  AppendResponse,
  ConfigEntry,
  Entry,
  HardState,
  HeartbeatRequest,
  Message,
  MessageType,
  NodeId,
  NormalEntry,
  PersistedState,
  Ready,
  RejectHint,
  VoteRequest,
} from '../../../src/raft/core/index.js';

/** The knobs a paper test turns. Pre-vote and check-quorum default to OFF here. */
export interface ManualOptions {
  /** Seed for the election-timeout jitter. Default 1. */
  seed?: number;
  /** Default 10. */
  electionTicks?: number;
  /** Default 1. */
  heartbeatTicks?: number;
  /** Default false: the plain protocol of the paper. */
  preVote?: boolean;
  /** Default false: the plain protocol of the paper. */
  checkQuorum?: boolean;
  /** The index the state machine already holds. Default: the persisted commit index. */
  applied?: number;
  /** Bytes of committed entries per Ready. Default: the core's. */
  maxApplyBytes?: number;
}

/** What a node has on disk, kept up to date by {@link persist}: what it is rebuilt from. */
export interface Disk {
  hardState: HardState;
  entries: Entry[];
}

/**
 * The founding config entry: index 1, term 1, naming `voters`. Every log built here starts
 * with it, so the membership comes from the log as it does in a real cluster.
 */
export function founding(voters: NodeId[]): ConfigEntry {
  return {
    kind: 'config',
    term: 1,
    index: 1,
    change: null,
    config: { voters: [...voters].sort(), learners: [] },
  };
}

/** A normal entry whose payload names its position, so a test can tell entries apart. */
export function entry(index: number, term: number, data?: string): NormalEntry {
  const payload = new TextEncoder().encode(data ?? `e${index}t${term}`);
  return { kind: 'normal', term, index, data: payload };
}

/** Normal entries at `first`, `first + 1`, ... with the given terms. */
export function entries(first: number, terms: number[]): NormalEntry[] {
  return terms.map((term, i) => entry(first + i, term));
}

/**
 * A whole log from the term of every entry, index 1 first. Index 1 is always the founding
 * config entry, so `terms[0]` must be 1.
 */
export function logOf(voters: NodeId[], terms: number[]): Entry[] {
  if (terms[0] !== 1) throw new Error('index 1 holds the founding entry, whose term is 1');
  return [founding(voters), ...entries(2, terms.slice(1))];
}

/** The terms of a log, index 1 first: the inverse of {@link logOf}, for readable assertions. */
export function termsOf(log: Entry[]): number[] {
  return log.map((e) => e.term);
}

/**
 * Builds node `id` as if it restarted from `disk`. The state machine is taken to hold everything
 * committed (override with `opts.applied`), so the first Ready carries no old entries to apply.
 */
export function restart(id: NodeId, disk: Disk, opts: ManualOptions = {}): Raft {
  const persisted: PersistedState = {
    hardState: { ...disk.hardState },
    snapshot: null,
    entries: [...disk.entries],
  };
  return new Raft(
    {
      id,
      random: seededRandom(opts.seed ?? 1),
      electionTicks: opts.electionTicks ?? 10,
      heartbeatTicks: opts.heartbeatTicks ?? 1,
      preVote: opts.preVote ?? false,
      checkQuorum: opts.checkQuorum ?? false,
      applied: opts.applied ?? disk.hardState.commit,
      ...(opts.maxApplyBytes === undefined ? {} : { maxApplyBytes: opts.maxApplyBytes }),
    },
    persisted,
  );
}

/**
 * A node whose log holds entries with `terms` (see {@link logOf}) and whose hard state is
 * `hard` (term defaults to the last entry's term, commit to 1, no vote).
 */
export function nodeWithLog(
  id: NodeId,
  voters: NodeId[],
  terms: number[],
  hard: Partial<HardState> = {},
  opts: ManualOptions = {},
): Raft {
  const log = logOf(voters, terms);
  const hardState: HardState = {
    term: hard.term ?? log[log.length - 1]!.term,
    vote: hard.vote ?? null,
    commit: hard.commit ?? 1,
  };
  return restart(id, { hardState, entries: log }, opts);
}

/** A fresh member of a new cluster of `voters`: term 1, only the founding entry, committed. */
export function newRaft(id: NodeId, voters: NodeId[], opts: ManualOptions = {}): Raft {
  return nodeWithLog(id, voters, [1], {}, opts);
}

/** Collects the next Ready and acknowledges it, as a driver that did all its work would. */
export function drain(r: Raft): Ready {
  const rd = r.ready();
  r.advance();
  return rd;
}

/** Records what a Ready tells the driver to persist, as a storage layer would. */
export function persist(disk: Disk, rd: Ready): void {
  if (rd.entries.length > 0) {
    const first = rd.entries[0]!.index;
    disk.entries = [...disk.entries.filter((e) => e.index < first), ...rd.entries];
  }
  if (rd.hardState !== null) disk.hardState = { ...rd.hardState };
}

/** The message shape whose `type` may be `T` (vote-resp and pre-vote-resp share one shape). */
export type MessageOf<T extends MessageType> = Message & { type: T };

/** The messages of one type in a Ready (or a list of messages), in the order they were sent. */
export function msgsOfType<T extends MessageType>(
  from: Ready | Message[],
  type: T,
): MessageOf<T>[] {
  const all = Array.isArray(from) ? from : from.messages;
  return all.filter((m): m is MessageOf<T> => m.type === type);
}

/** The only message of `type` addressed to `to`; throws when there is none or more than one. */
export function onlyMsgTo<T extends MessageType>(rd: Ready, type: T, to: NodeId): MessageOf<T> {
  const found = msgsOfType(rd, type).filter((m) => m.to === to);
  if (found.length !== 1) {
    const seen = describe(rd.messages);
    throw new Error(`expected one ${type} to ${to}, found ${found.length}: ${seen}`);
  }
  return found[0]!;
}

/** A one-line summary of messages, for assertion failures. */
export function describe(msgs: Message[]): string {
  return msgs.map((m) => `${m.type} ${m.from}->${m.to} t${m.term}`).join(', ') || '(none)';
}

/**
 * Ticks `r` (draining after each tick) until `done` holds; throws after `max` ticks. Returns
 * the number of ticks it took and every Ready seen on the way.
 */
export function tickUntil(
  r: Raft,
  done: () => boolean,
  max: number,
): { ticks: number; readies: Ready[] } {
  const readies: Ready[] = [];
  for (let ticks = 1; ticks <= max; ticks++) {
    r.tick();
    readies.push(drain(r));
    if (done()) return { ticks, readies };
  }
  throw new Error(`condition not reached within ${max} ticks`);
}

/** Ticks `r` `n` times, draining after each, and returns the Readies. */
export function tickN(r: Raft, n: number): Ready[] {
  const readies: Ready[] = [];
  for (let i = 0; i < n; i++) {
    r.tick();
    readies.push(drain(r));
  }
  return readies;
}

/**
 * Makes `r` a leader by hand: ticks it into a campaign (pre-vote must be off), grants it the
 * votes of `granters`, and returns the Ready of its first moments as leader (the no-op append).
 */
export function elect(r: Raft, granters: NodeId[]): Ready {
  tickUntil(r, () => r.status().role === 'candidate', 100);
  const term = r.status().term;
  for (const from of granters) {
    r.step({ type: 'vote-resp', from, to: r.id, term, reject: false });
  }
  if (r.status().role !== 'leader') {
    throw new Error(`${r.id} did not win with the votes of ${granters.join(',')}`);
  }
  return drain(r);
}

/** A RequestVote from `from` to `to`. */
export function voteReq(
  from: NodeId,
  to: NodeId,
  term: number,
  lastLogIndex: number,
  lastLogTerm: number,
  type: 'vote' | 'pre-vote' = 'vote',
): VoteRequest {
  return { type, from, to, term, lastLogIndex, lastLogTerm, transfer: false };
}

/** An AppendEntries from leader `from` to `to`. */
export function appendReq(
  from: NodeId,
  to: NodeId,
  term: number,
  prev: { index: number; term: number },
  ents: Entry[],
  commit: number,
): AppendRequest {
  return {
    type: 'append',
    from,
    to,
    term,
    prevIndex: prev.index,
    prevTerm: prev.term,
    entries: ents,
    commit,
  };
}

/** A follower's successful answer to an append: it holds the leader's log through `index`. */
export function ack(from: NodeId, to: NodeId, term: number, index: number): AppendResponse {
  return { type: 'append-resp', from, to, term, reject: false, index, hint: null };
}

/** A follower's refusal of an append whose prevLogIndex was `index`, with its hint if any. */
export function nack(
  from: NodeId,
  to: NodeId,
  term: number,
  index: number,
  hint: RejectHint | null = null,
): AppendResponse {
  return { type: 'append-resp', from, to, term, reject: true, index, hint };
}

/** A leader's heartbeat. */
export function heartbeat(
  from: NodeId,
  to: NodeId,
  term: number,
  commit: number,
  readSeq = 0,
): HeartbeatRequest {
  return { type: 'heartbeat', from, to, term, commit, readSeq };
}

/** The disk of a fresh member of a new cluster of `voters`: just the founding entry. */
export function freshDisk(voters: NodeId[]): Disk {
  return { hardState: { term: 1, vote: null, commit: 1 }, entries: logOf(voters, [1]) };
}

/** The indexes of some entries, e.g. a Ready's, for readable assertions. */
export function indexes(ents: Entry[]): number[] {
  return ents.map((e) => e.index);
}

/** The term of every entry in `r`'s log, index 1 first (0 where the log is compacted). */
export function termsIn(r: Raft): number[] {
  const out: number[] = [];
  for (let i = 1; i <= r.raftLog.lastIndex(); i++) out.push(r.raftLog.term(i) ?? 0);
  return out;
}
