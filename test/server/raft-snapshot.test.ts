/**
 * Snapshot save and restore (src/server/raft-snapshot.ts) on in-process clusters: three Raft
 * nodes on a memory network, each with its RaftCluster and its core, driven through the cores as
 * the HTTP layer would drive them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

import { makeRequest, NotFoundError } from '../../src/logical/index.js';
import type { Response } from '../../src/logical/index.js';
import { MemoryStateMachine, RaftPhysicalStore } from '../../src/physical/index.js';
import type { WriteResult } from '../../src/physical/state-machine.js';
import { RaftNode } from '../../src/raft/node/raft-node.js';
import type { NodeMeta } from '../../src/raft/node/types.js';
import { MemoryNetwork } from '../../src/raft/transport/memory-transport.js';
import { RaftCluster } from '../../src/server/raft-cluster.js';
import { SnapshotRejectedError } from '../../src/server/raft-snapshot-archive.js';
import type { SnapshotRejection } from '../../src/server/raft-snapshot-archive.js';
import { readTar, writeTar } from '../../src/server/raft-snapshot-tar.js';
import { MemoryRaftStorage } from '../../src/storage/memory-raft-storage.js';
import { Core } from '../../src/vault/core.js';
import { waitFor } from '../cluster/support.js';

interface Member {
  id: string;
  node: RaftNode<WriteResult>;
  cluster: RaftCluster;
  core: Core;
}

interface TestCluster {
  network: MemoryNetwork;
  members: Member[];
  keys: string[];
  token: string;
  threshold: number;
}

const running: TestCluster[] = [];

function metaOf(prefix: string, n: number): NodeMeta {
  return { clusterAddr: `${prefix}-${n}:8201`, apiAddr: `https://${prefix}-${n}:8200` };
}

/** Starts `size` founding voters, initialises through the leader and unseals every core. */
async function startCluster(
  size: number,
  options: { shares?: number; threshold?: number; maxRestoreBytes?: number } = {},
): Promise<TestCluster> {
  const prefix = `c${running.length}`;
  const network = new MemoryNetwork();
  const ids = Array.from({ length: size }, (_, i) => `node${i + 1}`);
  const bootstrap = new Map(ids.map((id, i) => [id, metaOf(prefix, i + 1)]));
  const members: Member[] = [];
  for (const [i, id] of ids.entries()) {
    const machine = new MemoryStateMachine();
    const node = new RaftNode<WriteResult>({
      id,
      storage: await MemoryRaftStorage.open(),
      transport: network.transport(id),
      stateMachine: machine,
      tickMs: 10,
      meta: metaOf(prefix, i + 1),
      bootstrap,
    });
    const cluster = new RaftCluster({
      nodeId: id,
      meta: metaOf(prefix, i + 1),
      maxRestoreBytes: options.maxRestoreBytes,
    });
    cluster.attach(node);
    const core = new Core({
      physical: new RaftPhysicalStore({ node, stateMachine: machine }),
      cluster,
    });
    cluster.enableSnapshots(machine, core);
    members.push({ id, node, cluster, core });
  }
  const test: TestCluster = { network, members, keys: [], token: '', threshold: 0 };
  running.push(test);
  for (const m of members) await m.node.start();

  const threshold = options.threshold ?? 3;
  const leader = await leaderOf(test);
  const init = await leader.core.initialize({
    secretShares: options.shares ?? 5,
    secretThreshold: threshold,
  });
  Object.assign(test, { keys: init.keys, token: init.rootToken, threshold });
  for (const m of members) await unseal(test, m, init.keys);
  return test;
}

async function leaderOf(test: TestCluster): Promise<Member> {
  return waitFor('a leader', async () => test.members.find((m) => m.cluster.isLeader()) ?? null);
}

async function unseal(test: TestCluster, member: Member, keys: string[]): Promise<void> {
  for (const key of keys.slice(0, test.threshold)) await member.core.unseal(key);
  assert.equal(member.core.sealed, false, `${member.id} unsealed`);
}

function call(
  core: Core,
  token: string,
  operation: 'read' | 'update' | 'delete',
  path: string,
  data?: Record<string, unknown>,
): Promise<Response | null> {
  return core.handleRequest(makeRequest({ operation, path, data, clientToken: token }, randomUUID));
}

async function writeSecret(m: Member, token: string, key: string, value: string): Promise<void> {
  await call(m.core, token, 'update', `secret/data/${key}`, { data: { value } });
}

