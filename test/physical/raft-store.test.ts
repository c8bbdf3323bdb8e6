import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ConditionFailedError, PhysicalUnavailableError } from '../../src/physical/errors.js';
import { RaftPhysicalStore } from '../../src/physical/raft-store.js';
import { encodeWrite } from '../../src/physical/state-machine.js';
import type { KvStateMachine, WriteResult } from '../../src/physical/state-machine.js';
import { LevelStateMachine } from '../../src/physical/state-machine-level.js';
import { MemoryStateMachine } from '../../src/physical/state-machine-memory.js';
import type { PhysicalStore } from '../../src/physical/types.js';
import { RaftNode } from '../../src/raft/node/raft-node.js';
import type { AppliedCommand } from '../../src/raft/node/types.js';
import { MemoryNetwork } from '../../src/raft/transport/memory-transport.js';
import { MemoryRaftDisk, MemoryRaftStorage } from '../../src/storage/memory-raft-storage.js';
import { seededRandom } from '../../src/util/random.js';
import { metaOf, waitFor } from '../raft/node/support.js';
import { physicalStoreConformance } from './conformance.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

/** Counts the commands a state machine is asked to apply. */
class CountingMachine<M extends KvStateMachine> {
  applied: number[] = [];

  constructor(readonly inner: M) {
    const apply = inner.apply.bind(inner);
    inner.apply = async (commands: readonly AppliedCommand[]): Promise<WriteResult[]> => {
      this.applied.push(...commands.map((c) => c.index));
      return apply(commands);
    };
  }
}

interface StoreMember {
  id: string;
  node: RaftNode<WriteResult>;
  machine: KvStateMachine;
  store: RaftPhysicalStore;
  disk: MemoryRaftDisk;
  counter: CountingMachine<KvStateMachine>;
}

/** Three RaftNodes on a memory network, each with a state machine and a RaftPhysicalStore. */
class StoreCluster {
  readonly network = new MemoryNetwork();
  readonly members = new Map<string, StoreMember>();
  private seed = 100;

  private constructor(
    readonly kind: 'level' | 'memory',
    readonly dir: string,
    readonly snapshotThreshold: number,
  ) {}

  static async start(kind: 'level' | 'memory', snapshotThreshold = 8192): Promise<StoreCluster> {
    const dir = await mkdtemp(path.join(tmpdir(), 'coffer-raft-store-'));
    const cluster = new StoreCluster(kind, dir, snapshotThreshold);
    for (const id of ['a', 'b', 'c']) await cluster.startNode(id, new MemoryRaftDisk());
    return cluster;
  }

  async startNode(id: string, disk: MemoryRaftDisk): Promise<StoreMember> {
    const machine: KvStateMachine =
      this.kind === 'level'
        ? await LevelStateMachine.open({ dataDir: path.join(this.dir, id) })
        : new MemoryStateMachine();
    const counter = new CountingMachine(machine);
    const node = new RaftNode<WriteResult>({
      id,
      storage: await MemoryRaftStorage.open({ disk }),
      transport: this.network.transport(id),
      stateMachine: machine,
      tickMs: 10,
      readTimeoutMs: 500,
      snapshotThreshold: this.snapshotThreshold,
      keepEntries: 0,
      raft: { electionTicks: 10, heartbeatTicks: 1, random: seededRandom(this.seed++) },
      bootstrap: new Map(['a', 'b', 'c'].map((m) => [m, metaOf(m)])),
    });
    await node.start();
    const store = new RaftPhysicalStore({ node, stateMachine: machine });
    const member = { id, node, machine, store, disk, counter };
    this.members.set(id, member);
    return member;
  }

  async stopNode(id: string): Promise<void> {
    const member = this.members.get(id)!;
    member.store.close();
    await member.node.stop();
    await member.machine.close();
  }

  async leader(): Promise<StoreMember> {
    let found: StoreMember | null = null;
    await waitFor('a leader', () => {
      const running = [...this.members.values()].filter((m) => m.node.status().state === 'running');
      found = running.find((m) => m.node.status().role === 'leader') ?? null;
      return found !== null && running.every((m) => m.node.status().leader === found!.id);
    });
    return found!;
  }

  async follower(): Promise<StoreMember> {
    const leader = await this.leader();
    const running = [...this.members.values()].filter((m) => m.node.status().state === 'running');
    return running.find((m) => m !== leader)!;
  }

