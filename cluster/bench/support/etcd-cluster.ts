/**
 * A three-member etcd cluster on 127.0.0.1 for the side-by-side benchmark: Debian's etcd-server
 * (v3.4), plain HTTP on client and peer URLs, each member with its own ports, data directory and
 * log file under a temporary directory. Members are reached only through the v3 JSON gateway.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { forEachConcurrently, freePorts, pollFor, requestJson, waitFor } from './http-json.js';
import type { ProcessGroup, ServerProcess } from './processes.js';
import { BenchError } from './processes.js';

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly process: ServerProcess;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** The client URL of the member that was leader once the cluster was healthy. */
  readonly leaderUrl: string;
  /** The server version the leader reports, e.g. `3.4.23`. */
  readonly version: string;
}

/**
 * Starts three members in `dir` and waits until every one is healthy and one is leader.
 *
 * @throws WaitTimeoutError when that takes longer than `timeoutMs`; the members keep running
 * until the group is stopped.
 */
export async function startEtcdCluster(
  group: ProcessGroup,
  dir: string,
  timeoutMs: number,
): Promise<EtcdCluster> {
  const ports = await freePorts(6);
  const layout = [1, 2, 3].map((n) => ({
    name: `etcd-${n}`,
    clientUrl: `http://127.0.0.1:${ports[2 * n - 2]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * n - 1]}`,
  }));
  const initialCluster = layout.map((m) => `${m.name}=${m.peerUrl}`).join(',');

  const members: EtcdMember[] = [];
  for (const m of layout) {
    const dataDir = path.join(dir, m.name);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const process = group.startServer({
      name: m.name,
      command: 'etcd',
      args: [
        `--name=${m.name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${m.clientUrl}`,
        `--advertise-client-urls=${m.clientUrl}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=coffer-bench',
      ],
      logFile: path.join(dir, `${m.name}.log`),
    });
    members.push({ ...m, process });
  }

  for (const member of members) {
    await waitFor(
      `${member.name} to report healthy`,
      async () => {
        if (member.process.exited()) {
          throw new BenchError(`${member.name} exited (${member.process.exitStatus()})`);
        }
        const res = await requestJson(`${member.clientUrl}/health`, { timeoutMs: 2000 });
        return res.status === 200 && res.body?.['health'] === 'true';
      },
      timeoutMs,
    );
  }

  const leader = await pollFor('etcd to elect a leader', () => findLeader(members), timeoutMs);
  return { members, leaderUrl: leader.url, version: leader.version };
}

/**
 * The member whose `/v3/maintenance/status` names itself as leader. The gateway renders uint64
 * fields as decimal strings, so member ids are compared as strings.
 */
async function findLeader(
  members: readonly EtcdMember[],
): Promise<{ url: string; version: string } | null> {
  for (const member of members) {
    const res = await requestJson(`${member.clientUrl}/v3/maintenance/status`, {
      method: 'POST',
      body: {},
      timeoutMs: 2000,
    });
    const header = res.body?.['header'] as Record<string, unknown> | undefined;
    const leader = res.body?.['leader'];
    if (res.status === 200 && header !== undefined && leader !== undefined && leader !== '0') {
      if (String(header['member_id']) === String(leader)) {
        return { url: member.clientUrl, version: String(res.body?.['version'] ?? 'unknown') };
      }
    }
  }
  return null;
}

/**
 * Puts `value` under every name in `names` through `url`, with up to `concurrency` requests in
 * flight, then reads one back to check that the gateway stores what the Lua scripts ask for.
 */
export async function populateEtcd(
  url: string,
  names: readonly string[],
  value: string,
  concurrency: number,
): Promise<void> {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  const encodedValue = b64(value);
  await forEachConcurrently(names.length, concurrency, async (i) => {
    const res = await requestJson(`${url}/v3/kv/put`, {
      method: 'POST',
      body: { key: b64(names[i]!), value: encodedValue },
    });
    if (res.status !== 200) throw new BenchError(`etcd put answered ${res.status}: ${res.text}`);
  });
  const check = await requestJson(`${url}/v3/kv/range`, {
    method: 'POST',
    body: { key: b64(names[0]!) },
  });
  const kvs = check.body?.['kvs'] as { value?: string }[] | undefined;
  if (check.status !== 200 || kvs?.[0]?.value !== encodedValue) {
    throw new BenchError(`etcd did not return the value it was given: ${check.text}`);
  }
}
