/**
 * An in-process cluster of RaftNodes for the driver's tests: memory storage on disks that outlive
 * a node (so a node can be stopped and restarted), a memory network, a small key/value state
 * machine, a storage wrapper that counts saves and can be told to fail, and bounded polling.
 */
import { MemoryRaftDisk, MemoryRaftStorage } from '../../../src/storage/memory-raft-storage.js';
import type { RaftStorage, SaveBatch, SnapshotReader } from '../../../src/storage/raft-storage.js';
import type { PersistedState, Snapshot } from '../../../src/raft/core/types.js';
import { MemoryNetwork } from '../../../src/raft/transport/memory-transport.js';
import { RaftNode } from '../../../src/raft/node/raft-node.js';
import type {
  AppliedCommand,
  NodeMeta,
  RaftNodeOptions,
  StateMachine,
  StateMachineSnapshotMeta,
} from '../../../src/raft/node/types.js';
import { seededRandom } from '../../../src/util/random.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `key=value` as a command. */
export function command(key: string, value: string): Uint8Array {
  return encoder.encode(`${key}=${value}`);
}

/** A map of strings; each command's result is the index it was applied at. */
export class KvMachine implements StateMachine<number> {
  readonly data = new Map<string, string>();
  restores = 0;

  async apply(commands: readonly AppliedCommand[]): Promise<number[]> {
    return commands.map((c) => {
      const [key, value] = decoder.decode(c.data).split('=') as [string, string];
      this.data.set(key, value);
      return c.index;
    });
  }

  /** While set, a snapshot is captured at the call but handed over only once it resolves. */
  snapshotGate: Promise<void> | null = null;

  async snapshot(): Promise<Uint8Array> {
    const captured = encoder.encode(JSON.stringify([...this.data]));
    if (this.snapshotGate !== null) await this.snapshotGate;
    return captured;
  }

  async restore(data: Uint8Array, _meta: StateMachineSnapshotMeta): Promise<void> {
    this.restores++;
    this.data.clear();
    const pairs = JSON.parse(decoder.decode(data)) as [string, string][];
    for (const [k, v] of pairs) this.data.set(k, v);
  }
}

/** Storage that counts saves and, once armed, fails the next save with `failWith`. */
export class InstrumentedStorage implements RaftStorage {
  saves = 0;
  failWith: Error | null = null;
  /** Milliseconds each save takes, standing in for an fsync. */
  latencyMs = 0;
  /** While set, saves do not finish until it resolves: a disk that is slow to sync. */
  gate: Promise<void> | null = null;
  /** While set, compactions do not finish until it resolves: a large snapshot being written. */
  compactGate: Promise<void> | null = null;
  compactions = 0;

  constructor(readonly inner: RaftStorage) {}

  load(): Promise<PersistedState> {
    return this.inner.load();
  }

  async save(batch: SaveBatch, sync: boolean): Promise<void> {
    this.saves++;
    if (this.failWith !== null) throw this.failWith;
    const done = this.inner.save(batch, sync);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (this.gate !== null) await this.gate;
    await done;
  }

  async compact(snapshot: Snapshot): Promise<void> {
    this.compactions++;
    if (this.compactGate !== null) await this.compactGate;
    await this.inner.compact(snapshot);
  }

  openSnapshot(): Promise<SnapshotReader | null> {
    return this.inner.openSnapshot();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export function metaOf(id: string): NodeMeta {
  return { clusterAddr: `memory:${id}`, apiAddr: `https://${id}.test:8200` };
}

/** Polls `condition` every few milliseconds until it holds; fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export type NodeTweaks = Partial<
  Pick<
    RaftNodeOptions<number>,
    | 'snapshotThreshold'
    | 'snapshotIntervalMs'
    | 'keepEntries'
    | 'proposalTimeoutMs'
    | 'readTimeoutMs'
    | 'promoteLag'
  >
>;

export interface Member {
  node: RaftNode<number>;
  machine: KvMachine;
  storage: InstrumentedStorage;
  disk: MemoryRaftDisk;
  /** The options the node was first started with, reused on restart as a config file would be. */
  extra: Partial<RaftNodeOptions<number>>;
}

/** A cluster of nodes on one memory network. */
export class TestCluster {
  readonly network = new MemoryNetwork();
  readonly members = new Map<string, Member>();
  private seed = 1;

  constructor(private readonly tweaks: NodeTweaks = {}) {}

  /** Starts founding voters `ids`. */
  async bootstrap(ids: string[]): Promise<void> {
    const voters = new Map(ids.map((id) => [id, metaOf(id)]));
    for (const id of ids) await this.startNode(id, new MemoryRaftDisk(), { bootstrap: voters });
  }

  /** Starts a node with no log that knows the current members' addresses (a joining node). */
  async join(id: string): Promise<Member> {
    const peers = new Map([...this.members.keys()].map((peer) => [peer, metaOf(peer)]));
    return this.startNode(id, new MemoryRaftDisk(), { peers, meta: metaOf(id) });
  }

  async startNode(
    id: string,
    disk: MemoryRaftDisk,
    extra: Partial<RaftNodeOptions<number>> = {},
  ): Promise<Member> {
    const storage = new InstrumentedStorage(await MemoryRaftStorage.open({ disk }));
    const machine = new KvMachine();
    const node = new RaftNode<number>({
      id,
      storage,
      transport: this.network.transport(id),
      stateMachine: machine,
      tickMs: 10,
      raft: { electionTicks: 10, heartbeatTicks: 1, random: seededRandom(this.seed++) },
      ...this.tweaks,
      ...extra,
    });
    await node.start();
    const member = { node, machine, storage, disk, extra };
    this.members.set(id, member);
    return member;
  }

  /** Stops `id`, keeping its disk. */
  async stopNode(id: string): Promise<MemoryRaftDisk> {
    const member = this.get(id);
    await member.node.stop();
    return member.disk;
  }

  /**
   * Restarts a stopped node from its disk, with a fresh (empty) state machine and the options it
   * was first started with, unless `extra` replaces them.
   */
  async restartNode(id: string, extra?: Partial<RaftNodeOptions<number>>): Promise<Member> {
    const member = this.get(id);
    return this.startNode(id, member.disk, extra ?? member.extra);
  }

  get(id: string): Member {
    const member = this.members.get(id);
    if (member === undefined) throw new Error(`no member ${id}`);
    return member;
  }

  running(): Member[] {
    return [...this.members.values()].filter((m) => m.node.status().state === 'running');
  }

  /** The single running leader that every running voter follows, once there is one. */
  async leader(timeoutMs = 5_000): Promise<Member> {
    let found: Member | null = null;
    await waitFor(
      'a leader every running node agrees on',
      () => {
        const running = this.running();
        const leaders = running.filter((m) => m.node.status().role === 'leader');
        if (leaders.length !== 1) return false;
        const id = leaders[0]!.node.id;
        found = leaders[0]!;
        return running.every((m) => m.node.status().leader === id);
      },
      timeoutMs,
    );
    return found!;
  }

  followers(leader: Member): Member[] {
    return this.running().filter((m) => m !== leader);
  }

  async stopAll(): Promise<void> {
    for (const member of this.members.values()) await member.node.stop();
  }
}
