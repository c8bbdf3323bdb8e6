/**
 * The core's only way to the cluster: who leads, the Raft configuration, joins, snapshots and
 * forwarding. The Raft-backed node implements {@link ClusterControl}; a single process without
 * replication, and most tests, use `SingleNodeCluster` (single-node-cluster.ts).
 *
 * Leadership is Vault's "active node": the leader serves every request; a follower answers
 * health, seal status, unseal and leader itself and hands the rest to the leader through
 * {@link ClusterControl.forward} (DESIGN.md "The write path").
 */
import type { AutopilotState } from './autopilot.js';

/** Where the current leader can be reached. */
export interface LeaderInfo {
  /** The leader's node id. */
  readonly id: string;
  /** Its API URL, e.g. `https://10.0.0.1:8200` (`leader_address` in `sys/leader`). */
  readonly apiAddr: string;
  /** Its cluster URL, e.g. `https://10.0.0.1:8201`. */
  readonly clusterAddr: string;
}

/** One server of the Raft configuration, as `sys/storage/raft/configuration` reports it. */
export interface RaftServer {
  readonly nodeId: string;
  /** The cluster address, `host:port`. */
  readonly address: string;
  readonly leader: boolean;
  readonly voter: boolean;
}

export interface RaftConfiguration {
  /** The log index the configuration was committed at. */
  readonly index: number;
  readonly servers: readonly RaftServer[];
}

/** What the leader hands a joining node first: a challenge only the unseal key can answer. */
export interface JoinChallenge {
  /** Base64 ciphertext of a random answer, encrypted under the cluster's unseal key. */
  readonly challenge: string;
  /** The seal configuration the joiner needs to collect shares (`seal_config`). */
  readonly sealConfig: Readonly<Record<string, unknown>>;
}

/** A joining node's answer to its challenge (`sys/storage/raft/bootstrap/answer`). */
export interface JoinAnswer {
  readonly nodeId: string;
  /** Base64 of the decrypted challenge. */
  readonly answer: string;
  /** The joiner's cluster address, `host:port` or a URL. */
  readonly clusterAddr: string;
  /** The joiner's API URL, which the others report once it leads (`sys/leader`). */
  readonly apiAddr: string;
  readonly nonVoter: boolean;
}

/** What an accepted joiner receives: the current peers and the cluster TLS material. */
export interface JoinResult {
  readonly peers: ReadonlyArray<{ readonly id: string; readonly address: string }>;
  /** Opaque to the core: the node implementation defines it. */
  readonly tlsKeyring: unknown;
  /**
   * A log index at or after the entry that added the joining node. Until the joiner's log
   * reaches it, its id may still name a previous life in lagging logs, so it must not vote
   * (RaftOptions.voteFloor). 0 when the implementation has no such notion.
   */
  readonly voteFloor: number;
}

/** The parameters of `sys/storage/raft/join` on the joining node. */
export interface JoinParams {
  readonly leaderApiAddr: string;
  readonly leaderCaCert?: string;
  readonly leaderClientCert?: string;
  readonly leaderClientKey?: string;
  readonly leaderTlsServerName?: string;
  readonly retry: boolean;
  readonly nonVoter: boolean;
}

/**
 * A whole HTTP request as a standby received it, to be replayed on the leader (vault-api.md §5,
 * "A standby forwards the whole HTTP request").
 */
export interface ForwardedRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/v1/secret/data/app?version=2`. */
  readonly url: string;
  /** Header names in lower case; hop-by-hop headers removed. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Uint8Array;
  readonly remoteAddress: string;
  /** True when the client reached the standby over TLS. */
  readonly tls: boolean;
  /**
   * The client certificate chain the standby's TLS handshake received, PEM, leaf first; empty
   * when there was none. The handshake proved the client holds the leaf's private key; whether
   * the chain also verified against the listener's client CAs is `peerCertificateVerified`.
   * The cert auth method verifies the chain against its own roles either way.
   */
  readonly peerCertificates: readonly string[];
  readonly peerCertificateVerified: boolean;
}

/** The leader's answer to a forwarded request, relayed to the client unchanged. */
export interface ForwardedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Uint8Array;
}

/**
 * The cluster operations the core and the HTTP layer need. Methods that change membership or
 * leadership are called only on the leader (the request that reaches them was forwarded there),
 * and reject with an error carrying a stable `code` when they cannot be done (not the leader,
 * a membership change in flight, an unknown peer).
 */
export interface ClusterControl {
  /** This node's id. */
  readonly nodeId: string;

  /** True while this node is the Raft leader (Vault's active node). */
  isLeader(): boolean;

  /** The current leader, this node included; null while none is known (an election). */
  leader(): LeaderInfo | null;

  /** When this node last became leader; null while it is not the leader. */
  activeSince(): Date | null;

  /** The Raft commit and apply indexes this node knows, for `sys/leader`. */
  indexes(): { readonly committed: number; readonly applied: number };

  /** The latest committed Raft configuration. */
  configuration(): Promise<RaftConfiguration>;

  /**
   * Leader: autopilot's health of every server and of the cluster, from what this leader has
   * observed (`sys/storage/raft/autopilot/state`, autopilot.ts). Only a leader has that view:
   * elsewhere this rejects with `NoActiveNodeError` (503), so the path is forwarded even as a
   * read (special-paths.ts, `leaderOnly`).
   */
  autopilotState(): Promise<AutopilotState>;

  /** Removes `nodeId` from the configuration. Rejects for an unknown node. */
  removePeer(nodeId: string): Promise<void>;

  /** Leader: creates a join challenge for `nodeId`, remembered until it is answered. */
  issueChallenge(nodeId: string): Promise<JoinChallenge>;

  /**
   * Leader: checks `answer` in constant time against the challenge issued to its node and, when
   * it matches, adds the node (as a learner, promoted once caught up unless `nonVoter`).
   */
  answerChallenge(answer: JoinAnswer): Promise<JoinResult>;

  /** Joining node: asks the leader at `params.leaderApiAddr` to join. Resolves to `joined`. */
  join(params: JoinParams): Promise<boolean>;

  /** Leader: gives up leadership so another node is elected. */
  stepDown(): Promise<void>;

  /** A snapshot of the replicated state: an archive whose every value is ciphertext. */
  snapshot(): Promise<Uint8Array>;

  /**
   * Replaces the replicated state with `archive`. Unless `force`, an archive from another
   * cluster (not sealed by this cluster's keys) is refused.
   */
  restore(archive: Uint8Array, options: { readonly force: boolean }): Promise<void>;

  /**
   * Replays `request` on the leader over the cluster channel and resolves to its answer.
   * Rejects when no leader is reachable; a write may then have been applied or not.
   */
  forward(request: ForwardedRequest): Promise<ForwardedResponse>;
}
