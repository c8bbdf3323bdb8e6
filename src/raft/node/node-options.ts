/**
 * A node's options, validated and defaulted in one place at construction.
 */
import { resolveOptions as resolveRaftOptions } from '../core/config.js';
import type { RaftOptions } from '../core/config.js';
import { silentLogger } from '../../util/logger.js';
import type { Logger } from '../../util/logger.js';
import { NodeConfigError } from './errors.js';
import type { RaftNodeOptions } from './types.js';

export const DEFAULT_TICK_MS = 100;
export const DEFAULT_SNAPSHOT_THRESHOLD = 8192;
export const DEFAULT_KEEP_ENTRIES = 1024;
export const DEFAULT_PROPOSAL_TIMEOUT_MS = 10_000;
export const DEFAULT_READ_TIMEOUT_MS = 5_000;
export const DEFAULT_PROMOTE_LAG = 64;

export type ResolvedNodeOptions<R> = Required<
  Omit<RaftNodeOptions<R>, 'bootstrap' | 'peers' | 'meta' | 'raft'>
> &
  Pick<RaftNodeOptions<R>, 'bootstrap' | 'peers' | 'meta'> & {
    /** The core's options, without `applied` (known only once storage is read). */
    raft: Omit<RaftOptions, 'applied'>;
  };

/** @throws NodeConfigError when an option cannot work. */
export function resolveNodeOptions<R>(options: RaftNodeOptions<R>): ResolvedNodeOptions<R> {
  const logger = withFields(options.logger ?? silentLogger, { nodeId: options.id });
  const resolved: ResolvedNodeOptions<R> = {
    id: options.id,
    storage: options.storage,
    transport: options.transport,
    stateMachine: options.stateMachine,
    tickMs: options.tickMs ?? DEFAULT_TICK_MS,
    logger,
    snapshotThreshold: options.snapshotThreshold ?? DEFAULT_SNAPSHOT_THRESHOLD,
    snapshotIntervalMs: options.snapshotIntervalMs ?? 0,
    keepEntries: options.keepEntries ?? DEFAULT_KEEP_ENTRIES,
    bootstrap: options.bootstrap,
    peers: options.peers,
    meta: options.meta,
    proposalTimeoutMs: options.proposalTimeoutMs ?? DEFAULT_PROPOSAL_TIMEOUT_MS,
    readTimeoutMs: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
    promoteLag: options.promoteLag ?? DEFAULT_PROMOTE_LAG,
    raft: {
      ...options.raft,
      id: options.id,
      random: options.raft?.random ?? Math.random,
      logger: withFields(logger, { component: 'raft-core' }),
    },
  };

  if (typeof resolved.id !== 'string' || resolved.id === '') {
    throw new NodeConfigError('id must be a non-empty string');
  }
  if (resolved.transport.nodeId !== resolved.id) {
    throw new NodeConfigError('the transport belongs to another node', {
      id: resolved.id,
      transportId: resolved.transport.nodeId,
    });
  }
  const positive = ['tickMs', 'snapshotThreshold', 'proposalTimeoutMs', 'readTimeoutMs'] as const;
  for (const key of positive) {
    if (!Number.isInteger(resolved[key]) || resolved[key] <= 0) {
      throw new NodeConfigError(`${key} must be a positive integer`);
    }
  }
  for (const key of ['keepEntries', 'promoteLag', 'snapshotIntervalMs'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 0) {
      throw new NodeConfigError(`${key} must be a non-negative integer`);
    }
  }
  if (resolved.bootstrap !== undefined && !resolved.bootstrap.has(resolved.id)) {
    throw new NodeConfigError('a founding node must be among the bootstrap voters');
  }
  try {
    resolveRaftOptions(resolved.raft);
  } catch (err) {
    throw new NodeConfigError('invalid raft core options', {}, { cause: err });
  }
  return resolved;
}

/** A logger that adds `fields` to every line. */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  return {
    debug: (f, m) => logger.debug({ ...fields, ...f }, m),
    info: (f, m) => logger.info({ ...fields, ...f }, m),
    warn: (f, m) => logger.warn({ ...fields, ...f }, m),
    error: (f, m) => logger.error({ ...fields, ...f }, m),
  };
}
