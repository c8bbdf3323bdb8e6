/**
 * The markdown table of cluster/bench/http-overhead.ts: one row per load (Coffer's sys/health,
 * KV reads or KV writes at a number of connections), the bare fastify route measured beside it in
 * the same run, and Coffer's figures as a ratio to the peer's: requests per second and the server
 * process's CPU time per request. A system that did not run shows a dash.
 */
import type { WrkResult } from './wrk.js';

/** What Coffer serves in a load; the peer always serves its one route. */
export type LoadKind = 'health' | 'read' | 'write';

export interface OverheadLoad {
  readonly kind: LoadKind;
  readonly connections: number;
}

/** One wrk run and the server's CPU time over it. */
export interface Measured {
  readonly wrk: WrkResult;
  /** The server process's user + system CPU time over the run, per completed request, in µs. */
  readonly cpuUsPerRequest: number;
  /** The system (kernel) part of {@link Measured.cpuUsPerRequest}. */
  readonly systemUsPerRequest: number;
}

export interface OverheadRow {
  readonly load: OverheadLoad;
  readonly peer?: Measured;
  readonly coffer?: Measured;
}

/** How each load kind reads in the table. */
export const LOAD_LABELS: Readonly<Record<LoadKind, string>> = {
  health: 'GET sys/health',
  read: 'KV v2 read',
  write: 'KV v2 write',
};

const number = (value: number, digits: number): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const rate = (m: Measured): number => m.wrk.requestsPerSec;
const cpu = (m: Measured): number => m.cpuUsPerRequest;
const p50 = (m: Measured): number => m.wrk.p50Ms;
const p99 = (m: Measured): number => m.wrk.p99Ms;

function cell(m: Measured | undefined, pick: (m: Measured) => number, digits: number): string {
  return m === undefined ? '—' : number(pick(m), digits);
}

/** Coffer's figure divided by the peer's. */
function ratio(row: OverheadRow, pick: (m: Measured) => number): string {
  const { peer, coffer } = row;
  if (peer === undefined || coffer === undefined || pick(peer) === 0) return '—';
  return number(pick(coffer) / pick(peer), 2);
}

/** Coffer's CPU time per request beyond the peer's, in µs. */
function extraCpu(row: OverheadRow): string {
  const { peer, coffer } = row;
  if (peer === undefined || coffer === undefined) return '—';
  return number(coffer.cpuUsPerRequest - peer.cpuUsPerRequest, 0);
}

/** CPU µs per request with its system part, e.g. `272 (41)`. */
const cpuCell = (m: Measured | undefined): string =>
  m === undefined ? '—' : `${number(m.cpuUsPerRequest, 0)} (${number(m.systemUsPerRequest, 0)})`;

const failed = (m: Measured | undefined): string =>
  m === undefined ? '—' : String(m.wrk.badStatus + m.wrk.socketErrors);

/** The results as a markdown table (no trailing newline). */
export function overheadTable(rows: readonly OverheadRow[]): string {
  const lines = [
    '| Coffer load | conns | fastify req/s | Coffer req/s | ratio ' +
      '| fastify p50 / p99 ms | Coffer p50 / p99 ms ' +
      '| fastify CPU µs/req (sys) | Coffer CPU µs/req (sys) | ratio | extra µs/req ' +
      '| failed fastify / Coffer |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const row of rows) {
    const { load, peer, coffer } = row;
    const latency = (m: Measured | undefined): string =>
      m === undefined ? '—' : `${cell(m, p50, 2)} / ${cell(m, p99, 2)}`;
    const cells = [
      LOAD_LABELS[load.kind],
      String(load.connections),
      cell(peer, rate, 0),
      cell(coffer, rate, 0),
      ratio(row, rate),
      latency(peer),
      latency(coffer),
      cpuCell(peer),
      cpuCell(coffer),
      ratio(row, cpu),
      extraCpu(row),
      `${failed(peer)} / ${failed(coffer)}`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
