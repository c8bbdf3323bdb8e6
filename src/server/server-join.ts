/**
 * The joining node's side of a join (DESIGN.md "Seal, barrier, join"; vault-api.md §5):
 *
 *   1. ask a cluster node for a challenge (`bootstrap/challenge`), every 2 s until one answers
 *      (a standby forwards the request to the leader); the challenge brings the stored seal
 *      configuration, root key and keyring, which are served from memory so the operator can
 *      unseal this node with the cluster's shares;
 *   2. on unseal, before the core loads anything (the core's `beforeActivate` hook): read the
 *      answer through the now open barrier, send it (`bootstrap/answer`), and receive the peers;
 *   3. start the Raft node with those peers, move the core to the replicated store, and wait
 *      until a linearizable read succeeds, i.e. this node has applied what the leader had.
 *
 * A leader refusing the answer spends the challenge, so the node goes back to step 1 and the
 * operator unseals again. A node with Raft data of its own never gets here.
 */
import { InvalidRequestError, NoActiveNodeError } from '../logical/errors.js';
import { NodeStoppedError } from '../raft/node/errors.js';
import type { RaftNode } from '../raft/node/raft-node.js';
import type { NodeMeta } from '../raft/node/types.js';
import type { PhysicalStore } from '../physical/types.js';
import type { Logger } from '../util/logger.js';
import type { JoinParams } from '../vault/cluster.js';
import type { BeforeActivateHook } from '../vault/core.js';
import type { Joiner } from './raft-cluster.js';
import { JoinFailedError } from './server-errors.js';
import { apiRequest, type JoinTarget } from './server-join-http.js';
import type { SwitchablePhysicalStore } from './switchable-store.js';

export type { JoinTarget } from './server-join-http.js';

/**
 * What the server does once the leader accepted this node: its node, running, and its store.
 * `voteFloor` is the leader's word on where this node's new life starts (RaftOptions.voteFloor);
 * the server persists it before starting Raft.
 */
export type StartRaft = (peers: ReadonlyMap<string, NodeMeta>, voteFloor: number) => Promise<{
  readonly node: RaftNode<unknown>;
  readonly store: PhysicalStore;
}>;

export interface JoinCoordinatorOptions {
  readonly nodeId: string;
  /** This node's cluster `host:port` and API URL, sent with the answer. */
  readonly meta: NodeMeta;
  readonly store: SwitchablePhysicalStore;
  readonly startRaft: StartRaft;
  readonly logger: Logger;
  /** Between two rounds of challenge requests. Default 2 000 ms (Vault's retry_join period). */
  readonly retryIntervalMs?: number;
  /** How long the new member may take to catch up with the leader. Default 60 000 ms. */
  readonly catchUpTimeoutMs?: number;
}

interface Challenged {
  readonly target: JoinTarget;
  readonly challengePath: string;
}

export class JoinCoordinator implements Joiner {
  private readonly opts: JoinCoordinatorOptions;
  private readonly log: Logger;
  private challengedBy: Challenged | null = null;
  private joined = false;
  private stopped = false;
  private targets: readonly JoinTarget[] = [];
  private loop: Promise<void> | null = null;
  private wakeLoop: (() => void) | null = null;

  constructor(options: JoinCoordinatorOptions) {
    this.opts = options;
    this.log = options.logger;
  }

  /**
   * Asks `targets` for a challenge in turn, every `retryIntervalMs`, in the background, until
   * one answers or {@link JoinCoordinator.stop}. A later call replaces the targets.
   */
  retryJoin(targets: readonly JoinTarget[]): void {
    this.targets = targets;
    if (this.loop === null && !this.joined && !this.stopped) {
      this.loop = this.runRetries().finally(() => {
        this.loop = null;
      });
    }
  }

