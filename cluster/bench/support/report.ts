/**
 * The markdown table of cluster/bench/kv-vs-etcd.ts: one row per load (writes or reads at a
 * number of connections), Coffer and etcd side by side, and the ratio Coffer/etcd for requests
 * per second and for the 50th and 99th latency percentiles. A system that did not run shows a dash.
 */
import type { WrkResult } from './wrk.js';

/** One wrk load, e.g. writes at 16 connections. */
export interface Load {
  readonly kind: 'writes' | 'reads';
  readonly connections: number;
}

/** Results by system for one load; a missing entry means that system did not get to run it. */
export interface LoadResults {
  readonly load: Load;
  readonly coffer?: WrkResult;
  readonly etcd?: WrkResult;
}

const number = (value: number, digits: number): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function cell(
  result: WrkResult | undefined,
  pick: (r: WrkResult) => number,
  digits: number,
): string {
  return result === undefined ? '—' : number(pick(result), digits);
}

function ratio(
  coffer: WrkResult | undefined,
  etcd: WrkResult | undefined,
  pick: (r: WrkResult) => number,
): string {
  if (coffer === undefined || etcd === undefined || pick(etcd) === 0) return '—';
  return number(pick(coffer) / pick(etcd), 2);
}

const failed = (result: WrkResult | undefined): string =>
  result === undefined ? '—' : String(result.badStatus + result.socketErrors);

/** The results as a markdown table (no trailing newline). */
export function markdownTable(rows: readonly LoadResults[]): string {
  const rate = (r: WrkResult): number => r.requestsPerSec;
  const p50 = (r: WrkResult): number => r.p50Ms;
  const p99 = (r: WrkResult): number => r.p99Ms;
  const lines = [
    '| load | conns | Coffer req/s | etcd req/s | ratio | Coffer p50 ms | etcd p50 ms | ratio ' +
      '| Coffer p99 ms | etcd p99 ms | ratio | failed Coffer / etcd |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const { load, coffer, etcd } of rows) {
    lines.push(
      '| ' +
        [
          load.kind,
          String(load.connections),
          cell(coffer, rate, 0),
          cell(etcd, rate, 0),
          ratio(coffer, etcd, rate),
          cell(coffer, p50, 2),
          cell(etcd, p50, 2),
          ratio(coffer, etcd, p50),
          cell(coffer, p99, 2),
          cell(etcd, p99, 2),
          ratio(coffer, etcd, p99),
          `${failed(coffer)} / ${failed(etcd)}`,
        ].join(' | ') +
        ' |',
    );
  }
  return lines.join('\n');
}
