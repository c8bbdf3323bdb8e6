/**
 * {@link ClusterControl} over a {@link RaftNode}: how the core and the HTTP layer see the
 * cluster on a real node (src/vault/cluster.ts).
 *
 * - Leadership, the configuration and the indexes come from `node.status()`.
 * - Membership changes and step-down are the node's, with node errors turned into API errors
 *   (raft-cluster-wire.ts). One change at a time goes through here; a second one is a 409 at once.
 * - Joins: on the leader, the challenge and its answer are the core's (`createJoinChallenge`,
 *   `checkJoinAnswer`), and an accepted node is added as a learner that the leader promotes once
 *   it has caught up. On a joining node, `join` hands the parameters to the {@link Joiner}.
 * - Autopilot's state is judged on the leader from its node's per-member progress and contact
 *   times; one tracker per term of leadership remembers since when each health has held.
 * - Forwarding sends the whole HTTP request on the node's `http-forward` channel; the leader's
 *   handler replays it through its own HTTP server.
 *
 * - Snapshots, save and restore, are {@link RaftSnapshots}' (raft-snapshot.ts), once
 *   {@link RaftCluster.enableSnapshots} gave it the state machine and the core.
 *
 * A joining node has no Raft node until the leader accepts it: until {@link RaftCluster.attach},
 * it knows no leader and every cluster operation answers 503.
 */
import { ConflictError, InvalidRequestError, NoActiveNodeError } from '../logical/errors.js';
import type { NodeId } from '../raft/core/types.js';
import { TransferRefusedError } from '../raft/node/errors.js';
import type { RaftNode } from '../raft/node/raft-node.js';
import type { MemberStatus, NodeMeta } from '../raft/node/types.js';
import type { RestorableStateMachine } from '../physical/restore-command.js';
import { silentLogger, type Logger } from '../util/logger.js';
import {
  AutopilotTracker,
  type AutopilotObservation,
  type AutopilotState,
} from '../vault/autopilot.js';
import type {
  ClusterControl,
  ForwardedRequest,
  ForwardedResponse,
  JoinAnswer,
  JoinChallenge,
  JoinParams,
  JoinResult,
  LeaderInfo,
  RaftConfiguration,
} from '../vault/cluster.js';
import type { JoinChallengeRecords } from '../vault/core.js';
import { REPORTED_VERSION } from '../vault/version.js';
import {
  decodeForwardedRequest,
  decodeForwardedResponse,
  encodeForwardedRequest,
  encodeForwardedResponse,
  HTTP_FORWARD_CHANNEL,
  toLogicalError,
} from './raft-cluster-wire.js';
import { RaftSnapshots, type SnapshotAuthority } from './raft-snapshot.js';

/** The core's half of a join, on the leader (src/vault/core.ts). */
export interface JoinAuthority {
  createJoinChallenge(nodeId: string): Promise<JoinChallengeRecords>;
  checkJoinAnswer(nodeId: string, answer: string): Promise<void>;
}

/** The joining node's half of a join (server-join.ts). */
export interface Joiner {
  join(params: JoinParams): Promise<boolean>;
}

/** One member as a join response lists it. */
export interface JoinPeer {
  readonly id: string;
  /** The cluster address, `host:port`. */
  readonly address: string;
  /** The API URL. */
  readonly api_addr: string;
}

export interface RaftClusterOptions {
  readonly nodeId: string;
  /** This node's addresses: cluster `host:port`, API URL. */
  readonly meta: NodeMeta;
  readonly logger?: Logger;
  /** Milliseconds a forwarded request may take on the leader. Default 30 000. */
  readonly forwardTimeoutMs?: number;
  /** The largest state a snapshot restore accepts; see `DEFAULT_MAX_RESTORE_BYTES`. */
  readonly maxRestoreBytes?: number;
}

/** What `http-forward` requests are served by: the HTTP server's `serveForwarded`. */
export type ForwardHandler = (request: ForwardedRequest) => Promise<ForwardedResponse>;

export class RaftCluster implements ClusterControl {
  readonly nodeId: string;
  private readonly meta: NodeMeta;
  private readonly log: Logger;
  private readonly forwardTimeoutMs: number;
  private readonly maxRestoreBytes: number | undefined;
  private snapshots: RaftSnapshots | null = null;
  private node: RaftNode<unknown> | null = null;
  private authority: JoinAuthority | null = null;
  private joiner: Joiner | null = null;
  private forwardHandler: ForwardHandler | null = null;
  private since: Date | null = null;
  private autopilot: AutopilotTracker | null = null;
  private configIndex = 0;
  private changing = false;

  constructor(options: RaftClusterOptions) {
    this.nodeId = options.nodeId;
    this.meta = options.meta;
    this.log = options.logger ?? silentLogger;
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? 30_000;
    this.maxRestoreBytes = options.maxRestoreBytes;
  }

  /** Serves join challenges and answers with `authority` (the core). */
  setJoinAuthority(authority: JoinAuthority): void {
    this.authority = authority;
  }

