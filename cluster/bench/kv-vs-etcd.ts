/**
 * KV writes and reads over HTTP on a local three-node Coffer cluster and a local three-member
 * etcd cluster, side by side in one run, driven the same way by wrk.
 *
 * - Coffer: KV v2 at `secret/`, `POST /v1/secret/data/<key>` and `GET /v1/secret/data/<key>`
 *   with the root token, against the active node (`sys/leader`).
 * - etcd (Debian's etcd-server, v3.4): the v3 JSON gateway, `POST /v3/kv/put` and
 *   `POST /v3/kv/range` (linearizable, the default), against the leader.
 * - With TARGET=all, the load of both is spread over the three members instead: wrk runs one
 *   thread per member (BENCH_ADDRS in common.lua), so connection counts are rounded down to a
 *   multiple of three. Followers of both forward writes to their leader and serve linearizable
 *   reads themselves after a read index from it.
 * - Both over plain HTTP: Coffer's API listener has `tls_disable = true`, etcd's client URLs are
 *   http://. Coffer's node-to-node traffic keeps its mutual TLS; etcd's peer URLs are http://.
 *
 * Both clusters are started in a temporary directory and every key is written once (which also
 * warms them up); then, for writes and then reads at each connection count, wrk runs DURATION
 * seconds against one system and then the other, the order alternating from one load to the
 * next. Keys are BENCH_KEYS names chosen at random per request; values are 200 bytes. Both
 * clusters, wrk and this script share the machine's cores; the idle cluster does little more
 * than heartbeat.
 * Every process is stopped by PID at the end, on a failure and on SIGINT or SIGTERM.
 *
 * Run: `node --import tsx cluster/bench/kv-vs-etcd.ts`. Needs `wrk` and `etcd` on PATH
 * (`apt-get update && apt-get install -y wrk etcd-server`); builds Coffer (`npm run build`) when
 * dist/ is missing or older than src/. Options through the environment: DURATION (seconds per
 * wrk run, default 10), CONNECTIONS (default "16,64"), THREADS (wrk threads, default 2;
 * ignored with TARGET=all), TARGET ("leader", the default, or "all"), BENCH_KEYS (default
 * 10000), SYSTEMS (default "etcd,coffer"), SNAPSHOT_INTERVAL (Coffer's `snapshot_interval`,
 * such as "0" to snapshot every `snapshot_threshold` entries; the server's default when unset),
 * KEEP_TMP=1 to keep the temporary directory with configs, data and logs.
 */
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCofferBuilt, populateCoffer, startCofferCluster } from './support/coffer-cluster.js';
import { populateEtcd, startEtcdCluster } from './support/etcd-cluster.js';
import { startBenchRun, tailOf, type ProcessGroup } from './support/processes.js';
import type { Load, LoadResults } from './support/report.js';
import { markdownTable } from './support/report.js';
import type { Workload, WrkResult, WrkRun } from './support/wrk.js';
import { keyName, runWrk, valueOf, workloadEnv, wrkCommandLine } from './support/wrk.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const DURATION_S = positiveInt('DURATION', 10);
const THREADS = positiveInt('THREADS', 2);
const TARGET = process.env['TARGET'] ?? 'leader';
/** Members per cluster; with TARGET=all, wrk threads (one per member). */
const MEMBERS = 3;
const CONNECTIONS = (process.env['CONNECTIONS'] ?? '16,64')
  .split(',')
  .map((c) => (TARGET === 'all' ? Math.floor(Number(c) / MEMBERS) * MEMBERS : Number(c)));
const SYSTEMS = (process.env['SYSTEMS'] ?? 'etcd,coffer').split(',').map((s) => s.trim());
const KEEP_TMP = process.env['KEEP_TMP'] === '1';
const WORKLOAD: Workload = {
  keys: positiveInt('BENCH_KEYS', 10_000),
  valueBytes: 200,
  prefix: 'bench/',
};
/** Each cluster step (start, health, leader, unseal) must finish within this. */
const STEP_TIMEOUT_MS = 90_000;
/** Requests in flight while writing every key before the runs. */
const POPULATE_CONCURRENCY = 32;
/** The whole run is abandoned (and cleaned up) past this. */
const OVERALL_TIMEOUT_MS = 30 * 60_000;
const COFFER_MOUNT = 'secret';

