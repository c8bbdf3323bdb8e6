/**
 * Figure 8 of the Raft paper (§5.4.2): why a leader may not commit an entry of an earlier term by
 * counting replicas, and why committing an entry of its own term settles the earlier ones.
 *
 * The figure's state is built on disk: n1 appended x at index 2 in term 2 and reached n2 with it
 * (figure (a)); n5 then led term 3 with the votes of n3 and n4 and appended its own x at index 2
 * (figure (b)) before crashing. Pre-vote and check-quorum are off: the plain protocol of the paper.
 * One entry per append message, so the network filter can let the term-2 entry through while
 * holding back the term-4 one.
 */
import assert from 'node:assert/strict';
import type { Message, NodeId } from '../../../src/raft/core/types.js';
import type { SimCluster } from '../sim/cluster.js';
import type { Disk } from '../sim/node.js';
import {
  ELECTION_TICKS,
  campaignNow,
  foundingEntry,
  logTerms,
  scenarioCluster,
  waitFor,
  writeEntry,
} from './support.js';

const VOTERS = ['n1', 'n2', 'n3', 'n4', 'n5'];
const FROM_TERM_2 = 'written in term 2';
const FROM_TERM_3 = 'written in term 3';

function disk(term: number, vote: NodeId | null, entries: Disk['entries']): Disk {
  return { hardState: { term, vote, commit: 1 }, snapshot: null, entries };
}

/** The figure's logs after (b): terms n1 [1,2], n2 [1,2], n3 [1], n4 [1], n5 [1,3]. */
function figure8Cluster(): SimCluster {
  const founding = foundingEntry(VOTERS);
  // One entry object for n1 and n2: the same index and term must mean the same command.
  const term2 = writeEntry(2, 2, 'x', FROM_TERM_2);
  const disks = new Map<NodeId, Disk>([
    ['n1', disk(3, null, [founding, term2])],
    ['n2', disk(3, null, [founding, term2])],
    ['n3', disk(3, 'n5', [founding])],
    ['n4', disk(3, 'n5', [founding])],
    ['n5', disk(3, 'n5', [founding, writeEntry(2, 3, 'x', FROM_TERM_3)])],
  ]);
  const cluster = scenarioCluster({
    seed: 8,
    voters: 5,
    disks,
    raft: { preVote: false, checkQuorum: false, maxMsgEntries: 1 },
  });
  cluster.crash('n5');
  return cluster;
}

/**
 * A filter that drops every append which would put an entry of `term` into the log of one of
 * `nodes`; appends the follower will reject anyway (its log lacks the previous entry) go through,
 * so the leader can still back up and send the entries before it.
 */
function holdBackTerm(cluster: SimCluster, term: number, nodes: NodeId[]): (m: Message) => boolean {
  return (m) => {
    if (m.type !== 'append' || !nodes.includes(m.to)) return true;
    if (!m.entries.some((e) => e.term === term)) return true;
    const follower = cluster.nodes.get(m.to)!.raft.raftLog;
    return !follower.matchTerm(m.prevIndex, m.prevTerm);
  };
}

/** Figure 8 (c): n1 leads term 4 and brings n3 and n4 the term-2 entry, but nobody its own. */
function electN1InTerm4(cluster: SimCluster): void {
  cluster.network.filter = holdBackTerm(cluster, 4, VOTERS);
  campaignNow(cluster, 'n1', 'n2');
  waitFor(cluster, () => cluster.leader()?.id === 'n1', 2, 'n1 elected');
  waitFor(
    cluster,
    () => {
      const p = cluster.nodes.get('n1')!.raft.status().progress;
      return p['n3']!.match === 2 && p['n4']!.match === 2;
    },
    3 * ELECTION_TICKS,
    'n3 and n4 acknowledging the term-2 entry',
  );
}

