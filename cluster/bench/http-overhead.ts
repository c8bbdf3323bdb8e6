/**
 * What Coffer's HTTP layer and request pipeline cost next to a bare fastify route, both measured
 * in the same run on the same machine. Two servers, each in its own child process on 127.0.0.1
 * over plain HTTP, started from support/http-overhead-server.mjs with plain `node`:
 *
 * - the peer: a bare fastify 5 app, one `GET /v1/sys/health` route answering a small JSON object
 *   shaped like Coffer's health report;
 * - Coffer: the API server of src/http (fastify on the LIST-capable server) in front of a real
 *   Core over the in-memory physical store, with no Raft, from the build in dist/; initialised
 *   and unsealed over HTTP, then every key written once.
 *
 * Coffer serves three loads: `GET /v1/sys/health` (unauthenticated: the HTTP layer and the
 * core's routing), `GET /v1/secret/data/<key>` with the root token (KV v2 read: token lookup,
 * ACL, barrier decryption) and `POST /v1/secret/data/<key>` with a 200-byte value (KV v2 write).
 * Keys are BENCH_KEYS names chosen at random per request. For each load and connection count,
 * wrk runs DURATION seconds against the peer and against Coffer, the order alternating from one
 * load to the next, so that other work on the machine weighs on both alike. Each server's CPU
 * time (user + system, /proc/<pid>/stat) over its run is divided by the requests wrk completed.
 * The table gives both systems and Coffer's ratio to the peer; on a shared machine the ratios
 * and CPU per request are the figures to read, not the absolute rates.
 *
 * Run: `node --import tsx cluster/bench/http-overhead.ts` (builds dist/ with `npm run build`
 * when it is missing or older than src/). Needs `wrk` on PATH. Options through the environment:
 * DURATION (seconds per wrk run, default 5), CONNECTIONS (default "16,64"), THREADS (wrk threads,
 * default 2), LOADS (default "health,read,write"), BENCH_KEYS (default 16), WARMUP (seconds of
 * unmeasured load per server and load kind before the runs, default 2, 0 for none), PROFILE=1
 * to start the Coffer server with `--cpu-prof` (the profile is kept and its path printed; the
 * Coffer figures of such a run include the profiler's cost), KEEP_TMP=1 to keep the temporary
 * directory with the servers' logs.
 */
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCofferBuilt, populateCoffer } from './support/coffer-cluster.js';
import { freePorts, requestJson, waitFor } from './support/http-json.js';
import type { OverheadLoad, OverheadRow, LoadKind, Measured } from './support/overhead-report.js';
import { LOAD_LABELS, overheadTable } from './support/overhead-report.js';
import type { ServerProcess } from './support/processes.js';
import { BenchError, startBenchRun, tailOf, type ProcessGroup } from './support/processes.js';
import { cpuTimes } from './support/proc-cpu.js';
import type { Workload, WrkRun } from './support/wrk.js';
import { keyName, runWrk, valueOf, workloadEnv, wrkCommandLine } from './support/wrk.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER_ENTRY = path.join(root, 'cluster', 'bench', 'support', 'http-overhead-server.mjs');

const DURATION_S = positiveInt('DURATION', 5);
const THREADS = positiveInt('THREADS', 2);
const WARMUP_S = nonNegativeInt('WARMUP', 2);
const CONNECTIONS = (process.env['CONNECTIONS'] ?? '16,64').split(',').map(Number);
const LOAD_KINDS = (process.env['LOADS'] ?? 'health,read,write').split(',').map((s) => s.trim());
const LOADS_TO_RUN = LOAD_KINDS as LoadKind[];
const PROFILE = process.env['PROFILE'] === '1';
const KEEP_TMP = process.env['KEEP_TMP'] === '1' || PROFILE;
const WORKLOAD: Workload = {
  keys: positiveInt('BENCH_KEYS', 16),
  valueBytes: 200,
  prefix: 'bench/',
};
const COFFER_MOUNT = 'secret';
const HEALTH_PATH = '/v1/sys/health';
/** Starting a server, initialising and unsealing Coffer: each step must finish within this. */
const STEP_TIMEOUT_MS = 60_000;
/** The whole run is abandoned (and cleaned up) past this. */
const OVERALL_TIMEOUT_MS = 20 * 60_000;
/** The servers exit by themselves after this, should this script be killed without cleanup. */
const SERVER_LIFETIME_S = OVERALL_TIMEOUT_MS / 1000 + 60;

