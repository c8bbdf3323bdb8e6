/**
 * Running wrk with one of the scripts in cluster/bench/wrk/ and reading its report: requests per
 * second, the 50th and 99th latency percentiles of its `--latency` distribution, and the failed
 * requests it counts (non-2xx answers and socket errors). Also the workload those scripts share
 * with the pre-population done from Node: key names and the value (common.lua).
 */
import path from 'node:path';
import type { ProcessGroup } from './processes.js';

/** The key space and value size, passed to the Lua scripts through the environment. */
export interface Workload {
  /** Distinct keys, chosen uniformly at random per request. */
  readonly keys: number;
  /** Bytes in every value written. */
  readonly valueBytes: number;
  /** Key name prefix. */
  readonly prefix: string;
}

/** The i-th key name; the same as `common.key(i)` in common.lua. */
export function keyName(workload: Workload, index: number): string {
  return `${workload.prefix}k${String(index).padStart(5, '0')}`;
}

/** The value every write carries; the same bytes as `common.value()` in common.lua. */
export function valueOf(workload: Workload): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < workload.valueBytes; i++) out += alphabet[i % alphabet.length];
  return out;
}

/** The environment the Lua scripts read their settings from. */
export function workloadEnv(workload: Workload): Record<string, string> {
  return {
    BENCH_KEYS: String(workload.keys),
    BENCH_VALUE_BYTES: String(workload.valueBytes),
    BENCH_PREFIX: workload.prefix,
  };
}

export interface WrkRun {
  /** A script file name in cluster/bench/wrk/, e.g. `etcd-put.lua`. */
  readonly script: string;
  /** The base URL, e.g. `http://127.0.0.1:2379`. */
  readonly url: string;
  readonly connections: number;
  readonly threads: number;
  readonly durationS: number;
  /** Extra environment for the script (settings, tokens). */
  readonly env: Record<string, string>;
}

export interface WrkResult {
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers with a status of 400 or more (wrk says "Non-2xx or 3xx"). */
  readonly badStatus: number;
  /** connect + read + write + timeout socket errors. */
  readonly socketErrors: number;
}

/** Thrown when wrk fails, runs too long, or prints a report this parser cannot read. */
export class WrkError extends Error {
  readonly code = 'bench_wrk';
}

const SCRIPT_DIR = path.resolve(import.meta.dirname, '..', 'wrk');

/** wrk's command-line arguments for `run`. */
export function wrkArgs(run: WrkRun): string[] {
  return [
    `-t${run.threads}`,
    `-c${run.connections}`,
    `-d${run.durationS}s`,
    '--timeout',
    '5s',
    '--latency',
    '-s',
    path.join(SCRIPT_DIR, run.script),
    run.url,
  ];
}

/** The command as a shell line, environment first, with `secretNames` values masked. */
export function wrkCommandLine(run: WrkRun, secretNames: readonly string[] = []): string {
  const quoted = (value: string): string => (/\s/.test(value) ? `'${value}'` : value);
  const env = Object.entries(run.env).map(([name, value]) =>
    secretNames.includes(name) ? `${name}=<${name.toLowerCase()}>` : `${name}=${quoted(value)}`,
  );
  const relative = (arg: string): string =>
    arg.startsWith(SCRIPT_DIR) ? path.relative(process.cwd(), arg) : arg;
  return [...env, 'wrk', ...wrkArgs(run).map(relative)].join(' ');
}

/** Runs wrk once; its time limit is the run's duration plus 60 s for setup and connection close. */
export async function runWrk(group: ProcessGroup, run: WrkRun): Promise<WrkResult> {
  const result = await group.run('wrk', 'wrk', wrkArgs(run), {
    env: { ...process.env, ...run.env },
    timeoutMs: run.durationS * 1000 + 60_000,
  });
  if (result.timedOut) throw new WrkError(`wrk ran past its time limit: ${wrkCommandLine(run)}`);
  if (result.code !== 0) {
    const output = `${result.stdout}\n${result.stderr}`.trim();
    throw new WrkError(`wrk exited with ${result.code}: ${output}`);
  }
  return parseWrkOutput(result.stdout);
}

const TIME_UNITS_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Reads wrk 4's text report. The lines it needs:
 * `  50%    3.12ms`, `  99%   11.50ms` (from `--latency`), `  2278 requests in 2.01s, ...`,
 * `Requests/sec:   1136.03`, and when present `  Non-2xx or 3xx responses: 12` and
 * `  Socket errors: connect 0, read 1, write 0, timeout 3`.
 *
 * @throws WrkError when a required line is missing.
 */
export function parseWrkOutput(text: string): WrkResult {
  const percentile = (label: string): number => {
    const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(text);
    if (match === null) throw new WrkError(`no ${label}% latency line in wrk's output:\n${text}`);
    return Number(match[1]) * TIME_UNITS_MS[match[2]!]!;
  };
  const requests = /^\s*(\d+) requests in /m.exec(text);
  const rate = /^Requests\/sec:\s+([\d.]+)\s*$/m.exec(text);
  if (requests === null || rate === null) {
    throw new WrkError(`no request count or rate in wrk's output:\n${text}`);
  }
  const bad = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors =
    socket === null ? 0 : socket.slice(1, 5).reduce((sum, count) => sum + Number(count), 0);
  return {
    requests: Number(requests[1]),
    requestsPerSec: Number(rate[1]),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    badStatus: bad === null ? 0 : Number(bad[1]),
    socketErrors,
  };
}