describe('Raft scenario: Figure 8 of the Raft paper (§5.4.2)', () => {
  it('does not commit a term-2 entry known to be on a majority while the term-4 entry is not, and lets the term-3 leader overwrite it', () => {
    const cluster = figure8Cluster();
    electN1InTerm4(cluster);
    const n1 = cluster.nodes.get('n1')!;
    assert.equal(n1.raft.softState().term, 4);
    assert.deepEqual(logTerms(n1), [1, 2, 4]);

    // The leader knows n1, n3 and n4 (3 of 5) hold the term-2 entry; n2 holds it too.
    for (const id of ['n2', 'n3', 'n4']) {
      assert.deepEqual(logTerms(cluster.nodes.get(id)!), [1, 2], id);
    }
    const matches = n1.raft.status().progress;
    assert.deepEqual([matches['n1']!.match, matches['n3']!.match, matches['n4']!.match], [3, 2, 2]);

    // ...yet it is not committed, for as long as the term-4 entry stays on n1 alone.
    for (let t = 0; t < 5 * ELECTION_TICKS; t++) {
      cluster.runTicks(1);
      assert.equal(n1.raft.status().commit, 1, `n1 committed index 2 at tick ${t}`);
    }
    for (const id of ['n1', 'n2', 'n3', 'n4']) {
      assert.equal(cluster.nodes.get(id)!.appliedIndex, 1, id);
    }

    // Figure 8 (d): n1 crashes; n5 stands. Term 4 is lost (n2, n3, n4 voted for n1 in it)...
    cluster.crash('n1');
    cluster.network.filter = null;
    cluster.restart('n5');
    const n5 = cluster.nodes.get('n5')!;
    campaignNow(cluster, 'n5', 'n2');
    cluster.runTicks(1);
    assert.deepEqual([n5.raft.softState().role, n5.raft.softState().term], ['follower', 4]);

    // ...but in term 5 its term-3 entry is more up to date than theirs, and it wins.
    campaignNow(cluster, 'n5', 'n2');
    waitFor(cluster, () => cluster.leader()?.id === 'n5', 2, 'n5 elected');
    assert.equal(n5.raft.softState().term, 5);

    // It overwrites the term-2 entry on the majority that held it, with no safety violation.
    const majority = ['n2', 'n3', 'n4', 'n5'];
    const applied3 = (): boolean =>
      majority.every((id) => cluster.nodes.get(id)!.appliedIndex === 3);
    waitFor(cluster, applied3, 20, 'term 5 committed');
    for (const id of majority) {
      const node = cluster.nodes.get(id)!;
      assert.deepEqual(logTerms(node), [1, 3, 5], id);
      assert.equal(node.read('x'), FROM_TERM_3, id);
    }

    // n1 comes back and its term-2 and term-4 entries are replaced as well.
    cluster.restart('n1');
    waitFor(cluster, () => cluster.nodes.get('n1')!.appliedIndex === 3, 20, 'n1 caught up');
    assert.deepEqual(logTerms(cluster.nodes.get('n1')!), [1, 3, 5]);
    assert.equal(cluster.nodes.get('n1')!.read('x'), FROM_TERM_3);
    assert.equal(cluster.appliedAt(2)?.startsWith('3:'), true);
    cluster.checkLogMatching();
  });

  it('commits both entries once the term-4 entry is on a majority, after which the term-3 node cannot be elected', () => {
    const cluster = figure8Cluster();
    electN1InTerm4(cluster);
    const n1 = cluster.nodes.get('n1')!;
    assert.equal(n1.raft.status().commit, 1);

    // Figure 8 (e): the term-4 entry reaches n2 and n3; n4 still lacks it.
    cluster.network.filter = holdBackTerm(cluster, 4, ['n4']);
    const committed3 = (): boolean => n1.raft.status().commit === 3;
    waitFor(cluster, committed3, 2 * ELECTION_TICKS, 'n1 committing index 3');
    assert.equal(n1.read('x'), FROM_TERM_2);
    for (const id of ['n1', 'n2', 'n3']) {
      assert.deepEqual(logTerms(cluster.nodes.get(id)!), [1, 2, 4], id);
    }
    assert.deepEqual(logTerms(cluster.nodes.get('n4')!), [1, 2]);

    // n1 crashes and n5 stands again and again: only n4 (and n5 itself) can vote for it.
    cluster.crash('n1');
    cluster.network.filter = null;
    cluster.restart('n5');
    const n5 = cluster.nodes.get('n5')!;
    for (let attempt = 0; attempt < 4; attempt++) {
      campaignNow(cluster, 'n5', 'n2');
      cluster.runTicks(1);
      assert.notEqual(n5.raft.softState().role, 'leader', `n5 won its campaign ${attempt + 1}`);
    }

    // Left to itself the cluster elects n2 or n3, and n5 never leads, even once n1 is back.
    let restarted = false;
    for (let t = 0; t < 10 * ELECTION_TICKS; t++) {
      cluster.runTicks(1);
      assert.notEqual(n5.raft.softState().role, 'leader', `n5 elected at tick ${t}`);
      if (!restarted && t === 5 * ELECTION_TICKS) {
        cluster.restart('n1');
        restarted = true;
      }
    }
    const leader = cluster.leader();
    assert.ok(leader !== null && ['n2', 'n3'].includes(leader.id), `leader is ${leader?.id}`);
    for (const id of VOTERS) {
      const node = cluster.nodes.get(id)!;
      assert.deepEqual(logTerms(node).slice(0, 3), [1, 2, 4], id);
      assert.equal(node.read('x'), FROM_TERM_2, id);
    }
    assert.equal(cluster.appliedAt(2)?.startsWith('2:'), true);
    cluster.checkLogMatching();
  });
});
