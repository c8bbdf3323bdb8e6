/**
 * CPU time per operation of the replicated store on a three-node Raft cluster: each node in its
 * own process (support/raft-cpu-node.ts) with the real mutual-TLS WebSocket transport,
 * LevelRaftStorage (fsync on) and LevelStateMachine, as `coffer server` wires them, but without
 * HTTP, the Vault core or the barrier. The load runs inside the leader's process, straight
 * against its `RaftPhysicalStore`: `put` of 200-byte values (`write`), a read index and a `get`
 * (`read`), or both, as a KV v2 write does (`rw`).
 *
 * Throughput on a shared 2-core machine says little; CPU time does. For every load the script
 * reports, per node, the process CPU time (user + system) spent during the run divided by the
 * operations completed, plus ops/s, and the leader's mean group-commit size (saves per synced
 * LevelDB batch).
 *
 * Run: `node --import tsx cluster/bench/raft-cpu.ts`. Options through the environment: OPS
 * (operations per load, default 4000), CONNECTIONS (default "16,64"), LOADS (default
 * "write,rw,read"), VALUE_BYTES (default 200), TICK_MS (default 100), PROFILE=1 to start the
 * nodes with `--cpu-prof` (profiles land in the temporary directory, which is then kept).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCa, issueNodeCertificate } from '../../src/util/tls.js';
import { freePorts } from './support/http-json.js';
import type {
  Command,
  CpuSample,
  LoadKind,
  LoadResult,
  NodeConfig,
} from './support/raft-cpu-node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const OPS = Number(process.env['OPS'] ?? 4000);
const CONNECTIONS = (process.env['CONNECTIONS'] ?? '16,64').split(',').map(Number);
const LOADS = (process.env['LOADS'] ?? 'write,rw,read').split(',') as LoadKind[];
const VALUE_BYTES = Number(process.env['VALUE_BYTES'] ?? 200);
const TICK_MS = Number(process.env['TICK_MS'] ?? 100);
const PROFILE = process.env['PROFILE'] === '1';
const IDS = ['n1', 'n2', 'n3'];

/** One child process and a queue of answers to the commands sent to it, in order. */
class Member {
  private readonly waiting: ((value: unknown) => void)[] = [];
  readonly ready: Promise<void>;

  constructor(
    readonly id: string,
    readonly child: ChildProcess,
  ) {
    let markReady: () => void = () => undefined;
    this.ready = new Promise((resolve) => (markReady = resolve));
    child.on('message', (message: { ready?: boolean }) => {
      if (message.ready === true) markReady();
      else this.waiting.shift()?.(message);
    });
  }

  ask<T>(command: Command): Promise<T> {
    return new Promise((resolve) => {
      this.waiting.push(resolve as (value: unknown) => void);
      this.child.send(command);
    });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'coffer-raft-cpu-'));
  const ca = generateCa({ commonName: 'bench CA' });
  const first = issueNodeCertificate(ca, { nodeId: IDS[0]! });
  const ports = await freePorts(IDS.length);
  const portOf = Object.fromEntries(IDS.map((id, i) => [id, ports[i]!]));
  const members = IDS.map((id) => {
    const cert = id === IDS[0] ? first : issueNodeCertificate(ca, { nodeId: id, keyPem: first.keyPem });
    const config: NodeConfig = {
      id,
      dir: path.join(dir, id),
      ports: portOf,
      tls: { caPem: ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem },
      tickMs: TICK_MS,
    };
    const execArgv = ['--import', 'tsx'];
    if (PROFILE) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profiles')}`);
    const child = fork(path.join(here, 'support', 'raft-cpu-node.ts'), [], {
      execArgv,
      env: { ...process.env, RAFT_CPU_NODE: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Member(id, child);
  });

  try {
    await Promise.all(members.map((m) => m.ready));
    const leader = await findLeader(members);
    console.log(`leader ${leader.id}; warming up`);
    await leader.ask<LoadResult>({ cmd: 'load', kind: 'write', total: 2000, concurrency: 16, valueBytes: VALUE_BYTES });

    const rows: Record<string, string | number>[] = [];
    for (const kind of LOADS) {
      for (const concurrency of CONNECTIONS) {
        const before = await Promise.all(members.map((m) => m.ask<CpuSample>({ cmd: 'cpu' })));
        const result = await leader.ask<LoadResult>({
          cmd: 'load',
          kind,
          total: OPS,
          concurrency,
          valueBytes: VALUE_BYTES,
        });
        const after = await Promise.all(members.map((m) => m.ask<CpuSample>({ cmd: 'cpu' })));
        const done = OPS - result.failures;
        const row: Record<string, string | number> = {
          load: kind,
          conns: concurrency,
          'ops/s': Math.round(done / (result.ms / 1000)),
          failures: result.failures,
        };
        members.forEach((m, i) => {
          const cpu = after[i]!.userUs + after[i]!.systemUs - before[i]!.userUs - before[i]!.systemUs;
          const label = m === leader ? `${m.id} (leader) µs/op` : `${m.id} µs/op`;
          row[label] = Math.round(cpu / done);
        });
        const li = members.indexOf(leader);
        const groups = after[li]!.groups - before[li]!.groups;
        const items = after[li]!.items - before[li]!.items;
        row['leader saves/batch'] = groups === 0 ? '-' : (items / groups).toFixed(1);
        rows.push(row);
      }
    }
    console.log(`${OPS} ops per load, ${VALUE_BYTES}-byte values, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.table(rows);
  } finally {
    await Promise.all(
      members.map((m) =>
        m.child.exitCode === null ? m.ask({ cmd: 'stop' }).catch(() => undefined) : undefined,
      ),
    );
    if (PROFILE) console.log(`profiles in ${path.join(dir, 'profiles')}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

async function findLeader(members: Member[]): Promise<Member> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const m of members) {
      const s = await m.ask<{ role: string }>({ cmd: 'status' });
      if (s.role === 'leader') return m;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no leader within 30 s');
}

await main();
