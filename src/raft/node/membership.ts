/**
 * Membership decisions the driver makes around the core: which peers the transport should
 * accept, which learner the leader promotes, whom a leader stepping down hands over to, and the
 * notice a leader sends a member it removed.
 *
 * Why the notice: the leader forgets a removed member's progress as soon as the removal is in
 * its log (dissertation §4.1), so the member never receives the entry that removes it, and the
 * other nodes' transports refuse it once they drop it from their peer sets. The leader therefore
 * keeps the member reachable until the removal is applied and then tells it directly.
 */
import { Packr } from 'msgpackr';
import { ConfChangeError, ProposalDroppedError } from '../core/errors.js';
import type { Raft } from '../core/raft.js';
import type { ConfState, NodeId } from '../core/types.js';
import type { Logger } from '../../util/logger.js';
import { encodeContext, encodeDirectoryEntry } from './directory.js';
import type { MemberDirectory } from './directory.js';
import type { PeerProgress } from './types.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** The request channel the node uses for its own traffic. */
export const NODE_CHANNEL = 'raft-node';

export interface PeerSetInput {
  self: NodeId;
  config: ConfState;
  /** Removed members kept reachable until they were told. */
  farewell: ReadonlySet<NodeId>;
  leader: NodeId | null;
  directory: MemberDirectory;
}

/**
 * The ids the transport should talk to, with their cluster addresses. Besides the members of
 * the configuration in the log, that is the leader this node follows, and, while this node is
 * not in its own log's configuration yet (it is joining and replays older configurations), every
 * member it knows of.
 */
export function peerAddresses(input: PeerSetInput): {
  peers: Map<NodeId, string>;
  missing: NodeId[];
} {
  const { self, config, farewell, leader, directory } = input;
  const ids = new Set<NodeId>([...config.voters, ...config.learners, ...farewell]);
  if (leader !== null) ids.add(leader);
  if (!config.voters.includes(self) && !config.learners.includes(self)) {
    for (const [id] of directory.entries()) ids.add(id);
  }
  ids.delete(self);

  const peers = new Map<NodeId, string>();
  const missing: NodeId[] = [];
  for (const id of [...ids].sort()) {
    const meta = directory.get(id);
    if (meta === null) missing.push(id);
    else peers.set(id, meta.clusterAddr);
  }
  return { peers, missing };
}

/** A learner marked for promotion whose log is within `lag` entries of the leader's, if any. */
export function promotionCandidate(
  config: ConfState,
  progress: Record<NodeId, PeerProgress>,
  lastIndex: number,
  directory: MemberDirectory,
  lag: number,
): NodeId | null {
  for (const id of config.learners) {
    const pr = progress[id];
    if (pr !== undefined && directory.wantsPromotion(id) && pr.match + lag >= lastIndex) return id;
  }
  return null;
}

/**
 * The leader's work at each tick: promote a learner that asked for it once it has caught up, and
 * write down in the log the addresses of members that no entry holds yet (the founding voters).
 * Refusals (a change in flight, a transfer running) are retried at the next tick.
 */
export function leaderDuties(
  core: Raft,
  directory: MemberDirectory,
  promoteLag: number,
  log: Logger,
): void {
  const { role, config, progress, lastIndex } = core.status();
  if (role !== 'leader') return;

  const candidate = promotionCandidate(config, progress, lastIndex, directory, promoteLag);
  if (candidate !== null) {
    const meta = directory.get(candidate);
    try {
      const context = meta === null ? undefined : encodeContext(meta, false);
      core.proposeConfChange({ type: 'add-voter', nodeId: candidate, context });
      log.info({ member: candidate, lastIndex }, 'promoting a caught-up learner');
    } catch (err) {
      if (!(err instanceof ConfChangeError || err instanceof ProposalDroppedError)) throw err;
    }
  }

  const unlogged = directory.unlogged([...config.voters, ...config.learners]);
  if (unlogged.size > 0) {
    try {
      core.propose([encodeDirectoryEntry(unlogged)]);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
  }
}

/** The most caught-up voter other than `self`, to hand leadership to; null when there is none. */
export function transferTarget(
  self: NodeId,
  config: ConfState,
  progress: Record<NodeId, PeerProgress>,
): NodeId | null {
  let best: NodeId | null = null;
  let bestMatch = -1;
  for (const id of config.voters) {
    const match = progress[id]?.match ?? -1;
    if (id !== self && match > bestMatch) {
      best = id;
      bestMatch = match;
    }
  }
  return best;
}

/** What travels on {@link NODE_CHANNEL}. */
export type NodeNotice = { type: 'removed'; index: number };

export function encodeNotice(notice: NodeNotice): Uint8Array {
  return packr.pack(notice) as Uint8Array;
}

export function decodeNotice(bytes: Uint8Array): NodeNotice | null {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    return null;
  }
  const notice = value as Partial<NodeNotice> | null;
  if (notice?.type !== 'removed' || !Number.isInteger(notice.index)) return null;
  return { type: 'removed', index: notice.index as number };
}
