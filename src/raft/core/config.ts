/**
 * The Raft core's tunables, validated and defaulted in one place at construction.
 */
import type { Logger } from '../../util/logger.js';
import { silentLogger } from '../../util/logger.js';
import type { Random } from '../../util/random.js';
import type { NodeId } from './types.js';

export interface RaftOptions {
  /** This node's id. */
  id: NodeId;
  /** Randomness for election timeouts; seeded in tests so runs replay exactly. */
  random: Random;
  /**
   * Ticks without hearing from a leader before a follower campaigns. The actual timeout is drawn
   * from [electionTicks, 2 × electionTicks) at every reset (Raft §5.2). Default 10.
   */
  electionTicks?: number;
  /** Ticks between a leader's heartbeats. Must be below electionTicks. Default 1. */
  heartbeatTicks?: number;
  /** Run a pre-vote round before a real election (dissertation §9.6). Default true. */
  preVote?: boolean;
  /**
   * A leader steps down when it has not heard from a quorum within an election timeout, and a
   * follower that heard from a live leader within the timeout ignores vote requests. Default true.
   */
  checkQuorum?: boolean;
  /** Bytes of entries per append message (at least one entry is always sent). Default 1 MiB. */
  maxMsgBytes?: number;
  /** Entries per append message. Default 4096. */
  maxMsgEntries?: number;
  /** Append messages in flight per follower while replicating. Default 256. */
  maxInflightMsgs?: number;
  /** Bytes of proposed but uncommitted entries the leader accepts; 0 means no limit. Default 64 MiB. */
  maxUncommittedBytes?: number;
  /** Bytes of committed entries handed out per Ready (at least one entry). Default 16 MiB. */
  maxApplyBytes?: number;
  /** The index the application's state machine already holds (if durable); default: the snapshot's. */
  applied?: number;
  /**
   * For a node that rejoined under an id it had before (its data wiped, then added back as a
   * learner at this log index): its id's history before this index belongs to a previous life, so
   * it neither votes nor campaigns until its own log reaches the index. Without this, a lagging
   * node that still counts the old incarnation as a voter could be elected by its vote. Default 0.
   */
  voteFloor?: number;
  logger?: Logger;
}

export type ResolvedRaftOptions = Required<Omit<RaftOptions, 'applied'>> & { applied: number | null };

/** Thrown for options that cannot work; a programming or configuration error. */
export class RaftConfigError extends Error {
  readonly code = 'raft_config_invalid';

  constructor(message: string) {
    super(message);
    this.name = 'RaftConfigError';
  }
}

export function resolveOptions(options: RaftOptions): ResolvedRaftOptions {
  const resolved: ResolvedRaftOptions = {
    id: options.id,
    random: options.random,
    electionTicks: options.electionTicks ?? 10,
    heartbeatTicks: options.heartbeatTicks ?? 1,
    preVote: options.preVote ?? true,
    checkQuorum: options.checkQuorum ?? true,
    maxMsgBytes: options.maxMsgBytes ?? 1024 * 1024,
    maxMsgEntries: options.maxMsgEntries ?? 4096,
    maxInflightMsgs: options.maxInflightMsgs ?? 256,
    maxUncommittedBytes: options.maxUncommittedBytes ?? 64 * 1024 * 1024,
    maxApplyBytes: options.maxApplyBytes ?? 16 * 1024 * 1024,
    applied: options.applied ?? null,
    voteFloor: options.voteFloor ?? 0,
    logger: options.logger ?? silentLogger,
  };

  if (typeof resolved.id !== 'string' || resolved.id === '') {
    throw new RaftConfigError('id must be a non-empty string');
  }
  if (typeof resolved.random !== 'function') {
    throw new RaftConfigError('random must be a function returning numbers in [0, 1)');
  }
  for (const key of ['electionTicks', 'heartbeatTicks', 'maxMsgBytes', 'maxMsgEntries', 'maxInflightMsgs', 'maxApplyBytes'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] <= 0) {
      throw new RaftConfigError(`${key} must be a positive integer`);
    }
  }
  if (!Number.isInteger(resolved.maxUncommittedBytes) || resolved.maxUncommittedBytes < 0) {
    throw new RaftConfigError('maxUncommittedBytes must be a non-negative integer');
  }
  if (resolved.heartbeatTicks >= resolved.electionTicks) {
    throw new RaftConfigError('heartbeatTicks must be less than electionTicks');
  }
  if (!Number.isInteger(resolved.voteFloor) || resolved.voteFloor < 0) {
    throw new RaftConfigError('voteFloor must be a non-negative integer');
  }
  if (resolved.applied !== null && (!Number.isInteger(resolved.applied) || resolved.applied < 0)) {
    throw new RaftConfigError('applied must be a non-negative integer');
  }
  return resolved;
}
