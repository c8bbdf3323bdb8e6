/**
 * CPU time per KV v2 request on a local three-node Coffer cluster (the same cluster as
 * kv-vs-etcd.ts: plain-HTTP API, mutual TLS between nodes, fsync on). A bounded load of OPS
 * requests, CONNECTIONS at a time over keep-alive connections, goes to the active node; each
 * node's CPU time (user + system, from /proc/<pid>/stat) over the run is divided by the requests
 * completed. On a machine shared with other work, CPU per request is a steadier figure than
 * requests per second, which the script prints too. The read and write system calls per request
 * (from /proc/<pid>/io, all threads: LevelDB's compaction writes its tables 4 KiB at a time)
 * show how well sends and disk writes are batched.
 *
 * Run: `node --import tsx cluster/bench/kv-cpu.ts`. Options through the environment: OPS
 * (requests per load, default 3000), CONNECTIONS (default "16,64"), LOADS (default
 * "write,read"), BENCH_KEYS (default 1000), FROM_SOURCE=1 to run the nodes from src/ with tsx
 * instead of the build in dist/ (no build is then made), PROFILE=1 to start the nodes with
 * `--cpu-prof` (the profiles and the temporary directory are kept), KEEP_TMP=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CofferCluster } from './support/coffer-cluster.js';
import { ensureCofferBuilt, populateCoffer, startCofferCluster } from './support/coffer-cluster.js';
import { ProcessGroup } from './support/processes.js';
import { cpuSeconds, syscalls } from './support/proc-cpu.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OPS = Number(process.env['OPS'] ?? 3000);
const CONNECTIONS = (process.env['CONNECTIONS'] ?? '16,64').split(',').map(Number);
const LOADS = (process.env['LOADS'] ?? 'write,read').split(',') as ('write' | 'read')[];
const KEYS = Number(process.env['BENCH_KEYS'] ?? 1000);
const FROM_SOURCE = process.env['FROM_SOURCE'] === '1';
const PROFILE = process.env['PROFILE'] === '1';
const KEEP_TMP = process.env['KEEP_TMP'] === '1' || PROFILE;
const VALUE = 'v'.repeat(200);

interface Outcome {
  ok: number;
  failed: number;
  ms: number;
}

/** Sends `total` requests, `concurrency` at a time, each on a keep-alive connection. */
async function runLoad(
  cluster: CofferCluster,
  kind: 'write' | 'read',
  total: number,
  concurrency: number,
): Promise<Outcome> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(cluster.leaderUrl);
  const body = JSON.stringify({ data: { value: VALUE } });
  let next = 0;
  let ok = 0;
  let failed = 0;
  const one = (i: number): Promise<number> =>
    new Promise((resolve) => {
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: `/v1/secret/data/bench/k${(i * 7919) % KEYS}`,
          method: kind === 'write' ? 'POST' : 'GET',
          headers: {
            'x-vault-token': cluster.rootToken,
            ...(kind === 'write' ? { 'content-type': 'application/json' } : {}),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(kind === 'write' ? body : undefined);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const status = await one(next++);
        if (status === 200 || status === 204) ok++;
        else failed++;
      }
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  return { ok, failed, ms };
}

async function main(): Promise<void> {
  const group = new ProcessGroup();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'coffer-kv-cpu-'));
  const stop = (): void => {
    group.killAllNow();
    process.exit(130);
  };
  process.once('SIGINT', stop);
  try {
    const entry = FROM_SOURCE
      ? path.join(root, 'src', 'cli', 'main.ts')
      : await ensureCofferBuilt(group, root);
    const execArgv = FROM_SOURCE ? ['--import', 'tsx'] : [];
    if (PROFILE) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(tmp, 'profiles')}`);
    const cluster = await startCofferCluster(group, root, entry, tmp, 90_000, execArgv);
    const names = Array.from({ length: KEYS }, (_, i) => `bench/k${i}`);
    await populateCoffer(cluster, 'secret', names, VALUE, 32);
    const leader = cluster.nodes.find((n) => n.apiUrl === cluster.leaderUrl)!;
    console.log(`leader ${leader.id} (pid ${leader.process.pid}); ${KEYS} keys written`);

    const rows: Record<string, string | number>[] = [];
    for (const kind of LOADS) {
      for (const concurrency of CONNECTIONS) {
        const before = cluster.nodes.map((n) => cpuSeconds(n.process.pid));
        const callsBefore = cluster.nodes.map((n) => syscalls(n.process.pid));
        const outcome = await runLoad(cluster, kind, OPS, concurrency);
        const after = cluster.nodes.map((n) => cpuSeconds(n.process.pid));
        const callsAfter = cluster.nodes.map((n) => syscalls(n.process.pid));
        const row: Record<string, string | number> = {
          load: kind,
          conns: concurrency,
          'req/s': Math.round(outcome.ok / (outcome.ms / 1000)),
          failed: outcome.failed,
        };
        cluster.nodes.forEach((n, i) => {
          const us = ((after[i]! - before[i]!) * 1e6) / Math.max(1, outcome.ok);
          row[n === leader ? `${n.id} (leader) µs/req` : `${n.id} µs/req`] = Math.round(us);
        });
        cluster.nodes.forEach((n, i) => {
          const per = (calls: number): string => (calls / Math.max(1, outcome.ok)).toFixed(1);
          const reads = callsAfter[i]!.reads - callsBefore[i]!.reads;
          const writes = callsAfter[i]!.writes - callsBefore[i]!.writes;
          row[`${n.id} r/w calls/req`] = `${per(reads)}/${per(writes)}`;
        });
        rows.push(row);
      }
    }
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`${OPS} requests per load, 200-byte values, load average ${load}`);
    console.table(rows);
  } finally {
    await group.stopAll();
    if (KEEP_TMP) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
