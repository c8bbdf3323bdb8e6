/**
 * The safety side of the Raft paper (Ongaro & Ousterhout 2014): Figure 2's persistent state
 * (what must reach stable storage before a node answers), Figure 3's Election Safety, restarts
 * from persisted state, the InstallSnapshot reply of §7, and how a node treats messages that are
 * stale, misaddressed or malformed: dropped, never thrown on.
 */
import assert from 'node:assert/strict';
import type { Message, Raft, Snapshot } from '../../src/raft/core/index.js';
import {
  ack,
  appendReq,
  drain,
  elect,
  entries,
  freshDisk,
  heartbeat,
  msgsOfType,
  newRaft,
  nodeWithLog,
  onlyMsgTo,
  persist,
  restart,
  termsIn,
  tickUntil,
  voteReq,
} from './support/manual.js';

const THREE = ['n1', 'n2', 'n3'];
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('Raft paper: persistent state (Figure 2)', () => {
  it('asks for votes only in the Ready that carries its new term and self-vote, with mustSync (§5.2)', () => {
    const r = newRaft('n1', THREE);
    const { readies } = tickUntil(r, () => r.status().role === 'candidate', 20);
    for (const rd of readies.slice(0, -1)) assert.deepEqual(msgsOfType(rd, 'vote'), []);

    const rd = readies[readies.length - 1]!;
    assert.equal(msgsOfType(rd, 'vote').length, 2);
    assert.deepEqual(rd.hardState, { term: 2, vote: 'n1', commit: 1 });
    assert.equal(rd.mustSync, true);
  });

  it('acknowledges entries only in the Ready that hands them over for storing, with mustSync (§5.3)', () => {
    const r = newRaft('n1', THREE);
    r.step(appendReq('n2', 'n1', 2, { index: 1, term: 1 }, entries(2, [2, 2]), 1));
    const rd = drain(r);

    assert.deepEqual(rd.entries.map((e) => e.index), [2, 3]);
    assert.equal(rd.mustSync, true);
    assert.deepEqual(rd.hardState, { term: 2, vote: null, commit: 1 });
    const reply = onlyMsgTo(rd, 'append-resp', 'n2');
    assert.deepEqual([reply.reject, reply.index], [false, 3]);
  });

  it('answers a higher-term heartbeat only in the Ready that carries the new term, with mustSync (§5.1)', () => {
    const r = newRaft('n1', THREE);
    r.step(heartbeat('n2', 'n1', 4, 1));
    const rd = drain(r);

    assert.equal(rd.hardState?.term, 4);
    assert.equal(rd.mustSync, true);
    assert.equal(onlyMsgTo(rd, 'heartbeat-resp', 'n2').term, 4);
  });

  it("sends a leader's new entries in the same Ready that has it store them, with mustSync (§5.3)", () => {
    const r = newRaft('n1', THREE);
    elect(r, ['n2']);
    r.step(ack('n2', 'n1', 2, 2));
    drain(r);
    r.propose([bytes('x')]);
    const rd = drain(r);

    assert.deepEqual(rd.entries.map((e) => e.index), [3]);
    assert.equal(rd.mustSync, true);
    assert.deepEqual(onlyMsgTo(rd, 'append', 'n2').entries.map((e) => e.index), [3]);
  });

  it('does not ask for an fsync when only the volatile commit index moved (Figure 2)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 1], { term: 1 });
    r.step(heartbeat('n2', 'n1', 1, 3));
    const rd = drain(r);

    assert.deepEqual(rd.hardState, { term: 1, vote: null, commit: 3 });
    assert.equal(rd.mustSync, false);
  });

  it('comes back from its persisted state with the same term, vote and log (§5.1, Figure 2)', () => {
    const disk = freshDisk(THREE);
    const r = restart('n1', disk);
    r.step(voteReq('n2', 'n1', 2, 1, 1));
    persist(disk, drain(r));
    r.step(appendReq('n2', 'n1', 2, { index: 1, term: 1 }, entries(2, [2, 2, 2]), 3));
    persist(disk, drain(r));
    r.step(appendReq('n2', 'n1', 2, { index: 2, term: 2 }, entries(3, [2]), 3));
    persist(disk, drain(r));
    const before = r.status();

    const again = restart('n1', disk);
    const after = again.status();
    assert.deepEqual(
      [after.role, after.term, after.vote, after.commit, after.lastIndex],
      [before.role, before.term, before.vote, before.commit, before.lastIndex],
    );
    assert.deepEqual(termsIn(again), termsIn(r));
    assert.deepEqual(termsIn(again), [1, 2, 2, 2]);
  });

  it('does not vote a second time in a term after a restart (§5.2, Figure 2)', () => {
    const disk = freshDisk(THREE);
    const r = restart('n1', disk);
    r.step(voteReq('n2', 'n1', 2, 1, 1));
    persist(disk, drain(r));

    const again = restart('n1', disk);
    again.step(voteReq('n3', 'n1', 2, 1, 1));
    const rd = drain(again);
    assert.equal(msgsOfType(rd, 'vote-resp')[0]?.reject, true);
    assert.equal(again.status().vote, 'n2');
  });

  it('restarts a former leader as a follower of the same term that keeps its self-vote (§5.2)', () => {
    const disk = freshDisk(THREE);
    const r = restart('n1', disk);
    const { readies } = tickUntil(r, () => r.status().role === 'candidate', 20);
    for (const rd of readies) persist(disk, rd);
    r.step({ type: 'vote-resp', from: 'n2', to: 'n1', term: 2, reject: false });
    persist(disk, drain(r));

    const again = restart('n1', disk);
    assert.deepEqual(
      [again.status().role, again.status().term, again.status().vote, again.status().lastIndex],
      ['follower', 2, 'n1', 2],
    );
    again.step(voteReq('n3', 'n1', 2, 9, 2));
    assert.equal(msgsOfType(drain(again), 'vote-resp')[0]?.reject, true);
  });
});