type System = 'peer' | 'coffer';

function positiveInt(name: string, fallback: number): number {
  const value = nonNegativeInt(name, fallback);
  if (value === 0) usage(`${name} must be a positive integer`);
  return value;
}

function nonNegativeInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    usage(`${name} must be a whole number, not ${JSON.stringify(raw)}`);
  }
  return value;
}

function usage(message: string): never {
  console.error(message);
  process.exit(2);
}

function onPath(tool: string): boolean {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== '');
  return dirs.some((dir) => {
    try {
      accessSync(path.join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

// -------------------------------------------------------------------------------------------------
// The two servers

interface Server {
  readonly system: System;
  readonly url: string;
  readonly process: ServerProcess;
  /** The root token (Coffer only). */
  readonly token: string;
}

function startServer(
  group: ProcessGroup,
  system: System,
  port: number,
  dir: string,
  execArgv: readonly string[] = [],
): ServerProcess {
  const args = [...execArgv, SERVER_ENTRY, system, String(port), String(SERVER_LIFETIME_S)];
  if (system === 'coffer') args.push(path.join(root, 'dist'));
  return group.startServer({
    name: system,
    command: process.execPath,
    args,
    logFile: path.join(dir, `${system}.log`),
    cwd: root,
  });
}

/** Waits until `url` answers with `status`, failing early if the process `proc` exits. */
async function waitForStatus(proc: ServerProcess, url: string, status: number): Promise<void> {
  await waitFor(
    `${proc.name} to answer ${url} with ${status}`,
    async () => {
      if (proc.exited()) {
        throw new BenchError(`${proc.name} exited (${proc.exitStatus()}), see ${proc.logFile}`);
      }
      return (await requestJson(url, { timeoutMs: 2000 })).status === status;
    },
    STEP_TIMEOUT_MS,
    100,
  );
}

async function startPeer(group: ProcessGroup, port: number, dir: string): Promise<Server> {
  const proc = startServer(group, 'peer', port, dir);
  const url = `http://127.0.0.1:${port}`;
  await waitForStatus(proc, `${url}${HEALTH_PATH}`, 200);
  return { system: 'peer', url, process: proc, token: '' };
}

/** Starts Coffer, initialises it (one share), unseals it and writes every key once. */
async function startCoffer(group: ProcessGroup, port: number, dir: string): Promise<Server> {
  const execArgv = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profiles')}`] : [];
  const proc = startServer(group, 'coffer', port, dir, execArgv);
  const url = `http://127.0.0.1:${port}`;
  await waitForStatus(proc, `${url}/v1/sys/seal-status`, 200);
  const init = await requestJson(`${url}/v1/sys/init`, {
    method: 'PUT',
    body: { secret_shares: 1, secret_threshold: 1 },
    timeoutMs: 15_000,
  });
  const keys = init.body?.['keys_base64'];
  const token = init.body?.['root_token'];
  if (init.status !== 200 || !Array.isArray(keys) || typeof token !== 'string') {
    throw new BenchError(`sys/init answered ${init.status}: ${init.text}`);
  }
  const unseal = await requestJson(`${url}/v1/sys/unseal`, {
    method: 'PUT',
    body: { key: keys[0] },
    timeoutMs: 15_000,
  });
  if (unseal.status !== 200 || unseal.body?.['sealed'] !== false) {
    throw new BenchError(`sys/unseal answered ${unseal.status}: ${unseal.text}`);
  }
  await waitForStatus(proc, `${url}${HEALTH_PATH}`, 200);
  const names = Array.from({ length: WORKLOAD.keys }, (_, i) => keyName(WORKLOAD, i));
  const cluster = { nodes: [], leaderUrl: url, rootToken: token, version: '' };
  await populateCoffer(cluster, COFFER_MOUNT, names, valueOf(WORKLOAD), 8);
  return { system: 'coffer', url, process: proc, token };
}

// -------------------------------------------------------------------------------------------------
// Runs

/** Every measured wrk command, in order, for the report. */
const commands: string[] = [];

/** The wrk run of `kind` against `server`; the peer always gets its one route. */
function wrkRun(server: Server, kind: LoadKind, connections: number, durationS: number): WrkRun {
  const env = { ...workloadEnv(WORKLOAD), COFFER_TOKEN: server.token, COFFER_MOUNT };
  if (server.system === 'peer' || kind === 'health') {
    return {
      script: 'plain-get.lua',
      url: `${server.url}${HEALTH_PATH}`,
      connections,
      threads: Math.min(THREADS, connections),
      durationS,
      env: {},
    };
  }
  return {
    script: kind === 'read' ? 'coffer-read.lua' : 'coffer-write.lua',
    url: server.url,
    connections,
    threads: Math.min(THREADS, connections),
    durationS,
    env,
  };
}

async function measure(group: ProcessGroup, server: Server, load: OverheadLoad): Promise<Measured> {
  const run = wrkRun(server, load.kind, load.connections, DURATION_S);
  const line = wrkCommandLine(run, ['COFFER_TOKEN']);
  commands.push(line);
  const pid = server.process.pid;
  const before = cpuTimes(pid);
  const wrk = await runWrk(group, run);
  const after = cpuTimes(pid);
  const perRequest = (seconds: number): number => (seconds * 1e6) / Math.max(1, wrk.requests);
  const measured = {
    wrk,
    cpuUsPerRequest: perRequest(after.userS + after.systemS - before.userS - before.systemS),
    systemUsPerRequest: perRequest(after.systemS - before.systemS),
  };
  const failed = wrk.badStatus + wrk.socketErrors;
  const name = server.system === 'peer' ? 'fastify' : 'coffer';
  console.log(
    `[${name}] ${LOAD_LABELS[load.kind]} c=${load.connections}: ` +
      `${wrk.requestsPerSec.toFixed(0)} req/s, p50 ${wrk.p50Ms.toFixed(2)} ms, ` +
      `p99 ${wrk.p99Ms.toFixed(2)} ms, ${measured.cpuUsPerRequest.toFixed(0)} µs CPU/req ` +
      `(${measured.systemUsPerRequest.toFixed(0)} system), ` +
      `${failed} failed`,
  );
  return measured;
}

/** Unmeasured load on each server and load kind, so that both are past the JIT's warm-up. */
async function warmUp(group: ProcessGroup, servers: readonly Server[]): Promise<void> {
  if (WARMUP_S === 0) return;
  const connections = Math.max(...CONNECTIONS);
  for (const server of servers) {
    const kinds = server.system === 'peer' ? (['health'] as const) : LOADS_TO_RUN;
    for (const kind of kinds) {
      const result = await runWrk(group, wrkRun(server, kind, connections, WARMUP_S));
      if (result.badStatus + result.socketErrors > 0) {
        throw new BenchError(`${server.system} ${kind} warm-up had failed requests`);
      }
    }
  }
}

// -------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  if (!onPath('wrk')) {
    console.error('wrk is not on PATH; install it with: apt-get update && apt-get install -y wrk');
    return 2;
  }
  const unknown = LOAD_KINDS.filter((k) => !(k in LOAD_LABELS));
  if (unknown.length > 0 || CONNECTIONS.some((c) => !Number.isInteger(c) || c <= 0)) {
    console.error('LOADS is a list of health, read, write; CONNECTIONS of positive integers');
    return 2;
  }

  const run = startBenchRun('coffer-http-overhead-', KEEP_TMP, OVERALL_TIMEOUT_MS);
  const { group, tmp, cleanup } = run;
  const profileDir = path.join(tmp, 'profiles');

  const loads: OverheadLoad[] = LOADS_TO_RUN.flatMap((kind) =>
    CONNECTIONS.map((connections) => ({ kind, connections })),
  );
  const rows: OverheadRow[] = [];
  const started = new Date();
  const loadBefore = os.loadavg()[0]!;
  let failure: string | null = null;
  try {
    await ensureCofferBuilt(group, root);
    const [peerPort, cofferPort] = await freePorts(2);
    console.log('starting the bare fastify route and Coffer (memory store, no Raft) ...');
    const servers = [
      await startPeer(group, peerPort!, tmp),
      await startCoffer(group, cofferPort!, tmp),
    ];
    console.log(
      `fastify pid ${servers[0]!.process.pid}, Coffer pid ${servers[1]!.process.pid}; ` +
        `${WORKLOAD.keys} keys written; warming up ...`,
    );
    await warmUp(group, servers);
    for (const [i, load] of loads.entries()) {
      if (run.aborted()) break;
      const results: Partial<Record<System, Measured>> = {};
      for (const server of i % 2 === 0 ? servers : [...servers].reverse()) {
        if (run.aborted()) break;
        results[server.system] = await measure(group, server, load);
      }
      rows.push({ load, peer: results.peer, coffer: results.coffer });
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    if (!run.aborted()) {
      console.error(`failed: ${failure}`);
      for (const system of ['peer', 'coffer']) {
        const log = path.join(tmp, `${system}.log`);
        console.error(`--- last lines of ${system}.log ---\n${tailOf(log, 15)}`);
      }
    }
  } finally {
    await cleanup();
  }
  if (run.aborted()) return 1;

  const env = [
    DURATION_S !== 5 ? `DURATION=${DURATION_S}` : '',
    process.env['CONNECTIONS'] !== undefined ? `CONNECTIONS=${CONNECTIONS.join(',')}` : '',
    THREADS !== 2 ? `THREADS=${THREADS}` : '',
    process.env['LOADS'] !== undefined ? `LOADS=${LOAD_KINDS.join(',')}` : '',
    WORKLOAD.keys !== 16 ? `BENCH_KEYS=${WORKLOAD.keys}` : '',
    WARMUP_S !== 2 ? `WARMUP=${WARMUP_S}` : '',
    PROFILE ? 'PROFILE=1' : '',
  ].filter((s) => s !== '');
  console.log('');
  const date = started.toISOString().slice(0, 10);
  console.log(`## Coffer HTTP overhead vs a bare fastify route (${date})`);
  console.log('');
  const command = [...env, 'node --import tsx cluster/bench/http-overhead.ts'].join(' ');
  console.log(`Command: \`${command}\``);
  console.log(
    'Each server alone in a child process run with plain node (Coffer from dist/), plain HTTP ' +
      'on 127.0.0.1; fastify: one GET route with a static JSON object; Coffer: src/http in ' +
      'front of a Core over the in-memory store (no Raft), root token for KV v2 at secret/, ' +
      `${WORKLOAD.keys} keys chosen at random, ${WORKLOAD.valueBytes}-byte values; ` +
      `wrk -t${THREADS} (fewer for fewer connections), ${DURATION_S} s per run, ` +
      `${WARMUP_S} s warm-up per server and load; ratio = Coffer / fastify; CPU = the server ` +
      "process's user + system time over its run per completed request, system time in " +
      `parentheses; ${os.cpus().length} ` +
      `cores shared with wrk and other work, 1-minute load average ${loadBefore.toFixed(1)} ` +
      `before and ${os.loadavg()[0]!.toFixed(1)} after.` +
      (PROFILE ? ' Coffer ran under --cpu-prof: its figures include the profiler.' : ''),
  );
  console.log('');
  console.log(overheadTable(rows));
  console.log('');
  console.log('wrk commands:');
  for (const line of commands) console.log(`  ${line}`);
  if (PROFILE && existsSync(profileDir)) {
    for (const file of readdirSync(profileDir)) {
      const profile = path.join(profileDir, file);
      console.log(`Coffer CPU profile: ${profile}`);
      console.log(`  summary: node --import tsx cluster/bench/profile-summary.ts ${profile} 50`);
    }
  }
  if (failure !== null) {
    console.log(`\nnot measured to the end: ${failure}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