async function readSecret(m: Member, token: string, key: string): Promise<string | null> {
  try {
    const res = await call(m.core, token, 'read', `secret/data/${key}`);
    const data = res?.data as { data?: { value?: string } | null } | undefined;
    return data?.data?.value ?? null;
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/** Every node's view of `keys`, as `node: {key: value}`. */
async function views(
  test: TestCluster,
  token: string,
  keys: string[],
): Promise<Record<string, Record<string, string | null>>> {
  const out: Record<string, Record<string, string | null>> = {};
  for (const m of test.members) {
    out[m.id] = {};
    for (const key of keys) out[m.id]![key] = await readSecret(m, token, key);
  }
  return out;
}

function everywhere(
  test: TestCluster,
  values: Record<string, string | null>,
): Record<string, Record<string, string | null>> {
  return Object.fromEntries(test.members.map((m) => [m.id, values]));
}

async function rejection(work: Promise<unknown>): Promise<SnapshotRejection> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof SnapshotRejectedError, String(err));
    assert.equal(err.httpStatus, 400);
    return err.reason;
  }
  assert.fail('the restore was accepted');
}

describe('RaftSnapshots', function () {
  this.timeout(20_000);
  let main: TestCluster;

  beforeEach(async () => {
    main = await startCluster(3);
  });

  afterEach(async () => {
    for (const test of running.splice(0)) {
      for (const m of test.members) {
        m.core.sealNode();
        await m.node.stop();
      }
    }
  });

  it('restores the saved values on every node after overwrites and deletes', async () => {
    const leader = await leaderOf(main);
    const { token } = main;
    await writeSecret(leader, token, 'app/a', 'a-1');
    await writeSecret(leader, token, 'app/b', 'b-1');
    const archive = await leader.cluster.snapshot();

    await writeSecret(leader, token, 'app/a', 'a-2');
    await call(leader.core, token, 'delete', 'secret/data/app/b');
    await writeSecret(leader, token, 'app/c', 'c-2');
    const keys = ['app/a', 'app/b', 'app/c'];
    assert.deepEqual(
      await views(main, token, keys),
      everywhere(main, { 'app/a': 'a-2', 'app/b': null, 'app/c': 'c-2' }),
    );

    await leader.cluster.restore(archive, { force: false });
    assert.deepEqual(
      await views(main, token, keys),
      everywhere(main, { 'app/a': 'a-1', 'app/b': 'b-1', 'app/c': null }),
    );
    for (const m of main.members) assert.equal(m.core.sealed, false, `${m.id} stays unsealed`);

    // The cluster keeps working, and the restored state is a snapshot of itself again.
    await writeSecret(leader, token, 'app/d', 'd-3');
    await leader.cluster.restore(await leader.cluster.snapshot(), { force: false });
    assert.equal(await readSecret(main.members[2]!, token, 'app/d'), 'd-3');
  });

  it('refuses a tampered archive with a 400 and changes nothing', async () => {
    const leader = await leaderOf(main);
    const { token } = main;
    await writeSecret(leader, token, 'k', 'saved');
    const archive = await leader.cluster.snapshot();
    await writeSecret(leader, token, 'k', 'current');
    const applied = leader.node.status().applied;

    const flipped = Buffer.from(archive);
    flipped[flipped.length >> 1]! ^= 0x01;
    await rejection(leader.cluster.restore(flipped, { force: true }));

    // A byte flipped inside the state, the container rebuilt: the checksum catches it.
    const files = readTar(gunzipSync(archive)).map((file) => {
      if (file.name !== 'state.bin') return file;
      const data = Buffer.from(file.data);
      data[data.length - 1]! ^= 0x01;
      return { name: file.name, data };
    });
    const tampered = gzipSync(writeTar(files, new Date()));
    assert.equal(await rejection(leader.cluster.restore(tampered, { force: true })), 'checksum');

    assert.equal(leader.node.status().applied, applied, 'nothing was proposed');
    assert.deepEqual(await views(main, token, ['k']), everywhere(main, { k: 'current' }));
  });

  it('refuses a snapshot of another cluster unless forced', async () => {
    const other = await startCluster(1, { shares: 3, threshold: 2 });
    const otherLeader = other.members[0]!;
    await writeSecret(otherLeader, other.token, 'theirs', 'from-the-other-cluster');
    const foreign = await otherLeader.cluster.snapshot();

    const leader = await leaderOf(main);
    await writeSecret(leader, main.token, 'ours', 'kept');
    assert.equal(await rejection(leader.cluster.restore(foreign, { force: false })), 'foreign');
    assert.deepEqual(await views(main, main.token, ['ours']), everywhere(main, { ours: 'kept' }));
    for (const m of main.members) assert.equal(m.core.sealed, false);
  });

  it('with force, seals every node until the other cluster keys unseal it', async () => {
    const other = await startCluster(1, { shares: 3, threshold: 2 });
    const otherLeader = other.members[0]!;
    await writeSecret(otherLeader, other.token, 'theirs', 'from-the-other-cluster');
    const foreign = await otherLeader.cluster.snapshot();

    const leader = await leaderOf(main);
    await writeSecret(leader, main.token, 'ours', 'replaced');
    await leader.cluster.restore(foreign, { force: true });
    for (const m of main.members) {
      await waitFor(`${m.id} to seal`, async () => m.core.sealed);
      const status = await m.core.sealStatus();
      assert.deepEqual([status.t, status.n], [2, 3], `${m.id} reports the restored seal`);
    }

    // This cluster's own shares no longer open it; the other cluster's do.
    await assert.rejects(async () => {
      for (const key of main.keys.slice(0, 2)) await main.members[0]!.core.unseal(key);
    });
    await main.members[0]!.core.resetUnseal();
    for (const m of main.members) await unseal({ ...main, threshold: 2 }, m, other.keys);
    assert.deepEqual(
      await views(main, other.token, ['theirs', 'ours']),
      everywhere(main, { theirs: 'from-the-other-cluster', ours: null }),
    );

    // Its snapshots are now this cluster's own.
    await leader.cluster.restore(await leader.cluster.snapshot(), { force: false });
  });

  it('keeps the current keyring, so writes after an older snapshot survive a reseal', async () => {
    const leader = await leaderOf(main);
    const { token } = main;
    await writeSecret(leader, token, 'before', 'term-1');
    const archive = await leader.cluster.snapshot();
    const rotated = await leader.core.rotateKeyring();
    assert.equal(rotated.term, 2);

    await leader.cluster.restore(archive, { force: false });
    assert.equal(leader.core.keyStatus().term, 2);
    await writeSecret(leader, token, 'after', 'term-2');

    for (const m of main.members) {
      m.core.sealNode();
      await unseal(main, m, main.keys);
    }
    assert.deepEqual(
      await views(main, token, ['before', 'after']),
      everywhere(main, { before: 'term-1', after: 'term-2' }),
    );
  });

  it('brings a node that missed the restore up to date from the log', async () => {
    const leader = await leaderOf(main);
    const { token } = main;
    const lagging = main.members.find((m) => m !== leader)!;
    await writeSecret(leader, token, 'k', 'saved');
    const archive = await leader.cluster.snapshot();
    await writeSecret(leader, token, 'k', 'overwritten');
    await waitFor('the write to reach every node', async () =>
      main.members.every((m) => m.node.status().applied >= leader.node.status().applied),
    );

    main.network.isolate(lagging.id);
    await leader.cluster.restore(archive, { force: false });
    assert.equal(await readSecret(leader, token, 'k'), 'saved');
    main.network.heal();
    await waitFor('the lagging node to apply the restore', async () =>
      (await readSecret(lagging, token, 'k')) === 'saved',
    );
    assert.equal(lagging.core.sealed, false);
  });

  it('refuses a state larger than the restore limit before proposing anything', async () => {
    const small = await startCluster(1, { maxRestoreBytes: 4096 });
    const member = small.members[0]!;
    await writeSecret(member, small.token, 'big', 'x'.repeat(8000));
    const archive = await member.cluster.snapshot();
    const applied = member.node.status().applied;
    const reason = await rejection(member.cluster.restore(archive, { force: false }));
    assert.equal(reason, 'too_large');
    assert.equal(member.node.status().applied, applied);
  });

  it('runs one restore at a time on a node', async () => {
    const leader = await leaderOf(main);
    const archive = await leader.cluster.snapshot();
    const first = leader.cluster.restore(archive, { force: false });
    await assert.rejects(leader.cluster.restore(archive, { force: false }), {
      code: 'conflict',
    });
    await first;
  });
});
