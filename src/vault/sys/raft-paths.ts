/**
 * `sys/storage/raft/*`: the integrated-storage endpoints (vault-api.md §2.1, §5). Each one hands
 * the work to {@link ClusterControl}; this file only decodes fields and renders Vault's shapes.
 */
import { InvalidRequestError } from '../../logical/errors.js';
import type { FieldData, PathDefinition, Request } from '../../logical/index.js';
import { dataResponse, rawJson, type Response } from '../../logical/response.js';
import { formatGoDuration, type AutopilotServer } from '../autopilot.js';
import type { Core } from '../core.js';

/** Vault reports Raft protocol version 3 for every server. */
const RAFT_PROTOCOL_VERSION = '3';

export function raftPaths(core: Core): PathDefinition[] {
  const { cluster } = core;

  const configuration = async (): Promise<Response> => {
    const config = await cluster.configuration();
    const servers = config.servers.map((server) => ({
      node_id: server.nodeId,
      address: server.address,
      leader: server.leader,
      voter: server.voter,
      protocol_version: RAFT_PROTOCOL_VERSION,
    }));
    return dataResponse({ config: { index: config.index, servers } });
  };

  // Vault's shape (API docs, "Get cluster state"): servers keyed by id, durations as Go prints
  // them, times as RFC 3339.
  const autopilotState = async (): Promise<Response> => {
    const state = await cluster.autopilotState();
    const server = (s: AutopilotServer) => ({
      id: s.id,
      name: s.id,
      address: s.address,
      node_status: s.nodeStatus,
      last_contact: formatGoDuration(s.lastContactMs),
      last_term: s.lastTerm,
      last_index: s.lastIndex,
      healthy: s.healthy,
      stable_since: s.stableSince.toISOString(),
      status: s.status,
      version: s.version,
      node_type: s.status === 'non-voter' ? 'non-voter' : 'voter',
    });
    return dataResponse({
      healthy: state.healthy,
      failure_tolerance: state.failureTolerance,
      optimistic_failure_tolerance: state.optimisticFailureTolerance,
      leader: state.leader,
      voters: state.voters,
      servers: Object.fromEntries(state.servers.map((s) => [s.id, server(s)])),
    });
  };

  const removePeer = async (_request: Request, fields: FieldData): Promise<null> => {
    await cluster.removePeer(required(fields, 'server_id'));
    return null;
  };

  const challenge = async (_request: Request, fields: FieldData): Promise<Response> => {
    const issued = await cluster.issueChallenge(required(fields, 'server_id'));
    return dataResponse({ challenge: issued.challenge, seal_config: issued.sealConfig });
  };

  const answer = async (_request: Request, fields: FieldData): Promise<Response> => {
    const result = await cluster.answerChallenge({
      nodeId: required(fields, 'server_id'),
      answer: required(fields, 'answer'),
      clusterAddr: required(fields, 'cluster_addr'),
      apiAddr: required(fields, 'api_addr'),
      nonVoter: fields.bool('non_voter'),
    });
    return dataResponse({
      peers: result.peers,
      tls_keyring: result.tlsKeyring,
      vote_floor: result.voteFloor,
    });
  };

  const join = async (_request: Request, fields: FieldData): Promise<Response> => {
    const optional = (name: string): string | undefined =>
      fields.has(name) ? fields.string(name) : undefined;
    const joined = await cluster.join({
      leaderApiAddr: required(fields, 'leader_api_addr'),
      leaderCaCert: optional('leader_ca_cert'),
      leaderClientCert: optional('leader_client_cert'),
      leaderClientKey: optional('leader_client_key'),
      leaderTlsServerName: optional('leader_tls_servername'),
      retry: fields.bool('retry'),
      nonVoter: fields.bool('non_voter'),
    });
    return rawJson(200, { joined });
  };

  const snapshot = async (): Promise<Response> => ({
    raw: { status: 200, contentType: 'application/octet-stream', body: await cluster.snapshot() },
  });

  const restore =
    (force: boolean) =>
    async (request: Request): Promise<null> => {
      if (request.body === undefined || request.body.byteLength === 0) {
        throw new InvalidRequestError('no snapshot provided in the request body');
      }
      await cluster.restore(request.body, { force });
      return null;
    };

  const text = (description: string) => ({ type: 'string', description }) as const;
  const flag = (description: string) => ({ type: 'bool', description }) as const;
  return [
    {
      pattern: 'storage/raft/configuration',
      operations: { read: configuration },
      synopsis: 'The servers of the Raft configuration.',
    },
    {
      pattern: 'storage/raft/autopilot/state',
      operations: { read: autopilotState },
      synopsis: "Autopilot's health of each server and of the cluster, as the leader sees it.",
    },
    {
      pattern: 'storage/raft/remove-peer',
      fields: { server_id: text('The node id to remove.') },
      operations: { update: removePeer },
      synopsis: 'Remove a server from the Raft configuration.',
    },
    {
      pattern: 'storage/raft/bootstrap/challenge',
      fields: { server_id: text('The joining node id.') },
      operations: { update: challenge },
      synopsis: 'Start a join: a challenge only the unseal key can answer.',
    },
    {
      pattern: 'storage/raft/bootstrap/answer',
      fields: {
        server_id: text('The joining node id.'),
        answer: text('The decrypted challenge, base64.'),
        cluster_addr: text('The joining node cluster address.'),
        api_addr: text('The joining node API address (a URL).'),
        non_voter: flag('Join as a non-voter.'),
      },
      operations: { update: answer },
      synopsis: 'Finish a join by answering the challenge.',
    },
    {
      pattern: 'storage/raft/join',
      fields: {
        leader_api_addr: text('The API address of a node of the cluster to join.'),
        leader_ca_cert: text('The CA certificate of that node, PEM.'),
        leader_client_cert: text('A client certificate to present, PEM.'),
        leader_client_key: text('The key of that client certificate, PEM.'),
        leader_tls_servername: text('The TLS server name to verify.'),
        retry: flag('Keep retrying until the join succeeds.'),
        non_voter: flag('Join as a non-voter.'),
      },
      operations: { update: join },
      synopsis: 'Make this node join a cluster.',
    },
    {
      pattern: 'storage/raft/snapshot',
      operations: { read: snapshot, update: restore(false) },
      synopsis: 'Download a snapshot, or restore one from this cluster.',
    },
    {
      pattern: 'storage/raft/snapshot-force',
      operations: { update: restore(true) },
      synopsis: 'Restore a snapshot even from another cluster.',
    },
  ];
}

function required(fields: FieldData, name: string): string {
  const value = fields.string(name);
  if (value === '') throw new InvalidRequestError(`missing required field "${name}"`);
  return value;
}
