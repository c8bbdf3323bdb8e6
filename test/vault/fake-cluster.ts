/**
 * A {@link ClusterControl} whose role and leader a test sets, and which records every call.
 * Forwarding goes to whatever `forwardTo` the test plugs in (another node's HTTP server).
 */
import { AutopilotTracker } from '../../src/vault/index.js';
import type {
  AutopilotObservation,
  AutopilotState,
  ClusterControl,
  ForwardedRequest,
  ForwardedResponse,
  JoinAnswer,
  JoinChallenge,
  JoinParams,
  JoinResult,
  LeaderInfo,
  RaftConfiguration,
} from '../../src/vault/index.js';

export const LEADER: LeaderInfo = {
  id: 'node1',
  apiAddr: 'https://10.0.0.1:8200',
  clusterAddr: 'https://10.0.0.1:8201',
};

/** One server as the fake leader observes it, at term 3. */
function observed(
  id: string,
  status: AutopilotObservation['status'],
  lastContactMs: number,
  lastIndex: number,
): AutopilotObservation {
  const address = `10.0.0.${id.slice(-1)}:8201`;
  return { id, address, status, lastContactMs, lastTerm: 3, lastIndex, version: '1.17.0' };
}

export class FakeCluster implements ClusterControl {
  leading = true;
  current: LeaderInfo | null = LEADER;
  calls: Array<[string, unknown]> = [];
  forwarded: ForwardedRequest[] = [];
  forwardTo: ((request: ForwardedRequest) => Promise<ForwardedResponse>) | null = null;
  snapshotBytes = new Uint8Array([1, 2, 3, 0, 255]);
  /** What `autopilotState` judges, as of `autopilotNow`; a test changes them between reads. */
  observations: AutopilotObservation[] = [
    observed('node1', 'leader', 0, 61),
    observed('node2', 'voter', 250, 61),
    observed('node3', 'voter', 1200, 60),
  ];
  autopilotNow = new Date('2024-01-01T00:05:00Z');
  private readonly autopilot = new AutopilotTracker(new Date('2024-01-01T00:00:00Z'));

  constructor(readonly nodeId = 'node1') {}

  /** A follower of `leader`, or of nobody. */
  static follower(leader: LeaderInfo | null, nodeId = 'node2'): FakeCluster {
    const cluster = new FakeCluster(nodeId);
    cluster.leading = false;
    cluster.current = leader;
    return cluster;
  }

  isLeader(): boolean {
    return this.leading;
  }

  leader(): LeaderInfo | null {
    return this.current;
  }

  activeSince(): Date | null {
    return this.leading ? new Date('2024-01-01T00:00:00Z') : null;
  }

  indexes(): { committed: number; applied: number } {
    return { committed: 42, applied: 41 };
  }

  async configuration(): Promise<RaftConfiguration> {
    return {
      index: 7,
      servers: [
        { nodeId: 'node1', address: '10.0.0.1:8201', leader: true, voter: true },
        { nodeId: 'node2', address: '10.0.0.2:8201', leader: false, voter: false },
      ],
    };
  }

  async autopilotState(): Promise<AutopilotState> {
    this.calls.push(['autopilotState', null]);
    return this.autopilot.assess(this.observations, this.autopilotNow);
  }

  async removePeer(nodeId: string): Promise<void> {
    this.calls.push(['removePeer', nodeId]);
  }

  async issueChallenge(nodeId: string): Promise<JoinChallenge> {
    this.calls.push(['issueChallenge', nodeId]);
    return { challenge: 'Y2hhbGxlbmdl', sealConfig: { type: 'shamir', secret_shares: 5 } };
  }

  async answerChallenge(answer: JoinAnswer): Promise<JoinResult> {
    this.calls.push(['answerChallenge', answer]);
    return { peers: [{ id: 'node1', address: '10.0.0.1:8201' }], tlsKeyring: { ca: 'pem' }, voteFloor: 7 };
  }

  async join(params: JoinParams): Promise<boolean> {
    this.calls.push(['join', params]);
    return true;
  }

  async stepDown(): Promise<void> {
    this.calls.push(['stepDown', null]);
  }

  async snapshot(): Promise<Uint8Array> {
    this.calls.push(['snapshot', null]);
    return this.snapshotBytes;
  }

  async restore(archive: Uint8Array, options: { force: boolean }): Promise<void> {
    this.calls.push(['restore', { bytes: [...archive], force: options.force }]);
  }

  async forward(request: ForwardedRequest): Promise<ForwardedResponse> {
    this.forwarded.push(request);
    if (this.forwardTo === null) throw new Error('no route to the leader');
    return this.forwardTo(request);
  }
}