  /** Lets `sys/storage/raft/join` start a join through `joiner`; null once it cannot. */
  setJoiner(joiner: Joiner | null): void {
    this.joiner = joiner;
  }

  /** Serves requests forwarded by standbys with `handler`. */
  setForwardHandler(handler: ForwardHandler): void {
    this.forwardHandler = handler;
  }

  /** Runs the cluster over `node` from now on; call before `node.start()`. */
  attach(node: RaftNode<unknown>): void {
    this.node = node;
    this.joiner = null;
    node.handle(HTTP_FORWARD_CHANNEL, (from, payload) => this.serveForwarded(from, payload));
    node.on('leader', (leader) => {
      this.since = leader === this.nodeId ? new Date() : null;
      this.autopilot = null;
    });
    // Entries apply in order, so the change being applied sits right after `applied`.
    node.on('membership', () => {
      this.configIndex = node.status().applied + 1;
    });
  }

  /**
   * Serves snapshot save and restore from `machine` (the attached node's state machine), with
   * `authority` (the core) for the cluster's snapshot key and the reload after a restore. Call
   * after {@link RaftCluster.attach} and before the node starts, so no replacement goes unheard.
   */
  enableSnapshots(machine: RestorableStateMachine, authority: SnapshotAuthority): void {
    this.snapshots?.close();
    this.snapshots = new RaftSnapshots({
      nodeId: this.nodeId,
      node: this.requireNode(),
      machine,
      authority,
      maxRestoreBytes: this.maxRestoreBytes,
      logger: this.log,
    });
  }

  isLeader(): boolean {
    return this.node !== null && this.node.status().role === 'leader';
  }

  leader(): LeaderInfo | null {
    const status = this.node?.status();
    if (status === undefined || status.leader === null) return null;
    const meta = status.leader === this.nodeId ? this.meta : status.leaderMeta;
    if (meta === null) return null;
    return { id: status.leader, apiAddr: meta.apiAddr, clusterAddr: `https://${meta.clusterAddr}` };
  }

  activeSince(): Date | null {
    return this.isLeader() ? this.since : null;
  }

  indexes(): { committed: number; applied: number } {
    const status = this.node?.status();
    return { committed: status?.commit ?? 0, applied: status?.applied ?? 0 };
  }

  async configuration(): Promise<RaftConfiguration> {
    const node = this.requireNode();
    await node.readIndex().catch((err: unknown) => {
      throw toLogicalError(err);
    });
    const status = node.status();
    const server = (member: MemberStatus, voter: boolean) => ({
      nodeId: member.id,
      address: member.meta?.clusterAddr ?? '',
      leader: member.id === status.leader,
      voter,
    });
    return {
      index: this.configIndex === 0 ? status.commit : this.configIndex,
      servers: [
        ...status.voters.map((m) => server(m, true)),
        ...status.learners.map((m) => server(m, false)),
      ],
    };
  }

  async autopilotState(): Promise<AutopilotState> {
    const status = this.requireNode().status();
    if (status.role !== 'leader') {
      throw new NoActiveNodeError('only the leader reports the autopilot state');
    }
    const now = new Date();
    const since = this.since ?? now;
    this.autopilot ??= new AutopilotTracker(since);

    const observe = (member: MemberStatus, voter: boolean): AutopilotObservation => {
      const self = member.id === this.nodeId;
      const contact = status.contact[member.id];
      // A member not heard from since this process started has been silent at least since
      // this node's leadership began.
      const heardAt = contact?.lastHeardAt ?? since.getTime();
      return {
        id: member.id,
        address: (self ? this.meta : member.meta)?.clusterAddr ?? '',
        status: self ? 'leader' : voter ? 'voter' : 'non-voter',
        lastContactMs: self ? 0 : Math.max(0, now.getTime() - heardAt),
        lastTerm: contact?.matchTerm ?? 0,
        lastIndex: self ? status.lastIndex : (status.progress[member.id]?.match ?? 0),
        // Members do not tell the leader their version: it reports its own for every one.
        version: REPORTED_VERSION,
      };
    };
    const observations = [
      ...status.voters.map((m) => observe(m, true)),
      ...status.learners.map((m) => observe(m, false)),
    ];
    return this.autopilot.assess(observations, now);
  }

  async removePeer(nodeId: string): Promise<void> {
    const node = this.requireNode();
    if (!this.isMember(nodeId)) {
      throw new InvalidRequestError('no such server in the raft configuration', { nodeId });
    }
    await this.oneChange(() => node.removeNode(nodeId), { nodeId });
    this.log.info({ member: nodeId }, 'removed a server from the cluster');
  }

  async issueChallenge(nodeId: string): Promise<JoinChallenge> {
    const authority = this.requireAuthority();
    this.refuseMember(nodeId);
    const issued = await authority.createJoinChallenge(nodeId);
    const bundle = { version: 1, challenge_path: issued.challengePath, records: issued.records };
    const sealConfig = issued.records['core/seal-config'];
    const decoded = sealConfig === undefined ? {} : parseJson(sealConfig);
    return {
      challenge: Buffer.from(JSON.stringify(bundle)).toString('base64'),
      sealConfig: decoded,
    };
  }