  /**
   * `sys/storage/raft/join`: one attempt at a challenge, or with `retry` the background loop.
   * Throws `InvalidRequestError` (400) when the cluster refused, `NoActiveNodeError` (503) when
   * it could not be reached.
   */
  async join(params: JoinParams): Promise<boolean> {
    if (this.joined) throw new InvalidRequestError('raft is already initialized');
    const target: JoinTarget = {
      leaderApiAddr: params.leaderApiAddr,
      caPem: params.leaderCaCert,
      clientCertPem: params.leaderClientCert,
      clientKeyPem: params.leaderClientKey,
      serverName: params.leaderTlsServerName,
    };
    if (params.retry) {
      this.retryJoin([target]);
      return true;
    }
    try {
      await this.fetchChallenge(target);
    } catch (err) {
      const fields = { leaderApiAddr: target.leaderApiAddr };
      if (err instanceof JoinFailedError && err.status !== null && err.status < 500) {
        throw new InvalidRequestError(err.message, fields, { cause: err });
      }
      throw new NoActiveNodeError('could not reach the cluster to join', 2, fields, { cause: err });
    }
    return true;
  }

  /** True once a cluster handed this node a join challenge. */
  get challenged(): boolean {
    return this.challengedBy !== null;
  }

  /** Stops the retries; a join in progress finishes or fails on its own. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeLoop?.();
    await this.loop;
  }

  /**
   * The core's `beforeActivate` hook: steps 2 and 3 of the module comment. A failure fails the
   * unseal with a 503 (no active node could take this node in; the operator unseals again), with
   * the reason in the log.
   */
  readonly beforeActivate: BeforeActivateHook = async (read) => {
    if (this.opts.store.phase === 'replicated') return;
    try {
      await this.completeJoin(read);
    } catch (err) {
      const message = 'could not join the cluster; unseal again to retry';
      throw new NoActiveNodeError(message, 2, { nodeId: this.opts.nodeId }, { cause: err });
    }
  };

  private async completeJoin(read: (path: string) => Promise<Uint8Array | null>): Promise<void> {
    const challenged = this.challengedBy;
    if (challenged === null) throw new JoinFailedError('no join challenge was received', null);

    const answer = await read(challenged.challengePath);
    if (answer === null) throw new JoinFailedError('the join challenge record is missing', null);
    const encoded = Buffer.from(answer).toString('base64');
    answer.fill(0);
    const { peers, voteFloor } = await this.sendAnswer(challenged.target, encoded);

    const { node, store } = await this.opts.startRaft(peers, voteFloor);
    this.opts.store.switchTo(store);
    await this.waitCaughtUp(node);
    this.joined = true;
    this.log.info({ leaderApiAddr: challenged.target.leaderApiAddr }, 'joined the cluster');
  }

