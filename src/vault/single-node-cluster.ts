/**
 * A {@link ClusterControl} for a node that is its own cluster: always the leader, one voter,
 * nothing to forward. For tests and for running the core on a non-replicated store.
 */
import { InvalidRequestError } from '../logical/errors.js';
import { AutopilotTracker, type AutopilotState } from './autopilot.js';
import type {
  ClusterControl,
  ForwardedResponse,
  JoinChallenge,
  JoinResult,
  LeaderInfo,
  RaftConfiguration,
} from './cluster.js';
import { ClusterUnsupportedError } from './errors.js';
import { REPORTED_VERSION } from './version.js';

export interface SingleNodeClusterOptions {
  nodeId?: string;
  apiAddr?: string;
  clusterAddr?: string;
  /** When the node became active; the construction time by default. */
  activeSince?: Date;
}

export class SingleNodeCluster implements ClusterControl {
  readonly nodeId: string;
  private readonly self: LeaderInfo;
  private readonly since: Date;
  private readonly autopilot: AutopilotTracker;

  constructor(options: SingleNodeClusterOptions = {}) {
    this.nodeId = options.nodeId ?? 'node1';
    this.self = {
      id: this.nodeId,
      apiAddr: options.apiAddr ?? 'https://127.0.0.1:8200',
      clusterAddr: options.clusterAddr ?? 'https://127.0.0.1:8201',
    };
    this.since = options.activeSince ?? new Date();
    this.autopilot = new AutopilotTracker(this.since);
  }

  isLeader(): boolean {
    return true;
  }

  leader(): LeaderInfo {
    return this.self;
  }

  activeSince(): Date {
    return this.since;
  }

  indexes(): { committed: number; applied: number } {
    return { committed: 0, applied: 0 };
  }

  async configuration(): Promise<RaftConfiguration> {
    const address = this.self.clusterAddr.replace(/^[a-z]+:\/\//, '');
    return { index: 0, servers: [{ nodeId: this.nodeId, address, leader: true, voter: true }] };
  }

  /** The one server, leader and healthy; it tolerates no failure. */
  async autopilotState(): Promise<AutopilotState> {
    const { servers } = await this.configuration();
    const observed = { id: this.nodeId, address: servers[0]!.address, status: 'leader' as const };
    const facts = { lastContactMs: 0, lastTerm: 1, lastIndex: 0, version: REPORTED_VERSION };
    return this.autopilot.assess([{ ...observed, ...facts }], new Date());
  }

  async removePeer(nodeId: string): Promise<void> {
    throw new InvalidRequestError('cannot remove the only server of the cluster', { nodeId });
  }

  async issueChallenge(): Promise<JoinChallenge> {
    throw new ClusterUnsupportedError('join');
  }

  async answerChallenge(): Promise<JoinResult> {
    throw new ClusterUnsupportedError('join');
  }

  async join(): Promise<boolean> {
    throw new ClusterUnsupportedError('join');
  }

  /** Stepping down hands leadership to nobody: this node is elected again at once. */
  async stepDown(): Promise<void> {}

  async snapshot(): Promise<Uint8Array> {
    throw new ClusterUnsupportedError('snapshot');
  }

  async restore(): Promise<void> {
    throw new ClusterUnsupportedError('snapshot restore');
  }

  async forward(): Promise<ForwardedResponse> {
    throw new ClusterUnsupportedError('request forwarding');
  }
}
