/**
 * RaftCluster (src/server/raft-cluster.ts) between two in-process nodes on a memory network:
 * the join protocol end to end without processes or HTTP, membership refusals, and forwarding.
 */
import assert from 'node:assert/strict';

import { ConflictError, InvalidRequestError, NoActiveNodeError } from '../../src/logical/index.js';
import { MemoryStateMachine, RaftPhysicalStore } from '../../src/physical/index.js';
import type { WriteResult } from '../../src/physical/state-machine.js';
import { RaftNode } from '../../src/raft/node/raft-node.js';
import type { NodeMeta } from '../../src/raft/node/types.js';
import { MemoryNetwork } from '../../src/raft/transport/memory-transport.js';
import { RaftCluster } from '../../src/server/raft-cluster.js';
import { SwitchablePhysicalStore } from '../../src/server/switchable-store.js';
import { MemoryRaftStorage } from '../../src/storage/memory-raft-storage.js';
import { Core } from '../../src/vault/core.js';
import { waitFor } from './support.js';

interface Member {
  node: RaftNode<WriteResult>;
  cluster: RaftCluster;
  store: RaftPhysicalStore;
}

/** API ports are not next to cluster ports, so the API address must travel with the answer. */
function metaOf(n: number): NodeMeta {
  return { clusterAddr: `127.0.0.1:${8201 + n * 10}`, apiAddr: `https://127.0.0.1:${9000 + n}` };
}