describe('Raft paper: Election Safety (Figure 3)', () => {
  it('lets at most one of two candidates of the same term win a three-node election (§5.2)', () => {
    const n1 = newRaft('n1', THREE, { seed: 1 });
    const n2 = newRaft('n2', THREE, { seed: 2 });
    const n3 = newRaft('n3', THREE, { seed: 3 });
    const asks1 = tickUntil(n1, () => n1.status().role === 'candidate', 20).readies.at(-1)!;
    const asks2 = tickUntil(n2, () => n2.status().role === 'candidate', 20).readies.at(-1)!;
    assert.equal(n1.status().term, n2.status().term, 'setup: both campaign in term 2');

    // n3 hears n1 first, then n2; the two candidates also ask each other.
    n3.step(onlyMsgTo(asks1, 'vote', 'n3'));
    n3.step(onlyMsgTo(asks2, 'vote', 'n3'));
    n2.step(onlyMsgTo(asks1, 'vote', 'n2'));
    n1.step(onlyMsgTo(asks2, 'vote', 'n1'));
    const replies: Message[] = [n3, n2, n1].flatMap((r) => drain(r).messages);
    for (const m of replies) (m.to === 'n1' ? n1 : n2).step(m);

    const leaders = [n1, n2].filter((r) => r.status().role === 'leader').map((r) => r.id);
    assert.deepEqual(leaders, ['n1']);
  });
});

describe('Raft paper: InstallSnapshot reply (§7)', () => {
  const snapshotAt = (index: number, term: number): Snapshot => ({
    meta: { index, term, config: { voters: THREE, learners: [] } },
    data: new Uint8Array(0),
  });

  it('acknowledges a snapshot it already holds only up to the snapshot, not its unverified tail', () => {
    // n2 holds 1..5 of term 1, as the leader does, then 6..8 from a deposed leader of term 2.
    // The leader's snapshot covers 1..5 (term 1). The entries after it are not known to match
    // the leader's, so the follower must not claim them: the leader would count them towards
    // commitment and tell n2 to commit them.
    const r = nodeWithLog('n2', THREE, [1, 1, 1, 1, 1, 2, 2, 2], { term: 2, commit: 3 });
    r.step({ type: 'snapshot', from: 'n1', to: 'n2', term: 3, snapshot: snapshotAt(5, 1) });
    const rd = drain(r);

    const reply = onlyMsgTo(rd, 'append-resp', 'n1');
    assert.equal(reply.reject, false);
    assert.ok(reply.index <= 5, `the follower acknowledged ${reply.index}, past the snapshot's 5`);
    assert.equal(r.status().commit, 5);
  });

  it('replaces its log with a snapshot that contradicts it', () => {
    const r = nodeWithLog('n2', THREE, [1, 1, 2, 2], { term: 2, commit: 2 });
    r.step({ type: 'snapshot', from: 'n1', to: 'n2', term: 3, snapshot: snapshotAt(5, 3) });
    const rd = drain(r);

    assert.equal(rd.snapshot?.meta.index, 5);
    assert.equal(rd.mustSync, true);
    assert.deepEqual([r.status().lastIndex, r.status().commit], [5, 5]);
    assert.equal(onlyMsgTo(rd, 'append-resp', 'n1').index, 5);
  });
});

