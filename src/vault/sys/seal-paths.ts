/**
 * The seal and status endpoints: `sys/init`, `sys/seal-status`, `sys/unseal`, `sys/seal`,
 * `sys/step-down` and `sys/leader` (vault-api.md §2.1). Vault serves the status ones at the HTTP
 * level, outside the logical envelope, so they answer raw JSON here too: clients read `sealed`,
 * `root_token` or `is_self` at the top level.
 */
import { InvalidRequestError } from '../../logical/errors.js';
import type { FieldData, PathDefinition } from '../../logical/index.js';
import { rawJson, type Response } from '../../logical/response.js';
import type { Core, SealStatusReport } from '../core.js';
import { HEALTH_FIELDS, healthResponse } from './health.js';

/** Vault's zero time, which `sys/leader` reports as `active_time` on a standby. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function sealPaths(core: Core): PathDefinition[] {
  return [
    {
      pattern: 'init',
      fields: {
        secret_shares: { type: 'int', description: 'Shares to split the unseal key into.' },
        secret_threshold: { type: 'int', description: 'Shares needed to unseal.' },
        pgp_keys: { type: 'string-list', description: 'Not supported.' },
        root_token_pgp_key: { type: 'string', description: 'Not supported.' },
        recovery_shares: { type: 'int', description: 'Not applicable to a Shamir seal.' },
        recovery_threshold: { type: 'int', description: 'Not applicable to a Shamir seal.' },
        stored_shares: { type: 'int', description: 'Not applicable to a Shamir seal.' },
      },
      operations: {
        read: async () => rawJson(200, { initialized: await core.isInitialized() }),
        update: (_request, fields) => initialize(core, fields),
      },
      synopsis: 'Initialise a new cluster, or report whether it is.',
    },
    {
      pattern: 'seal-status',
      operations: { read: async () => rawJson(200, sealStatusBody(await core.sealStatus())) },
      synopsis: "This node's seal state and unseal progress.",
    },
    {
      pattern: 'unseal',
      fields: {
        key: { type: 'string', description: 'One unseal key share, hex or base64.' },
        reset: { type: 'bool', description: 'Abandon the current unseal attempt.' },
        migrate: { type: 'bool', description: 'Not supported.' },
      },
      operations: { update: (_request, fields) => unseal(core, fields) },
      synopsis: 'Give this node one unseal key share.',
    },
    {
      pattern: 'seal',
      operations: {
        update: async () => {
          core.sealNode();
          return null;
        },
      },
      synopsis: 'Seal this node.',
    },
    {
      pattern: 'step-down',
      operations: {
        update: async () => {
          await core.cluster.stepDown();
          return null;
        },
      },
      synopsis: 'Make the active node give up leadership.',
    },
    {
      pattern: 'leader',
      operations: { read: async () => rawJson(200, leaderBody(core)) },
      synopsis: 'Who the active node is, as this node sees it.',
    },
    {
      pattern: 'health',
      fields: HEALTH_FIELDS,
      operations: { read: (_request, fields) => healthResponse(core, fields) },
      synopsis: "This node's state as an HTTP status code.",
    },
  ];
}

async function initialize(core: Core, fields: FieldData): Promise<Response> {
  if (fields.string('root_token_pgp_key') !== '') {
    throw new InvalidRequestError('root_token_pgp_key is not supported');
  }
  const optional = (name: string): number | undefined =>
    fields.has(name) ? fields.int(name) : undefined;
  const result = await core.initialize({
    secretShares: optional('secret_shares'),
    secretThreshold: optional('secret_threshold'),
    pgpKeys: fields.stringList('pgp_keys'),
    recoveryShares: optional('recovery_shares'),
    recoveryThreshold: optional('recovery_threshold'),
    storedShares: optional('stored_shares'),
  });
  return rawJson(200, {
    keys: result.keys,
    keys_base64: result.keysBase64,
    root_token: result.rootToken,
  });
}

async function unseal(core: Core, fields: FieldData): Promise<Response> {
  if (fields.bool('migrate')) throw new InvalidRequestError('seal migration is not supported');
  if (fields.bool('reset')) return rawJson(200, sealStatusBody(await core.resetUnseal()));
  if (!fields.has('key') || fields.string('key') === '') {
    throw new InvalidRequestError(
      "'key' must be specified in request body as JSON, or 'reset' set to true",
    );
  }
  return rawJson(200, sealStatusBody(await core.unseal(fields.string('key'))));
}

/** The `sys/seal-status` body, in Vault's field order. */
export function sealStatusBody(report: SealStatusReport): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: report.type,
    initialized: report.initialized,
    sealed: report.sealed,
    t: report.t,
    n: report.n,
    progress: report.progress,
    nonce: report.nonce,
    version: report.version,
    build_date: report.buildDate,
    migration: false,
  };
  if (report.cluster !== null) {
    body.cluster_name = report.cluster.name;
    body.cluster_id = report.cluster.id;
  }
  body.recovery_seal = false;
  body.storage_type = report.storageType;
  return body;
}

function leaderBody(core: Core): Record<string, unknown> {
  const { cluster } = core;
  const leader = cluster.leader();
  const isSelf = cluster.isLeader();
  const since = isSelf ? cluster.activeSince() : null;
  const indexes = cluster.indexes();
  return {
    ha_enabled: true,
    is_self: isSelf,
    active_time: since === null ? ZERO_TIME : since.toISOString(),
    leader_address: leader?.apiAddr ?? '',
    leader_cluster_address: leader?.clusterAddr ?? '',
    performance_standby: false,
    performance_standby_last_remote_wal: 0,
    raft_committed_index: indexes.committed,
    raft_applied_index: indexes.applied,
  };
}
