/**
 * `coffer operator raft join|list-peers|remove-peer|snapshot save|snapshot restore|autopilot
 * state`: integrated storage through `sys/storage/raft/*` (vault-api.md §2.1, §5). Snapshots are
 * streamed with a progress bar on a terminal; a standby redirects them to the active node, which
 * the client follows.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { argString, defineCommand, type Runtime } from '../command-kit.js';
import { LocalError } from '../errors.js';
import { formatValue, keyValueTable, sortedEntries, table } from '../format.js';
import { readArgFile } from '../kv-args.js';
import { isObject, vaultEnvelope } from '../output.js';
import { byteProgress, withSpinner } from '../progress.js';

interface RaftServer {
  node_id: string;
  address: string;
  leader: boolean;
  voter: boolean;
}

interface JoinOptions {
  leaderCaCert?: string;
  leaderClientCert?: string;
  leaderClientKey?: string;
  leaderTlsServername?: string;
  nonVoter?: boolean;
  retry?: boolean;
}

export function registerRaft(raft: Command, runtime: Runtime): void {
  defineCommand<JoinOptions>(raft, runtime, {
    usage: 'join <leader-api-addr>',
    summary: 'Make the node at -address join the cluster led by <leader-api-addr>',
    examples: [
      'coffer operator raft join -address=https://127.0.0.1:8210 ' +
        '-leader-ca-cert=@data/tls/ca.pem https://127.0.0.1:8200',
    ],
    options: (command) =>
      command
        .option('--leader-ca-cert <pem|@file>', "the leader's CA certificate, PEM or @file")
        .option('--leader-client-cert <pem|@file>', 'a client certificate for the leader')
        .option('--leader-client-key <pem|@file>', 'the key of that client certificate')
        .option('--leader-tls-servername <name>', 'the TLS server name to verify')
        .option('--non-voter', 'join as a non-voter')
        .option('--retry', 'keep retrying until the join succeeds'),
    errorContext: () => 'Error joining the node to the Raft cluster',
    run: async (ctx, args, options) => {
      const leader = argString(args, 0);
      const body: Record<string, unknown> = { leader_api_addr: leader };
      // Like Vault, a PEM flag takes the text itself or @file.
      const pem = async (value: string | undefined): Promise<string | undefined> => {
        if (value === undefined) return undefined;
        return value.startsWith('@') ? readArgFile(value.slice(1)) : value;
      };
      body.leader_ca_cert = await pem(options.leaderCaCert);
      body.leader_client_cert = await pem(options.leaderClientCert);
      body.leader_client_key = await pem(options.leaderClientKey);
      body.leader_tls_servername = options.leaderTlsServername;
      body.non_voter = options.nonVoter === true;
      body.retry = options.retry === true;
      const request = ctx.client.json<{ joined: boolean }>({
        method: 'POST',
        path: 'sys/storage/raft/join',
        body,
        unauthenticated: true,
      });
      const answer = await withSpinner(ctx.io, `Joining ${leader}`, request);
      const joined = answer?.joined === true;
      ctx.out.print({ joined }, () => keyValueTable([['Joined', joined]]));
    },
  });

  defineCommand(raft, runtime, {
    usage: 'list-peers',
    summary: 'List the servers of the Raft configuration',
    examples: ['coffer operator raft list-peers', 'coffer operator raft list-peers -format=json'],
    errorContext: () => 'Error reading the raft cluster configuration',
    run: async (ctx) => {
      const secret = (await ctx.client.read('sys/storage/raft/configuration')) ?? {};
      const config = (secret.data?.config ?? {}) as { servers?: RaftServer[] };
      const servers = config.servers ?? [];
      ctx.out.print(vaultEnvelope(secret), () =>
        table(
          ['Node', 'Address', 'State', 'Voter'],
          servers.map((server) => [
            server.node_id,
            server.address,
            server.leader ? 'leader' : 'follower',
            String(server.voter),
          ]),
        ),
      );
    },
  });

  defineCommand(raft, runtime, {
    usage: 'remove-peer <server-id>',
    summary: 'Remove a server from the Raft configuration',
    examples: ['coffer operator raft remove-peer node3'],
    errorContext: () => 'Error removing the peer from the Raft cluster',
    run: async (ctx, args) => {
      const id = argString(args, 0);
      await ctx.client.send({
        method: 'POST',
        path: 'sys/storage/raft/remove-peer',
        body: { server_id: id },
      });
      ctx.out.line('Peer removed successfully!');
    },
  });

  const snapshot = raft.command('snapshot').description('Save and restore Raft snapshots');
  defineCommand(snapshot, runtime, {
    usage: 'save <file>',
    summary: "Download a snapshot of the cluster's data to <file>",
    examples: ['coffer operator raft snapshot save backup.snap'],
    errorContext: () => 'Error taking the snapshot',
    run: async (ctx, args) => {
      const file = argString(args, 0);
      const progress = byteProgress(ctx.io, `Saving snapshot to ${file}`);
      try {
        const response = await ctx.client.send({
          method: 'GET',
          path: 'sys/storage/raft/snapshot',
          onDownloadProgress: (received, total) => progress.update(received, total),
        });
        // Written beside the target, then renamed: a failed save never leaves half a file.
        const partial = `${file}.partial`;
        try {
          await writeFile(partial, response.body, { mode: 0o600 });
          await rename(partial, file);
        } catch (cause) {
          await rm(partial, { force: true });
          throw new LocalError(`Error writing the snapshot to ${file}`, { cause });
        }
        progress.finish(`Snapshot saved: ${response.body.length} bytes to ${file}`);
      } catch (err) {
        progress.abandon();
        throw err;
      }
    },
  });

  defineCommand<{ force?: boolean }>(snapshot, runtime, {
    usage: 'restore <file>',
    summary: 'Replace all of the cluster\'s data with the snapshot in <file>',
    examples: [
      'coffer operator raft snapshot restore backup.snap',
      'coffer operator raft snapshot restore -force other-cluster.snap',
    ],
    options: (command) =>
      command.option('--force', "restore even a snapshot of another cluster (other keyring)"),
    errorContext: () => 'Error installing the snapshot',
    run: async (ctx, args, options) => {
      const file = argString(args, 0);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (cause) {
        throw new LocalError(`Error reading the snapshot file ${file}`, { cause });
      }
      const progress = byteProgress(ctx.io, `Restoring snapshot from ${file}`);
      try {
        await ctx.client.send({
          method: 'POST',
          path: options.force ? 'sys/storage/raft/snapshot-force' : 'sys/storage/raft/snapshot',
          body: bytes,
          onUploadProgress: (sent, total) => progress.update(sent, total),
        });
        progress.finish(`Snapshot restored: ${bytes.length} bytes from ${file}`);
      } catch (err) {
        progress.abandon();
        throw err;
      }
    },
  });

  const autopilot = raft.command('autopilot').description("Autopilot's view of the cluster");
  defineCommand(autopilot, runtime, {
    usage: 'state',
    summary: "Print autopilot's health of the cluster and of each server",
    examples: ['coffer operator raft autopilot state'],
    errorContext: () => 'Error checking autopilot state',
    run: async (ctx) => {
      // Not a read that may find nothing: a server without autopilot says so, and that is an
      // error, not an empty state.
      const secret =
        (await ctx.client.json({ method: 'GET', path: 'sys/storage/raft/autopilot/state' })) ?? {};
      const state = secret.data ?? {};
      ctx.out.print(state, () => autopilotText(state), state);
    },
  });
}

function autopilotText(state: Record<string, unknown>): string {
  const summary: Array<[string, unknown]> = [
    ['Healthy:', state.healthy],
    ['Failure Tolerance:', state.failure_tolerance],
    ['Leader:', state.leader],
  ];
  if (state.optimistic_failure_tolerance !== undefined) {
    summary.push(['Optimistic Failure Tolerance:', state.optimistic_failure_tolerance]);
  }
  const width = Math.max(20, ...summary.map(([label]) => label.length + 1));
  const lines = summary.map(([label, value]) => `${label.padEnd(width)}${formatValue(value)}`);
  lines.push('Voters:');
  for (const voter of Array.isArray(state.voters) ? state.voters : []) {
    lines.push(`   ${String(voter)}`);
  }
  lines.push('Servers:');
  const servers = isObject(state.servers) ? state.servers : {};
  for (const [id, raw] of sortedEntries(servers)) {
    const server = isObject(raw) ? raw : {};
    lines.push(`   ${id}`);
    // Rows a server does not report (an older server's answer) are left out, not printed empty.
    for (const [label, key] of SERVER_ROWS) {
      if (server[key] === undefined) continue;
      lines.push(`      ${label.padEnd(16)}${formatValue(server[key])}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const SERVER_ROWS: readonly (readonly [string, string])[] = [
  ['Name:', 'name'],
  ['Address:', 'address'],
  ['Status:', 'status'],
  ['Node Status:', 'node_status'],
  ['Healthy:', 'healthy'],
  ['Last Contact:', 'last_contact'],
  ['Last Term:', 'last_term'],
  ['Last Index:', 'last_index'],
  ['Stable Since:', 'stable_since'],
  ['Version:', 'version'],
  ['Node Type:', 'node_type'],
];
