/**
 * `coffer status`: the node's seal state and, once unsealed, who leads (`sys/seal-status`, then
 * `sys/leader`, as Vault's CLI calls them, vault-api.md §2.5). Like Vault, it exits 0 when the
 * node is unsealed, 2 when it is sealed, and 1 when it could not ask.
 */
import type { Command } from 'commander';

import type { ApiClient } from '../api-client.js';
import { defineCommand, type CommandContext, type Runtime } from '../command-kit.js';
import { CliError, EXIT_OK, EXIT_SERVER, EXIT_USAGE } from '../errors.js';
import { keyValueTable } from '../format.js';

/** `sys/seal-status` as the server answers it. */
export interface SealStatus {
  type: string;
  initialized: boolean;
  sealed: boolean;
  t: number;
  n: number;
  progress: number;
  nonce: string;
  version: string;
  build_date?: string;
  migration?: boolean;
  cluster_name?: string;
  cluster_id?: string;
  recovery_seal?: boolean;
  storage_type?: string;
  [key: string]: unknown;
}

/** `sys/leader` as the server answers it. */
interface LeaderStatus {
  ha_enabled: boolean;
  is_self: boolean;
  active_time: string;
  leader_address: string;
  leader_cluster_address: string;
  raft_committed_index?: number;
  raft_applied_index?: number;
  [key: string]: unknown;
}

export function registerStatus(program: Command, runtime: Runtime): void {
  defineCommand(program, runtime, {
    usage: 'status',
    summary: "Print the node's seal and leadership status (exit 2 when sealed)",
    examples: ['coffer status', 'coffer status -format=json'],
    errorContext: () => 'Error checking seal status',
    run: async (ctx) => {
      try {
        const status = await readSealStatus(ctx.client);
        return await printStatus(ctx, status);
      } catch (err) {
        // Vault's `status` keeps exit 2 for "sealed": a failure to ask is 1.
        if (err instanceof CliError) {
          ctx.io.stderr(`Error checking seal status: ${err.message}\n`);
          return EXIT_USAGE;
        }
        throw err;
      }
    },
  });
}

export async function readSealStatus(client: ApiClient): Promise<SealStatus> {
  const status = await client.json<SealStatus>({
    method: 'GET',
    path: 'sys/seal-status',
    unauthenticated: true,
  });
  return status ?? ({} as SealStatus);
}

/**
 * Prints a seal status, with the leader's view when the node is unsealed, in the chosen format.
 * Resolves to 2 when the node is sealed, 0 otherwise.
 */
export async function printStatus(ctx: CommandContext, seal: SealStatus): Promise<number> {
  let leader: LeaderStatus | null = null;
  if (!seal.sealed) {
    leader = await ctx.client
      .json<LeaderStatus>({ method: 'GET', path: 'sys/leader', unauthenticated: true })
      .catch(() => null);
  }
  const combined: Record<string, unknown> = { ...seal };
  if (leader !== null) {
    for (const key of LEADER_FIELDS) if (key in leader) combined[key] = leader[key];
  }
  ctx.out.print(combined, () => keyValueTable(statusRows(seal, leader)));
  return seal.sealed ? EXIT_SERVER : EXIT_OK;
}

const LEADER_FIELDS = [
  'ha_enabled',
  'is_self',
  'active_time',
  'leader_address',
  'leader_cluster_address',
  'raft_committed_index',
  'raft_applied_index',
] as const;

function statusRows(seal: SealStatus, leader: LeaderStatus | null): [string, unknown][] {
  const rows: [string, unknown][] = [
    ['Seal Type', seal.type],
    ['Initialized', seal.initialized],
    ['Sealed', seal.sealed],
    ['Total Shares', seal.n],
    ['Threshold', seal.t],
  ];
  if (seal.sealed) {
    rows.push(['Unseal Progress', `${seal.progress}/${seal.t}`], ['Unseal Nonce', seal.nonce]);
  }
  rows.push(['Version', seal.version], ['Build Date', seal.build_date ?? '']);
  rows.push(['Storage Type', seal.storage_type ?? '']);
  if (seal.cluster_name !== undefined) {
    rows.push(['Cluster Name', seal.cluster_name], ['Cluster ID', seal.cluster_id ?? '']);
  }
  rows.push(['HA Enabled', leader?.ha_enabled ?? false]);
  if (leader?.ha_enabled) {
    rows.push(['HA Cluster', leader.leader_cluster_address]);
    rows.push(['HA Mode', leader.is_self ? 'active' : 'standby']);
    if (leader.is_self) rows.push(['Active Since', leader.active_time]);
    if (leader.raft_committed_index !== undefined) {
      rows.push(['Raft Committed Index', leader.raft_committed_index]);
      rows.push(['Raft Applied Index', leader.raft_applied_index ?? 0]);
    }
  }
  return rows;
}