describe('RaftCluster', () => {
  let network: MemoryNetwork;
  let members: Member[];

  /** Builds (not starts) member `n`, attached to its RaftCluster. */
  async function member(
    n: number,
    extra: { founding?: boolean; peers?: Map<string, NodeMeta> },
  ): Promise<Member> {
    const id = `node${n}`;
    const machine = new MemoryStateMachine();
    const node = new RaftNode<WriteResult>({
      id,
      storage: await MemoryRaftStorage.open(),
      transport: network.transport(id),
      stateMachine: machine,
      tickMs: 10,
      meta: metaOf(n),
      bootstrap: extra.founding === true ? new Map([[id, metaOf(n)]]) : undefined,
      peers: extra.peers,
    });
    const cluster = new RaftCluster({ nodeId: id, meta: metaOf(n) });
    cluster.attach(node);
    const m = { node, cluster, store: new RaftPhysicalStore({ node, stateMachine: machine }) };
    members.push(m);
    return m;
  }

  beforeEach(() => {
    network = new MemoryNetwork();
    members = [];
  });

  afterEach(async () => {
    for (const m of members) await m.node.stop();
  });

  it('joins a node by challenge and answer, a voter once caught up', async () => {
    const leader = await member(1, { founding: true });
    const core = new Core({ physical: leader.store, cluster: leader.cluster });
    leader.cluster.setJoinAuthority(core);
    await leader.node.start();
    await waitFor('node1 to lead', async () => leader.cluster.isLeader());
    const { keys } = await core.initialize({ secretShares: 3, secretThreshold: 2 });
    for (const key of keys.slice(0, 2)) await core.unseal(key);

    // The joiner: seeded with the challenge's records, unsealed with the cluster's shares.
    const challenge = await leader.cluster.issueChallenge('node2');
    assert.equal(challenge.sealConfig.secret_threshold, 2);
    const bundle = JSON.parse(Buffer.from(challenge.challenge, 'base64').toString()) as {
      challenge_path: string;
      records: Record<string, string>;
    };
    const seeded = new SwitchablePhysicalStore();
    const records = Object.entries(bundle.records).map(([k, v]): [string, Uint8Array] => [
      k,
      Buffer.from(v, 'base64'),
    ]);
    await seeded.seed(new Map(records));

    let joined: Member | null = null;
    const joinerCore = new Core({
      physical: seeded,
      cluster: leader.cluster,
      beforeActivate: async (read) => {
        const answer = (await read(bundle.challenge_path))!;
        const result = await leader.cluster.answerChallenge({
          nodeId: 'node2',
          answer: Buffer.from(answer).toString('base64'),
          apiAddr: metaOf(2).apiAddr,
          clusterAddr: `https://${metaOf(2).clusterAddr}`,
          nonVoter: false,
        });
        assert.deepEqual(result.peers, [
          { id: 'node1', address: metaOf(1).clusterAddr, api_addr: metaOf(1).apiAddr },
        ]);
        // The floor is at or past the entry that added node2 as a learner.
        const added = leader.node.status().commit;
        assert.ok(result.voteFloor > 0 && result.voteFloor <= added, `voteFloor ${result.voteFloor}`);
        const peers = new Map(result.peers.map((p) => [p.id, metaOf(Number(p.id.slice(4)))]));
        const m = await member(2, { peers });
        joined = m;
        await m.node.start();
        seeded.switchTo(m.store);
        await waitFor('node2 to catch up', () => m.node.readIndex().then(() => true));
      },
    });
    await assert.rejects(seeded.put('core/x', new Uint8Array(1)), /stores nothing/);
    for (const key of keys.slice(1, 3)) await joinerCore.unseal(key);
    assert.equal(joinerCore.sealed, false);
    assert.equal(seeded.phase, 'replicated');

    const config = await waitFor('two voters', async () => {
      const c = await leader.cluster.configuration();
      return c.servers.filter((s) => s.voter).length === 2 ? c : null;
    });
    assert.deepEqual(
      config.servers.map((s) => [s.nodeId, s.address, s.leader]),
      [
        ['node1', metaOf(1).clusterAddr, true],
        ['node2', metaOf(2).clusterAddr, false],
      ],
    );
    // Node2 learned node1's API address, and node1 node2's, from the answer.
    assert.equal(joined!.cluster.leader()?.apiAddr, metaOf(1).apiAddr);
    assert.equal(leader.node.memberMeta('node2')?.apiAddr, metaOf(2).apiAddr);

    // A member cannot be challenged again; unknown peers cannot be removed.
    await assert.rejects(leader.cluster.issueChallenge('node2'), /already a member/);
    await assert.rejects(leader.cluster.removePeer('node9'), InvalidRequestError);
    // An answer without a usable API address is refused before the challenge is spent.
    const bad = { nodeId: 'node3', answer: 'YQ==', clusterAddr: '127.0.0.1:1', nonVoter: false };
    for (const apiAddr of ['', 'node3:8200', 'https://127.0.0.1:8200/v1']) {
      await assert.rejects(leader.cluster.answerChallenge({ ...bad, apiAddr }), InvalidRequestError);
    }
  });

  it('forwards a request to the leader and relays its answer', async () => {
    const leader = await member(1, { founding: true });
    await leader.node.start();
    await waitFor('node1 to lead', async () => leader.cluster.isLeader());
    leader.cluster.setForwardHandler(async (request) => ({
      status: 200,
      headers: { 'x-seen': request.url },
      body: Buffer.from(request.body).reverse(),
    }));
    await leader.node.addLearner('node2', metaOf(2));
    const follower = await member(2, { peers: new Map([['node1', metaOf(1)]]) });
    await follower.node.start();
    await waitFor('node2 to know the leader', async () => follower.cluster.leader());

    const answer = await follower.cluster.forward({
      method: 'PUT',
      url: '/v1/secret/data/x',
      headers: { 'content-type': 'application/json' },
      body: Uint8Array.of(1, 2, 3),
      remoteAddress: '127.0.0.1',
      tls: true,
      peerCertificates: [],
      peerCertificateVerified: false,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-seen'], '/v1/secret/data/x');
    assert.deepEqual([...answer.body], [3, 2, 1]);
  });

  it('answers 503 before it has a node, and 400 for what it does not support', async () => {
    const cluster = new RaftCluster({ nodeId: 'node1', meta: metaOf(1) });
    assert.equal(cluster.isLeader(), false);
    assert.equal(cluster.leader(), null);
    await assert.rejects(cluster.configuration(), NoActiveNodeError);
    await assert.rejects(cluster.answerChallenge({} as never), NoActiveNodeError);
    await assert.rejects(cluster.snapshot(), NoActiveNodeError);
    await assert.rejects(cluster.join({} as never), /raft is already initialized/);
  });

  it('refuses a second membership change while one is in flight with a 409', async () => {
    const leader = await member(1, { founding: true });
    await leader.node.start();
    await waitFor('node1 to lead', async () => leader.cluster.isLeader());
    await leader.node.addLearner('node2', metaOf(2));
    await leader.node.addLearner('node3', metaOf(3));
    // node2 and node3 never answer, so neither removal can be the only change for long.
    const first = leader.cluster.removePeer('node2');
    await assert.rejects(leader.cluster.removePeer('node3'), ConflictError);
    await first;
  });
});
