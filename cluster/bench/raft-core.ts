/**
 * Benchmark of the pure Raft core: entries committed per second through three in-process nodes,
 * with no I/O (persisting is a no-op, messages go through an in-memory queue), for proposals of
 * 1 and of 64 entries of 200 bytes each. Each figure is the median of 5 runs.
 *
 * The peer, measured in the same run, is a "no consensus" pipeline that moves the same entries
 * through the same queue to the same three nodes without any Raft logic; the ratio
 * Raft/peer shows what the algorithm itself costs.
 *
 * Run: `node --import tsx cluster/bench/raft-core.ts` (or `make bench`). Options through the
 * environment: RUN_MS (default 1500) per run, RUNS (default 5).
 */
import { Raft } from '../../src/raft/core/raft.js';
import type { Message, NodeId } from '../../src/raft/core/types.js';
import { seededRandom } from '../../src/util/random.js';

const RUN_MS = Number(process.env['RUN_MS'] ?? 1500);
const RUNS = Number(process.env['RUNS'] ?? 5);
const ENTRY_BYTES = 200;
/** Entries proposed but not yet committed that the load generator allows. */
const WINDOW = 4096;

function emptyState() {
  return { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [] };
}

/** Entries committed per second through a three-node Raft cluster, `batch` entries a proposal. */
function runRaft(batch: number): number {
  const ids: NodeId[] = ['n1', 'n2', 'n3'];
  const nodes = new Map<NodeId, Raft>();
  for (const [i, id] of ids.entries()) {
    const r = new Raft({ id, random: seededRandom(i + 1), maxInflightMsgs: 1024 }, emptyState());
    r.bootstrap(ids);
    nodes.set(id, r);
  }
  const queue: Message[] = [];
  const leader = nodes.get('n1')!;
  let applied = 0;
  let appliedOnLeader = 0;

  const drain = (): void => {
    for (const [id, r] of nodes) {
      while (r.hasReady()) {
        const rd = r.ready();
        for (const m of rd.messages) queue.push(m);
        for (const e of rd.committedEntries) {
          if (e.kind === 'normal' && e.data.length > 0) {
            applied++;
            if (id === 'n1') appliedOnLeader++;
          }
        }
        r.advance();
      }
    }
  };
  const deliver = (): void => {
    const batchOfMessages = queue.splice(0);
    for (const m of batchOfMessages) nodes.get(m.to)!.step(m);
  };

  // Elect n1.
  leader.step({ type: 'timeout-now', from: 'n2', to: 'n1', term: 1 });
  for (let i = 0; i < 10 && leader.softState().role !== 'leader'; i++) {
    drain();
    deliver();
  }
  if (leader.softState().role !== 'leader') throw new Error('n1 was not elected');

  const payload = new Uint8Array(ENTRY_BYTES).fill(7);
  const commands = Array.from({ length: batch }, () => payload);
  let proposed = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(RUN_MS) * 1_000_000n;
  let rounds = 0;
  for (;;) {
    while (proposed - appliedOnLeader < WINDOW) {
      leader.propose(commands);
      proposed += batch;
    }
    drain();
    deliver();
    if (++rounds % 16 === 0 && process.hrtime.bigint() > deadline) break;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  void applied;
  return appliedOnLeader / seconds;
}

/** The same traffic shape with no consensus: the leader ships entries, followers ack them. */
function runPeer(batch: number): number {
  const payload = new Uint8Array(ENTRY_BYTES).fill(7);
  const logs = new Map<NodeId, Uint8Array[]>([['n1', []], ['n2', []], ['n3', []]]);
  type Msg = { to: NodeId; entries: Uint8Array[] } | { to: 'n1'; ack: number };
  const queue: Msg[] = [];
  let committed = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(RUN_MS) * 1_000_000n;
  let rounds = 0;
  for (;;) {
    const entries = Array.from({ length: batch }, () => payload);
    logs.get('n1')!.push(...entries);
    queue.push({ to: 'n2', entries }, { to: 'n3', entries });
    for (const m of queue.splice(0)) {
      if ('entries' in m) {
        logs.get(m.to)!.push(...m.entries);
        queue.push({ to: 'n1', ack: m.entries.length });
      }
    }
    for (const m of queue.splice(0)) if ('ack' in m) committed += m.ack / 2;
    if (logs.get('n1')!.length > 100_000) for (const log of logs.values()) log.length = 0;
    if (++rounds % 64 === 0 && process.hrtime.bigint() > deadline) break;
  }
  return committed / (Number(process.hrtime.bigint() - start) / 1e9);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const rows: string[] = [];
for (const batch of [1, 64]) {
  const raft: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    raft.push(runRaft(batch));
    peer.push(runPeer(batch));
  }
  const r = median(raft);
  const p = median(peer);
  rows.push(
    `| ${batch} | ${Math.round(r).toLocaleString('en-US')} | ${Math.round(p).toLocaleString('en-US')} | ${(r / p).toFixed(3)} |`,
  );
}
console.log(`Raft core, 3 nodes in process, ${ENTRY_BYTES}-byte entries, median of ${RUNS} runs of ${RUN_MS} ms`);
console.log('| entries per proposal | Raft entries/s | no-consensus peer entries/s | ratio |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(row);
