/**
 * One member of the Raft CPU benchmark (cluster/bench/raft-cpu.ts), run as a child process: a
 * RaftNode over the real WebSocket/TLS transport, LevelRaftStorage and LevelStateMachine in a
 * temporary directory, and a RaftPhysicalStore on top, as `coffer server` wires them, without
 * the HTTP layer, the Vault core or the barrier. The parent drives it over the IPC channel:
 *
 * - `status` → this node's role;
 * - `cpu` → `process.cpuUsage()` and the storage's group-commit counters;
 * - `load` → runs `total` operations (see {@link LoadKind}) on this node's store, `concurrency` at a time,
 *   and answers with the elapsed time and the process's CPU time during the run;
 * - `stop` → stops the node and exits.
 *
 * The node's configuration comes in the `RAFT_CPU_NODE` environment variable (JSON).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { LevelStateMachine } from '../../../src/physical/state-machine-level.js';
import { RaftPhysicalStore } from '../../../src/physical/raft-store.js';
import type { WriteResult } from '../../../src/physical/state-machine.js';
import { RaftNode } from '../../../src/raft/node/raft-node.js';
import type { NodeMeta } from '../../../src/raft/node/types.js';
import { WsTransport } from '../../../src/raft/transport/ws-transport.js';
import type { TransportTls } from '../../../src/raft/transport/options.js';
import { LevelRaftStorage } from '../../../src/storage/level-raft-storage.js';

export interface NodeConfig {
  id: string;
  dir: string;
  /** Cluster ports by node id, this node's included. */
  ports: Record<string, number>;
  tls: TransportTls;
  tickMs: number;
}

export type Command =
  | { cmd: 'status' }
  | { cmd: 'cpu' }
  | { cmd: 'load'; kind: LoadKind; total: number; concurrency: number; valueBytes: number }
  | { cmd: 'stop' };

/**
 * `write`: a put. `read`: a read index, then a local get. `rw`: a read index, a local get and a
 * put, the storage pattern of a KV v2 write (token and metadata reads, then one batch).
 */
export type LoadKind = 'write' | 'read' | 'rw';

export interface CpuSample {
  userUs: number;
  systemUs: number;
  /** Synced LevelDB batches and saves so far (group commit). */
  groups: number;
  items: number;
}

export interface LoadResult {
  ms: number;
  cpuUs: number;
  failures: number;
}

const KEYS = 10_000;

async function main(): Promise<void> {
  const config = JSON.parse(process.env['RAFT_CPU_NODE'] ?? '{}') as NodeConfig;
  const metaOf = (id: string): NodeMeta => ({
    clusterAddr: `127.0.0.1:${config.ports[id]}`,
    apiAddr: `http://${id}.invalid`,
  });
  const voters = new Map(Object.keys(config.ports).map((id) => [id, metaOf(id)]));
  const storage = await LevelRaftStorage.open({ dir: path.join(config.dir, 'raft') });
  const machine = await LevelStateMachine.open({ dataDir: config.dir });
  const transport = new WsTransport({
    nodeId: config.id,
    listen: `127.0.0.1:${config.ports[config.id]}`,
    tls: config.tls,
  });
  const node = new RaftNode<WriteResult>({
    id: config.id,
    storage,
    transport,
    stateMachine: machine,
    tickMs: config.tickMs,
    bootstrap: voters,
  });
  const store = new RaftPhysicalStore({ node, stateMachine: machine });
  await node.start();

  const sample = (): CpuSample => {
    const { user, system } = process.cpuUsage();
    const { groups, items } = storage.stats;
    return { userUs: user, systemUs: system, groups, items };
  };

  const load = async (c: Extract<Command, { cmd: 'load' }>): Promise<LoadResult> => {
    const value = randomBytes(c.valueBytes);
    let next = 0;
    let failures = 0;
    const before = process.cpuUsage();
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < c.total) {
        const key = `bench/k${(next++ * 7919) % KEYS}`;
        try {
          if (c.kind !== 'write') {
            await store.readBarrier();
            await store.get(key, { stale: true });
          }
          if (c.kind !== 'read') await store.put(key, value);
        } catch {
          failures++;
        }
      }
    };
    await Promise.all(Array.from({ length: c.concurrency }, worker));
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(before);
    return { ms, cpuUs: cpu.user + cpu.system, failures };
  };

  process.on('message', (raw: Command) => {
    const reply = (value: unknown): void => {
      process.send?.(value);
    };
    switch (raw.cmd) {
      case 'status':
        reply({ role: node.status().role, leader: node.status().leader });
        return;
      case 'cpu':
        reply(sample());
        return;
      case 'load':
        void load(raw).then(reply);
        return;
      case 'stop':
        store.close();
        void node
          .stop()
          .then(() => machine.close())
          .then(() => {
            reply({ stopped: true });
            process.exit(0);
          });
        return;
    }
  });
  process.send?.({ ready: true });
}

await main();