  async close(): Promise<void> {
    for (const id of this.members.keys()) await this.stopNode(id);
    await rm(this.dir, { recursive: true, force: true });
  }
}

function caughtUp(follower: StoreMember, leader: StoreMember): boolean {
  return follower.machine.appliedIndex() >= leader.machine.appliedIndex();
}

/** Every key in the store, found by walking `list`. */
async function allKeys(store: PhysicalStore, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const child of await store.list(prefix)) {
    if (child.endsWith('/')) out.push(...(await allKeys(store, prefix + child)));
    else out.push(prefix + child);
  }
  return out;
}

async function wipe(store: PhysicalStore): Promise<void> {
  const keys = await allKeys(store);
  await store.batch(keys.map((key) => ({ type: 'delete' as const, key })));
}

describe('RaftPhysicalStore', () => {
  describe('on a cluster of LevelDB state machines', () => {
    let cluster: StoreCluster;
    before(async () => {
      cluster = await StoreCluster.start('level');
    });
    after(async () => {
      await cluster.close();
    });

    const through = (pick: () => Promise<StoreMember>) => async () => {
      const { store } = await pick();
      await wipe(store);
      return { store, close: async () => undefined };
    };
    const viaLeader = through(() => cluster.leader());
    const viaFollower = through(() => cluster.follower());
    physicalStoreConformance('RaftPhysicalStore through the leader', viaLeader);
    physicalStoreConformance('RaftPhysicalStore through a follower', viaFollower);

    it('lets one of two concurrent compare-and-set batches from two nodes win', async () => {
      const leader = await cluster.leader();
      const follower = await cluster.follower();
      await leader.store.put('cas/counter', bytes('0'));
      for (let round = 1; round <= 8; round++) {
        const current = await follower.store.get('cas/counter');
        assert.ok(current !== undefined);
        const attempt = (member: StoreMember): Promise<void> => {
          const value = bytes(`${round}-${member.id}`);
          const condition = { ifValue: current };
          return member.store.batch([{ type: 'put', key: 'cas/counter', value, condition }]);
        };
        const outcomes = await Promise.allSettled([attempt(leader), attempt(follower)]);
        const winners = outcomes.filter((o) => o.status === 'fulfilled');
        assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
        const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        assert.ok(loser.reason instanceof ConditionFailedError);
        const winner = outcomes[0]!.status === 'fulfilled' ? leader : follower;
        assert.equal(text(await leader.store.get('cas/counter')), `${round}-${winner.id}`);
      }
    });

    it('answers stale reads locally while linearizable reads need the leader', async () => {
      const leader = await cluster.leader();
      const follower = await cluster.follower();
      await leader.store.put('stale/k', bytes('v'));
      await waitFor('the follower to apply', () => caughtUp(follower, leader));
      cluster.network.isolate(follower.id);
      try {
        assert.equal(text(await follower.store.get('stale/k', { stale: true })), 'v');
        assert.deepEqual(await follower.store.list('stale/', { stale: true }), ['k']);
        await assert.rejects(follower.store.get('stale/k'), PhysicalUnavailableError);
      } finally {
        cluster.network.heal();
      }
    });

    it('serves a barrier caller only with a read index round started after it called', async () => {
      const follower = await cluster.follower();
      const { node } = follower;
      const started: number[] = [];
      const readIndex = node.readIndex.bind(node);
      node.readIndex = () => {
        started.push(started.length);
        return readIndex();
      };
      try {
        const first = follower.store.readBarrier();
        assert.equal(started.length, 1);
        // Arrived while the first round is in flight: they share one later round.
        const later = [1, 2, 3, 4].map(() => follower.store.readBarrier());
        assert.equal(started.length, 1);
        await first;
        await Promise.all(later);
        assert.equal(started.length, 2);
        await follower.store.readBarrier();
        assert.equal(started.length, 3);
      } finally {
        node.readIndex = readIndex;
      }
    });

    it('lets a follower read locally right after a write through another node', async () => {
      const leader = await cluster.leader();
      const follower = await cluster.follower();
      for (let round = 0; round < 5; round++) {
        await leader.store.put('ryw/k', bytes(`leader-${round}`));
        await follower.store.readBarrier();
        assert.equal(text(await follower.store.get('ryw/k', { stale: true })), `leader-${round}`);
        // A forwarded write resolves only once the follower has applied it.
        await follower.store.put('ryw/k', bytes(`follower-${round}`));
        assert.equal(text(await follower.store.get('ryw/k', { stale: true })), `follower-${round}`);
      }
    });

    it('refuses a write it may not forward with an error naming the leader', async () => {
      const leader = await cluster.leader();
      const follower = await cluster.follower();
      const { node, machine } = follower;
      const store = new RaftPhysicalStore({ node, stateMachine: machine, forwardWrites: false });
      try {
        await assert.rejects(store.put('k', bytes('v')), (err: unknown) => {
          assert.ok(err instanceof PhysicalUnavailableError);
          assert.equal(err.fields.leader, leader.id);
          assert.equal(err.fields.leaderApiAddr, metaOf(leader.id).apiAddr);
          return true;
        });
      } finally {
        // The node's physical channel was taken over by this store: hand it back.
        store.close();
        follower.store = new RaftPhysicalStore({ node, stateMachine: machine });
      }
    });
  });

  physicalStoreConformanceOnMemory();

  describe('with durable state machines', () => {
    let cluster: StoreCluster;
    afterEach(async () => {
      await cluster.close();
    });

    it('skips on restart what the LevelDB state machine already applied', async () => {
      cluster = await StoreCluster.start('level');
      const leader = await cluster.leader();
      const follower = await cluster.follower();
      for (let i = 0; i < 5; i++) await leader.store.put(`k${i}`, bytes(`${i}`));
      await waitFor('the follower to apply', () => caughtUp(follower, leader));
      const appliedBefore = follower.machine.appliedIndex();

      await cluster.stopNode(follower.id);
      const back = await cluster.startNode(follower.id, follower.disk);
      assert.equal(back.machine.appliedIndex(), appliedBefore);
      await leader.store.put('after', bytes('restart'));
      await waitFor('the node to apply', () => back.machine.appliedIndex() > appliedBefore);
      assert.ok(back.counter.applied.length > 0);
      const again = back.counter.applied.filter((index) => index <= appliedBefore);
      assert.deepEqual(again, [], 'commands were applied twice');
      assert.equal(text(await back.store.get('k4')), '4');
      assert.equal(text(await back.store.get('after')), 'restart');
    });

    it('brings a lagging node up to date from a snapshot of a LevelDB state machine', async () => {
      cluster = await StoreCluster.start('level', 10);
      const leader = await cluster.leader();
      const lagging = await cluster.follower();
      await cluster.stopNode(lagging.id);
      for (let i = 0; i < 30; i++) await leader.store.put(`deep/k${i}`, bytes(`${i}`));
      await waitFor('the leader to compact', () => leader.node.status().snapshotIndex > 0);

      const back = await cluster.startNode(lagging.id, lagging.disk);
      const restored = new Promise<number>((resolve) => {
        back.node.once('snapshot-restored', resolve);
      });
      // A node that knows no leader yet fails reads at once (503 upstream); wait for one.
      await waitFor('the node to find the leader', () => back.node.status().leader !== null);
      assert.equal((await back.store.list('deep/')).length, 30);
      assert.ok((await restored) > 0);
      assert.equal(text(await back.store.get('deep/k29')), '29');
    });
  });

  it('applies a malformed command as a refusal that changes nothing', async () => {
    const machine = new MemoryStateMachine();
    const results = await machine.apply([
      { index: 1, term: 1, data: bytes('not msgpack at all') },
      { index: 2, term: 1, data: encodeWrite([{ type: 'put', key: 'ok', value: bytes('1') }]) },
    ]);
    assert.deepEqual(results, [{ ok: false, failure: 'malformed' }, { ok: true }]);
    assert.deepEqual(await machine.list(''), ['ok']);
  });
});

function physicalStoreConformanceOnMemory(): void {
  describe('on a cluster of memory state machines', () => {
    let cluster: StoreCluster;
    before(async () => {
      cluster = await StoreCluster.start('memory');
    });
    after(async () => {
      await cluster.close();
    });
    physicalStoreConformance('RaftPhysicalStore on MemoryStateMachine', async () => {
      const { store } = await cluster.leader();
      await wipe(store);
      return { store, close: async () => undefined };
    });
  });
}