type System = 'coffer' | 'etcd';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`${name} must be a positive integer, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

/** The commands missing from PATH, among those this benchmark runs. */
function missingTools(tools: readonly string[]): string[] {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== '');
  return tools.filter(
    (tool) =>
      !dirs.some((dir) => {
        try {
          accessSync(path.join(dir, tool), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
  );
}

// -------------------------------------------------------------------------------------------------
// The two systems

/** A running, populated cluster and how wrk drives it. */
interface Target {
  readonly system: System;
  /** Name and version, e.g. `etcd 3.4.23`. */
  readonly label: string;
  /** The leader's client URL, where all load goes unless TARGET=all. */
  readonly url: string;
  /** Every member's `host:port`, for TARGET=all. */
  readonly members: readonly string[];
  readonly writeScript: string;
  readonly readScript: string;
  /** Script settings beyond the workload's. */
  readonly env: Record<string, string>;
  /** Where the servers' logs are, to show their tails on a failure. */
  readonly logs: readonly string[];
}

const keyNames = (): string[] =>
  Array.from({ length: WORKLOAD.keys }, (_, i) => keyName(WORKLOAD, i));

async function prepareEtcd(group: ProcessGroup, dir: string): Promise<Target> {
  console.log('[etcd] starting three members ...');
  const cluster = await startEtcdCluster(group, dir, STEP_TIMEOUT_MS);
  console.log(`[etcd] ${cluster.version}, leader at ${cluster.leaderUrl}; populating`);
  await populateEtcd(cluster.leaderUrl, keyNames(), valueOf(WORKLOAD), POPULATE_CONCURRENCY);
  return {
    system: 'etcd',
    label: `etcd ${cluster.version}`,
    url: cluster.leaderUrl,
    members: cluster.members.map((m) => new URL(m.clientUrl).host),
    writeScript: 'etcd-put.lua',
    readScript: 'etcd-range.lua',
    env: {},
    logs: cluster.members.map((m) => m.process.logFile),
  };
}

async function prepareCoffer(group: ProcessGroup, dir: string): Promise<Target> {
  const entry = await ensureCofferBuilt(group, root);
  console.log('[coffer] starting three nodes ...');
  const cluster = await startCofferCluster(group, root, entry, dir, STEP_TIMEOUT_MS);
  console.log(`[coffer] ${cluster.version}, active node at ${cluster.leaderUrl}; populating`);
  await populateCoffer(cluster, COFFER_MOUNT, keyNames(), valueOf(WORKLOAD), POPULATE_CONCURRENCY);
  return {
    system: 'coffer',
    label: `Coffer ${cluster.version}`,
    url: cluster.leaderUrl,
    members: cluster.nodes.map((n) => new URL(n.apiUrl).host),
    writeScript: 'coffer-write.lua',
    readScript: 'coffer-read.lua',
    env: { COFFER_TOKEN: cluster.rootToken, COFFER_MOUNT },
    logs: cluster.nodes.map((n) => n.process.logFile),
  };
}

const LOADS: Load[] = [
  ...CONNECTIONS.map((connections) => ({ kind: 'writes' as const, connections })),
  ...CONNECTIONS.map((connections) => ({ kind: 'reads' as const, connections })),
];

const loadKey = (load: Load): string => `${load.kind}/${load.connections}`;

/** Every wrk command run, in order, for the report. */
const commands: string[] = [];

async function runLoad(group: ProcessGroup, target: Target, load: Load): Promise<WrkResult> {
  const spread: Record<string, string> =
    TARGET === 'all' ? { BENCH_ADDRS: target.members.join(' ') } : {};
  const run: WrkRun = {
    script: load.kind === 'writes' ? target.writeScript : target.readScript,
    url: target.url,
    connections: load.connections,
    threads: TARGET === 'all' ? target.members.length : Math.min(THREADS, load.connections),
    durationS: DURATION_S,
    env: { ...workloadEnv(WORKLOAD), ...target.env, ...spread },
  };
  const line = wrkCommandLine(run, ['COFFER_TOKEN']);
  commands.push(line);
  console.log(`[${target.system}] ${line}`);
  const result = await runWrk(group, run);
  const failed = result.badStatus + result.socketErrors;
  console.log(
    `[${target.system}] ${load.kind} c=${load.connections}: ` +
      `${result.requestsPerSec.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, ` +
      `p99 ${result.p99Ms.toFixed(2)} ms, ${failed} failed`,
  );
  return result;
}

/** Log tails of a failed system's servers, to explain the failure before the directory goes. */
function printLogTails(logs: readonly string[]): void {
  for (const log of logs) {
    console.error(`--- last lines of ${path.basename(log)} ---\n${tailOf(log, 15)}`);
  }
}

// -------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const missing = missingTools(['wrk', 'etcd']);
  if (missing.length > 0) {
    console.error(`missing on PATH: ${missing.join(', ')}. Install them (Debian or Ubuntu) with:`);
    console.error('  apt-get update && apt-get install -y wrk etcd-server');
    return 2;
  }
  const unknown = SYSTEMS.filter((s) => s !== 'coffer' && s !== 'etcd');
  if (unknown.length > 0 || CONNECTIONS.some((c) => !Number.isInteger(c) || c <= 0)) {
    console.error(
      `SYSTEMS is a list of coffer and etcd; CONNECTIONS a list of positive integers (at least ${MEMBERS} each with TARGET=all)`,
    );
    return 2;
  }
  if (TARGET !== 'leader' && TARGET !== 'all') {
    console.error(`TARGET is "leader" or "all", not ${JSON.stringify(TARGET)}`);
    return 2;
  }

  const run = startBenchRun('coffer-vs-etcd-', KEEP_TMP, OVERALL_TIMEOUT_MS);
  const { group, tmp, cleanup } = run;

  const results: Record<System, Map<string, WrkResult>> = { coffer: new Map(), etcd: new Map() };
  const targets: Target[] = [];
  const failures: string[] = [];
  const fail = (system: System, err: unknown, logs: readonly string[]): void => {
    const message = err instanceof Error ? err.message : String(err);
    failures.push(`${system}: ${message}`);
    console.error(`[${system}] failed: ${message}`);
    printLogTails(logs);
  };
  const started = new Date();
  const loadBefore = os.loadavg()[0]!;
  try {
    // Both clusters run for the whole benchmark and their runs alternate, so that other load on
    // the machine, which varies over minutes, weighs on both alike.
    for (const system of SYSTEMS as System[]) {
      const dir = path.join(tmp, system);
      try {
        const prepare = system === 'etcd' ? prepareEtcd : prepareCoffer;
        targets.push(await prepare(group, dir));
      } catch (err) {
        if (run.aborted()) break;
        const names = ['1', '2', '3'].map((n) => (system === 'etcd' ? `etcd-${n}` : `node${n}`));
        fail(system, err, names.map((name) => path.join(dir, `${name}.log`)));
      }
    }
    let active = [...targets];
    for (const [i, load] of LOADS.entries()) {
      for (const target of i % 2 === 0 ? active : [...active].reverse()) {
        if (run.aborted()) break;
        try {
          results[target.system].set(loadKey(load), await runLoad(group, target, load));
        } catch (err) {
          if (run.aborted()) break;
          fail(target.system, err, target.logs);
          active = active.filter((t) => t !== target);
        }
      }
    }
  } finally {
    await cleanup();
  }
  if (run.aborted()) return 1;

  const rows: LoadResults[] = LOADS.map((load) => ({
    load,
    coffer: results.coffer.get(loadKey(load)),
    etcd: results.etcd.get(loadKey(load)),
  }));
  const env = [
    DURATION_S !== 10 ? `DURATION=${DURATION_S}` : '',
    process.env['CONNECTIONS'] !== undefined ? `CONNECTIONS=${CONNECTIONS.join(',')}` : '',
    THREADS !== 2 && TARGET !== 'all' ? `THREADS=${THREADS}` : '',
    TARGET !== 'leader' ? `TARGET=${TARGET}` : '',
    WORKLOAD.keys !== 10_000 ? `BENCH_KEYS=${WORKLOAD.keys}` : '',
    process.env['SYSTEMS'] !== undefined ? `SYSTEMS=${SYSTEMS.join(',')}` : '',
    process.env['SNAPSHOT_INTERVAL'] !== undefined
      ? `SNAPSHOT_INTERVAL=${process.env['SNAPSHOT_INTERVAL']}`
      : '',
  ].filter((s) => s !== '');
  console.log('');
  console.log(`## KV over HTTP: Coffer vs etcd (${started.toISOString().slice(0, 10)})`);
  console.log('');
  const command = [...env, 'node --import tsx cluster/bench/kv-vs-etcd.ts'].join(' ');
  const labels = targets.map((t) => t.label).join(', ') || 'no system ran';
  const where =
    TARGET === 'all'
      ? `load spread over the three members by wrk -t${MEMBERS}, one thread per member`
      : `load on the leader by wrk -t${THREADS} (fewer for fewer connections)`;
  console.log(`Command: \`${command}\``);
  console.log(
    "Both over plain HTTP (Coffer's listener with tls_disable = true, etcd's http:// client " +
      `URLs); three nodes each on 127.0.0.1, ${where}; ${labels}; ` +
      `${DURATION_S} s per run, ` +
      `${WORKLOAD.keys} keys chosen at random, ` +
      `${WORKLOAD.valueBytes}-byte values; ${os.cpus().length} cores shared by both clusters ` +
      `and wrk, 1-minute load average ${loadBefore.toFixed(1)} before and ` +
      `${os.loadavg()[0]!.toFixed(1)} after.`,
  );
  console.log('');
  console.log(markdownTable(rows));
  console.log('');
  console.log('wrk commands:');
  for (const line of commands) console.log(`  ${line}`);
  if (failures.length > 0) {
    console.log('');
    for (const failure of failures) console.log(`not measured: ${failure}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