  async answerChallenge(answer: JoinAnswer): Promise<JoinResult> {
    const node = this.requireNode();
    const authority = this.requireAuthority();
    this.refuseMember(answer.nodeId);
    const clusterAddr = hostPort(answer.clusterAddr);
    if (clusterAddr === null) {
      throw new InvalidRequestError('cluster_addr must be host:port or a URL', {
        nodeId: answer.nodeId,
      });
    }
    const apiAddr = answer.apiAddr;
    if (!/^https?:\/\/[^\s/]+$/.test(apiAddr)) {
      throw new InvalidRequestError('api_addr must be an http(s) URL with no path', {
        nodeId: answer.nodeId,
      });
    }
    await authority.checkJoinAnswer(answer.nodeId, answer.answer);

    const meta: NodeMeta = { clusterAddr, apiAddr };
    const promoteWhenCaughtUp = !answer.nonVoter;
    await this.oneChange(() => node.addLearner(answer.nodeId, meta, { promoteWhenCaughtUp }), {
      nodeId: answer.nodeId,
    });
    this.log.info({ member: answer.nodeId, ...meta, promoteWhenCaughtUp }, 'added a joining node');

    // addLearner resolved once the change applied here, so the commit index is at or past it.
    const status = node.status();
    const peers: JoinPeer[] = [...status.voters, ...status.learners]
      .filter((m) => m.id !== answer.nodeId && m.meta !== null)
      .map((m) => ({ id: m.id, address: m.meta!.clusterAddr, api_addr: m.meta!.apiAddr }));
    return { peers, tlsKeyring: null, voteFloor: status.commit };
  }

  async join(params: JoinParams): Promise<boolean> {
    if (this.joiner === null) {
      throw new InvalidRequestError('raft is already initialized on this node');
    }
    return this.joiner.join(params);
  }

  async stepDown(): Promise<void> {
    const node = this.requireNode();
    try {
      await node.stepDown();
    } catch (err) {
      // A lone voter has nobody to hand over to: it is elected again at once, as Vault's is.
      if (err instanceof TransferRefusedError && node.status().voters.length === 1) return;
      if (err instanceof TransferRefusedError) {
        throw new ConflictError('leadership could not be handed over', {}, { cause: err });
      }
      throw toLogicalError(err);
    }
  }

  async snapshot(): Promise<Uint8Array> {
    return this.requireSnapshots().save();
  }

  async restore(archive: Uint8Array, options: { readonly force: boolean }): Promise<void> {
    return this.requireSnapshots().restore(archive, options);
  }

  async forward(request: ForwardedRequest): Promise<ForwardedResponse> {
    const node = this.requireNode();
    const leader = node.status().leader;
    if (leader === null || leader === this.nodeId) throw new NoActiveNodeError();
    const payload = encodeForwardedRequest(request);
    const answer = await node.request(leader, HTTP_FORWARD_CHANNEL, payload, this.forwardTimeoutMs);
    return decodeForwardedResponse(answer);
  }

  private async serveForwarded(from: NodeId, payload: Uint8Array): Promise<Uint8Array> {
    if (this.forwardHandler === null) throw new NoActiveNodeError('not serving requests yet');
    const request = decodeForwardedRequest(payload);
    this.log.debug({ from, method: request.method }, 'serving a forwarded request');
    return encodeForwardedResponse(await this.forwardHandler(request));
  }

  /** Runs one membership change; a second one while it runs is refused with a 409. */
  private async oneChange(change: () => Promise<void>, fields: Record<string, unknown>) {
    if (this.changing) throw new ConflictError('another membership change is in flight', fields);
    this.changing = true;
    try {
      await change();
    } catch (err) {
      throw toLogicalError(err, fields);
    } finally {
      this.changing = false;
    }
  }

  private isMember(nodeId: string): boolean {
    const status = this.node?.status();
    if (status === undefined) return false;
    return [...status.voters, ...status.learners].some((m) => m.id === nodeId);
  }

  private refuseMember(nodeId: string): void {
    if (this.isMember(nodeId)) {
      throw new InvalidRequestError(`node ${nodeId} is already a member of the cluster`, {
        nodeId,
      });
    }
  }

  private requireNode(): RaftNode<unknown> {
    if (this.node === null) throw new NoActiveNodeError('this node has not joined a cluster yet');
    return this.node;
  }

  private requireSnapshots(): RaftSnapshots {
    this.requireNode();
    if (this.snapshots === null) throw new NoActiveNodeError('this node cannot serve snapshots yet');
    return this.snapshots;
  }

  private requireAuthority(): JoinAuthority {
    if (this.authority === null) throw new NoActiveNodeError('this node cannot serve joins yet');
    return this.authority;
  }
}

/** `host:port` from a URL or a bare `host:port`; null when it is neither. */
export function hostPort(address: string): string | null {
  const bare = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `https://${address}`;
  try {
    const url = new URL(bare);
    if (url.port === '' || url.hostname === '') return null;
    return `${url.hostname}:${url.port}`;
  } catch {
    return null;
  }
}

function parseJson(base64: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