describe('Raft core: stale, misaddressed and malformed messages', () => {
  /** Steps `m` into `r` and checks that nothing at all happened. */
  function assertIgnored(r: Raft, m: Message): void {
    const before = r.status();
    const lastTerms = termsIn(r);
    assert.doesNotThrow(() => r.step(m));
    const rd = drain(r);
    assert.deepEqual(r.status(), before);
    assert.deepEqual(termsIn(r), lastTerms);
    assert.deepEqual(rd.messages, []);
    assert.deepEqual(rd.entries, []);
    assert.equal(rd.hardState, null);
  }

  function leader(): Raft {
    const r = newRaft('n1', THREE);
    elect(r, ['n2']);
    return r;
  }

  it('drops a message addressed to another node', () => {
    const r = newRaft('n1', THREE);
    assertIgnored(r, appendReq('n2', 'n3', 5, { index: 1, term: 1 }, entries(2, [5]), 2));
  });

  it('drops a message that claims to come from itself', () => {
    assertIgnored(newRaft('n1', THREE), voteReq('n1', 'n1', 5, 9, 5));
  });

  it('drops a message whose term is negative, fractional or not a number', () => {
    const r = newRaft('n1', THREE);
    assertIgnored(r, appendReq('n2', 'n1', -3, { index: 1, term: 1 }, [], 1));
    assertIgnored(r, voteReq('n2', 'n1', 2.5, 9, 2));
    assertIgnored(r, heartbeat('n2', 'n1', Number.NaN, 1));
  });

  it('drops an append whose entries are not contiguous from prevLogIndex', () => {
    const r = newRaft('n1', THREE);
    r.step(heartbeat('n2', 'n1', 2, 1));
    drain(r);
    const gap = [...entries(2, [2]), ...entries(4, [2])];
    assertIgnored(r, appendReq('n2', 'n1', 2, { index: 1, term: 1 }, gap, 1));
    assertIgnored(r, appendReq('n2', 'n1', 2, { index: 1, term: 1 }, entries(3, [2]), 1));
  });

  it('drops an append carrying entries of a later term than its own, or of falling terms', () => {
    const r = newRaft('n1', THREE);
    r.step(heartbeat('n2', 'n1', 3, 1));
    drain(r);
    assertIgnored(r, appendReq('n2', 'n1', 3, { index: 1, term: 1 }, entries(2, [4]), 1));
    assertIgnored(r, appendReq('n2', 'n1', 3, { index: 1, term: 1 }, entries(2, [3, 2]), 1));
  });

  it('drops an append or heartbeat whose commit index is not a number', () => {
    const r = nodeWithLog('n1', THREE, [1, 1], { term: 1 });
    assert.doesNotThrow(() => r.step(heartbeat('n2', 'n1', 1, Number.NaN)));
    const append = appendReq('n2', 'n1', 1, { index: 2, term: 1 }, [], Number.NaN);
    assert.doesNotThrow(() => r.step(append));
    drain(r);
    assert.equal(r.status().commit, 1);
  });

  it('drops, at the leader, a response from a node outside the configuration', () => {
    const r = leader();
    assertIgnored(r, ack('n9', 'n1', 2, 2));
    assertIgnored(r, { type: 'heartbeat-resp', from: 'n9', to: 'n1', term: 2, readSeq: 0 });
  });

  it('ignores a vote from a node outside the configuration', () => {
    const r = newRaft('n1', THREE);
    tickUntil(r, () => r.status().role === 'candidate', 20);
    r.step({ type: 'vote-resp', from: 'n8', to: 'n1', term: 2, reject: false });
    r.step({ type: 'vote-resp', from: 'n9', to: 'n1', term: 2, reject: false });
    assert.equal(r.status().role, 'candidate');
  });

  it('drops a stale response from an earlier term', () => {
    const r = leader();
    r.step(heartbeat('n3', 'n1', 3, 1));
    drain(r);
    assertIgnored(r, { type: 'vote-resp', from: 'n2', to: 'n1', term: 2, reject: false });
    assertIgnored(r, ack('n2', 'n1', 2, 2));
  });

  it("drops, at the leader, an acknowledgement of entries beyond the leader's own log", () => {
    const r = leader();
    const before = r.status();
    assert.doesNotThrow(() => r.step(ack('n2', 'n1', 2, 100)));
    drain(r);
    assert.ok(
      (r.status().progress.n2?.match ?? 0) <= before.lastIndex,
      `the leader recorded n2 as holding index ${r.status().progress.n2?.match}`,
    );
  });
});