  private async runRetries(): Promise<void> {
    let attempt = 0;
    while (!this.stopped && !this.joined) {
      for (const target of this.targets) {
        try {
          await this.fetchChallenge(target);
          return;
        } catch (err) {
          const fields = { leaderApiAddr: target.leaderApiAddr, attempt, err };
          if (attempt % 15 === 0) this.log.warn(fields, 'join attempt failed; retrying');
          else this.log.debug(fields, 'join attempt failed; retrying');
        }
      }
      attempt++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.retryIntervalMs ?? 2_000);
        this.wakeLoop = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeLoop = null;
    }
  }

  /** Step 1: a challenge from `target`, its records served from memory from now on. */
  private async fetchChallenge(target: JoinTarget): Promise<void> {
    const body = { server_id: this.opts.nodeId };
    const res = await apiRequest(target, 'PUT', '/v1/sys/storage/raft/bootstrap/challenge', body);
    const data = res.body?.data as { challenge?: unknown } | undefined;
    if (res.status !== 200 || typeof data?.challenge !== 'string') {
      throw refused('the cluster refused a join challenge', res.status, res.body);
    }
    const bundle = decodeBundle(data.challenge);
    await this.opts.store.seed(bundle.records);
    this.challengedBy = { target, challengePath: bundle.challengePath };
    this.log.info(
      { leaderApiAddr: target.leaderApiAddr },
      'received a join challenge; waiting for unseal keys',
    );
  }

  /** Step 2: the answer goes to the cluster; the peers come back. */
  private async sendAnswer(
    target: JoinTarget,
    answer: string,
  ): Promise<{ peers: Map<string, NodeMeta>; voteFloor: number }> {
    const { nodeId, meta } = this.opts;
    const body = {
      server_id: nodeId,
      answer,
      api_addr: meta.apiAddr,
      cluster_addr: `https://${meta.clusterAddr}`,
      non_voter: false,
    };
    const res = await apiRequest(target, 'PUT', '/v1/sys/storage/raft/bootstrap/answer', body);
    if (res.status >= 400 && res.status < 500) {
      // The challenge is spent: fetch a new one for the next unseal.
      this.challengedBy = null;
      this.retryJoin(this.targets.length > 0 ? this.targets : [target]);
    }
    const data = res.body?.data as { peers?: unknown; vote_floor?: unknown } | undefined;
    const peers = data?.peers;
    if (res.status !== 200 || !Array.isArray(peers)) {
      throw refused('the cluster refused the join answer', res.status, res.body);
    }

    const result = new Map<string, NodeMeta>();
    for (const peer of peers as Array<Record<string, unknown>>) {
      const { id, address, api_addr: apiAddr } = peer;
      if (typeof id !== 'string' || typeof address !== 'string') continue;
      result.set(id, { clusterAddr: address, apiAddr: typeof apiAddr === 'string' ? apiAddr : '' });
    }
    if (result.size === 0) throw new JoinFailedError('the join answer listed no peers', 200);
    const floor = data?.vote_floor;
    const voteFloor = typeof floor === 'number' && Number.isSafeInteger(floor) && floor > 0 ? floor : 0;
    return { peers: result, voteFloor };
  }

  /** Step 3: polls a linearizable read until it succeeds or the deadline passes. */
  private async waitCaughtUp(node: RaftNode<unknown>): Promise<void> {
    const timeoutMs = this.opts.catchUpTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await node.readIndex();
        return;
      } catch (cause) {
        if (this.stopped) throw new JoinFailedError('the server is stopping', null, {}, { cause });
        // A node that stopped (removed, failed) never catches up: say so now, not at the deadline.
        if (cause instanceof NodeStoppedError) {
          const fields = { reason: cause.reason };
          throw new JoinFailedError('the raft node stopped while catching up', null, fields, {
            cause,
          });
        }
        if (Date.now() > deadline) {
          throw new JoinFailedError('did not catch up with the leader', null, { timeoutMs }, {
            cause,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}

/** Reads the challenge bundle that `RaftCluster.issueChallenge` made. */
function decodeBundle(challenge: string): {
  challengePath: string;
  records: Map<string, Uint8Array>;
} {
  let bundle: { challenge_path?: unknown; records?: unknown };
  try {
    bundle = JSON.parse(Buffer.from(challenge, 'base64').toString('utf8')) as typeof bundle;
  } catch (cause) {
    throw new JoinFailedError('the join challenge is not readable', 200, {}, { cause });
  }
  const { challenge_path: challengePath, records } = bundle;
  if (typeof challengePath !== 'string' || typeof records !== 'object' || records === null) {
    throw new JoinFailedError('the join challenge is not readable', 200);
  }
  const decoded = new Map<string, Uint8Array>();
  for (const [path, value] of Object.entries(records as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new JoinFailedError('malformed join challenge', 200);
    decoded.set(path, Buffer.from(value, 'base64'));
  }
  if (!decoded.has(challengePath)) throw new JoinFailedError('malformed join challenge', 200);
  return { challengePath, records: decoded };
}

function refused(message: string, status: number, body: Record<string, unknown> | null) {
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  return new JoinFailedError(message, status, { errors });
}
