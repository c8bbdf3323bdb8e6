/**
 * The log replication rules of the Raft paper (Ongaro & Ousterhout 2014): Figure 2's
 * "AppendEntries RPC" receiver rules and the leader's rules, Figure 3's Log Matching and
 * Leader Append-Only properties, and the read-index protocol of §8 and dissertation §6.4. Each
 * test drives one node by hand (two where a rule is about the exchange between them).
 */
import assert from 'node:assert/strict';
import type { Raft } from '../../src/raft/core/index.js';
import { NotLeaderError } from '../../src/raft/core/index.js';
import {
  ack,
  appendReq,
  drain,
  elect,
  entries,
  entry,
  heartbeat,
  indexes,
  msgsOfType,
  nack,
  newRaft,
  nodeWithLog,
  onlyMsgTo,
  termsIn,
  tickN,
} from './support/manual.js';

const THREE = ['n1', 'n2', 'n3'];
const FIVE = ['n1', 'n2', 'n3', 'n4', 'n5'];
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A leader of `voters` in term 2 whose no-op (index 2) n2 has acknowledged and committed. */
function steadyLeader(voters = THREE): Raft {
  const r = newRaft('n1', voters);
  elect(r, voters.slice(1, Math.floor(voters.length / 2) + 1));
  for (const id of voters.slice(1, Math.floor(voters.length / 2) + 1)) {
    r.step(ack(id, 'n1', 2, 2));
  }
  drain(r);
  assert.equal(r.status().commit, 2, 'setup: the no-op must be committed');
  return r;
}

describe('Raft paper: leaders', () => {
  it('sends every follower an AppendEntries carrying its no-op entry as soon as it is elected (§5.2, §8)', () => {
    const r = newRaft('n1', THREE);
    const rd = elect(r, ['n2']);

    assert.deepEqual(rd.softState, { role: 'leader', leader: 'n1', term: 2 });
    assert.equal(rd.entries.length, 1);
    const noop = rd.entries[0]!;
    assert.deepEqual([noop.kind, noop.index, noop.term], ['normal', 2, 2]);
    assert.equal(noop.kind === 'normal' && noop.data.length, 0, 'the no-op carries no command');
    for (const to of ['n2', 'n3']) {
      const m = onlyMsgTo(rd, 'append', to);
      assert.deepEqual([m.term, m.prevIndex, m.prevTerm, indexes(m.entries)], [2, 1, 1, [2]]);
    }
  });

  it('sends heartbeats to every follower once per heartbeat interval while it leads (§5.2)', () => {
    const r = newRaft('n1', THREE, { heartbeatTicks: 3 });
    elect(r, ['n2']);
    const readies = tickN(r, 9);

    const beats = readies.map((rd) => msgsOfType(rd, 'heartbeat').map((m) => `${m.to}@${m.term}`));
    const both = ['n2@2', 'n3@2'];
    assert.deepEqual(beats, [[], [], both, [], [], both, [], [], both]);
  });

  it('appends a client command to its own log and replicates it (§5.3)', () => {
    const r = steadyLeader();
    const at = r.propose([bytes('x=1')]);
    const rd = drain(r);

    assert.deepEqual(at, { index: 3, term: 2 });
    assert.deepEqual(indexes(rd.entries), [3]);
    assert.equal(r.status().lastIndex, 3);
    const m = onlyMsgTo(rd, 'append', 'n2');
    assert.deepEqual([m.prevIndex, m.prevTerm, indexes(m.entries)], [2, 2, [3]]);
    assert.deepEqual(rd.committedEntries, [], 'not committed before a majority stored it');
  });

  it('hands a command over for applying only once a majority stored it (§5.3)', () => {
    const r = steadyLeader(FIVE);
    r.propose([bytes('x=1')]);
    drain(r);

    r.step(ack('n4', 'n1', 2, 3));
    let rd = drain(r);
    assert.equal(r.status().commit, 2, 'leader and n4 are two of five');
    assert.deepEqual(rd.committedEntries, []);

    r.step(ack('n2', 'n1', 2, 3));
    rd = drain(r);
    assert.equal(r.status().commit, 3);
    assert.deepEqual(indexes(rd.committedEntries), [3]);
  });

  it('refuses commands on a follower and names the leader it knows (§8)', () => {
    const r = newRaft('n1', THREE);
    r.step(appendReq('n2', 'n1', 2, { index: 1, term: 1 }, [], 1));
    drain(r);

    assert.throws(
      () => r.propose([bytes('x')]),
      (err: unknown) =>
        err instanceof NotLeaderError && err.leader === 'n2' && err.code === 'not_leader',
    );
  });

  it('sends each follower the entries from its nextIndex on (§5.3)', () => {
    const r = steadyLeader();
    r.propose([bytes('a'), bytes('b')]);
    let rd = drain(r);
    let m = onlyMsgTo(rd, 'append', 'n2');
    assert.deepEqual([m.prevIndex, m.prevTerm, indexes(m.entries)], [2, 2, [3, 4]]);
    assert.equal(r.status().progress.n2?.next, 5);

    r.propose([bytes('c')]);
    rd = drain(r);
    m = onlyMsgTo(rd, 'append', 'n2');
    assert.deepEqual([m.prevIndex, m.prevTerm, indexes(m.entries)], [4, 2, [5]]);
  });

  it('decrements nextIndex and retries one entry earlier when a follower rejects without a hint (§5.3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 1, 1], { term: 1 });
    const first = onlyMsgTo(elect(r, ['n2']), 'append', 'n2');
    assert.deepEqual([first.prevIndex, first.prevTerm], [4, 1]);

    let prev = 4;
    for (const expected of [3, 2, 1]) {
      r.step(nack('n2', 'n1', 2, prev));
      const m = onlyMsgTo(drain(r), 'append', 'n2');
      assert.deepEqual(
        [m.prevIndex, m.prevTerm, m.entries[0]?.index, m.entries[m.entries.length - 1]?.index],
        [expected, 1, expected + 1, 5],
      );
      prev = expected;
    }
  });

  it("skips a follower's whole conflicting term in one step thanks to its rejection hint (§5.3)", () => {
    // The leader's log holds term 3 at 2..4; the follower holds a longer run of term 2 at 2..7.
    const leader = nodeWithLog('n1', THREE, [1, 3, 3, 3], { term: 3 });
    const follower = nodeWithLog('n2', THREE, [1, 2, 2, 2, 2, 2, 2], { term: 2 });
    const probe = onlyMsgTo(elect(leader, ['n3']), 'append', 'n2');
    assert.deepEqual([probe.prevIndex, probe.prevTerm], [4, 3]);

    follower.step(probe);
    const rejection = onlyMsgTo(drain(follower), 'append-resp', 'n1');
    assert.equal(rejection.reject, true);
    assert.deepEqual(rejection.hint, { index: 4, term: 2 });

    leader.step(rejection);
    const retry = onlyMsgTo(drain(leader), 'append', 'n2');
    assert.deepEqual([retry.prevIndex, retry.prevTerm], [1, 1], 'one round trip past term 2');

    follower.step(retry);
    const fd = drain(follower);
    assert.deepEqual(termsIn(follower), [1, 3, 3, 3, 4]);
    leader.step(onlyMsgTo(fd, 'append-resp', 'n1'));
    assert.equal(leader.status().progress.n2?.match, 5);
    assert.equal(leader.status().commit, 5);
  });

  it('skips straight to the end of a follower log that is shorter than nextIndex (§5.3)', () => {
    const leader = nodeWithLog('n1', THREE, [1, 1, 1, 1, 1, 1, 1], { term: 1 });
    const follower = nodeWithLog('n2', THREE, [1, 1, 1], { term: 1 });
    const probe = onlyMsgTo(elect(leader, ['n3']), 'append', 'n2');
    follower.step(probe);
    const rejection = onlyMsgTo(drain(follower), 'append-resp', 'n1');
    assert.deepEqual(rejection.hint, { index: 3, term: 1 });

    leader.step(rejection);
    const retry = onlyMsgTo(drain(leader), 'append', 'n2');
    assert.deepEqual([retry.prevIndex, retry.prevTerm, retry.entries[0]?.index], [3, 1, 4]);
  });

  it('ignores a stale rejection that does not answer its latest append (§5.3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 1, 1], { term: 1 });
    elect(r, ['n2']);
    r.step(nack('n2', 'n1', 2, 4));
    drain(r);
    assert.equal(r.status().progress.n2?.next, 4);

    // A duplicate of the same rejection, delivered late, must not push nextIndex down again.
    r.step(nack('n2', 'n1', 2, 4));
    const rd = drain(r);
    assert.equal(r.status().progress.n2?.next, 4);
    assert.deepEqual(msgsOfType(rd, 'append'), []);
  });

  it('never lowers matchIndex when acknowledgements arrive out of order (§5.3)', () => {
    const r = steadyLeader();
    r.propose([bytes('a')]);
    r.propose([bytes('b')]);
    drain(r);
    r.step(ack('n2', 'n1', 2, 4));
    r.step(ack('n2', 'n1', 2, 3));
    drain(r);

    assert.equal(r.status().progress.n2?.match, 4);
    assert.equal(r.status().commit, 4);
  });

  it('retries AppendEntries to a follower whose answer never came, once it answers a heartbeat (§5.3)', () => {
    const r = newRaft('n1', THREE);
    elect(r, ['n2']); // The no-op append to n3 is lost.
    r.tick();
    const beat = onlyMsgTo(drain(r), 'heartbeat', 'n3');
    r.step({ type: 'heartbeat-resp', from: 'n3', to: 'n1', term: 2, readSeq: beat.readSeq });
    const retry = onlyMsgTo(drain(r), 'append', 'n3');

    assert.deepEqual([retry.prevIndex, retry.prevTerm, indexes(retry.entries)], [1, 1, [2]]);
  });

  it('tells a follower in heartbeats to commit no further than what it is known to hold (§5.3)', () => {
    const r = steadyLeader();
    r.tick();
    const rd = drain(r);
    assert.equal(onlyMsgTo(rd, 'heartbeat', 'n2').commit, 2, 'n2 acknowledged index 2');
    assert.equal(onlyMsgTo(rd, 'heartbeat', 'n3').commit, 0, 'n3 never answered');
  });

  it('commits an entry once a majority holds it, and tells the followers in later appends and heartbeats (§5.3)', () => {
    const r = steadyLeader(FIVE);
    r.propose([bytes('a')]);
    drain(r);
    r.step(ack('n2', 'n1', 2, 3));
    r.step(ack('n3', 'n1', 2, 3));
    const rd = drain(r);

    assert.equal(r.status().commit, 3);
    assert.equal(rd.hardState?.commit, 3);
    // No message of its own: "it includes that index in future AppendEntries RPCs".
    assert.deepEqual(msgsOfType(rd, 'append'), []);
    r.propose([bytes('b')]);
    const appends = msgsOfType(drain(r), 'append');
    // n4 and n5 never answered their probes, so they get heartbeats only.
    assert.deepEqual(appends.map((m) => [m.to, m.commit]).sort(), [
      ['n2', 3],
      ['n3', 3],
    ]);
    r.tick();
    const beats = msgsOfType(drain(r), 'heartbeat').filter((m) => m.commit === 3);
    assert.deepEqual(beats.map((m) => m.to).sort(), ['n2', 'n3']);
  });

  it('does not commit an entry of an earlier term by counting replicas, only through one of its own term (§5.4.2)', () => {
    // Index 2 was written in term 2 and never committed; n1 now leads term 3 (no-op at 3).
    const r = nodeWithLog('n1', THREE, [1, 2], { term: 2, commit: 1 });
    elect(r, ['n2']);
    assert.equal(r.status().term, 3);

    r.step(ack('n2', 'n1', 3, 2));
    let rd = drain(r);
    assert.equal(r.status().commit, 1, 'index 2 is on a majority but is of term 2');
    assert.deepEqual(rd.committedEntries, []);

    r.step(ack('n2', 'n1', 3, 3));
    rd = drain(r);
    assert.equal(r.status().commit, 3);
    assert.deepEqual(indexes(rd.committedEntries), [2, 3], 'index 2 commits with the no-op');
  });

  it('never rewrites its own log whatever its followers answer (Leader Append-Only, Figure 3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 1], { term: 1 });
    elect(r, ['n2']);
    const before = termsIn(r);
    r.step(nack('n2', 'n1', 2, 3, { index: 1, term: 1 }));
    r.step(nack('n3', 'n1', 2, 3, { index: 3, term: 9 }));
    const rd = drain(r);

    assert.deepEqual(termsIn(r), before);
    assert.deepEqual(rd.entries, []);
  });
});

describe('Raft paper: AppendEntries receiver', () => {
  const cases: { prev: [number, number]; ok: boolean; why: string }[] = [
    { prev: [3, 2], ok: true, why: 'it holds prevLogIndex with prevLogTerm' },
    { prev: [0, 0], ok: true, why: 'prevLogIndex is 0, the start of every log' },
    { prev: [3, 3], ok: false, why: 'its entry at prevLogIndex has another term' },
    { prev: [5, 2], ok: false, why: 'its log is shorter than prevLogIndex' },
  ];
  for (const { prev, ok, why } of cases) {
    it(`${ok ? 'accepts' : 'rejects'} an append when ${why} (§5.3)`, () => {
      // Nothing is committed, so the check cannot be skipped as covered by the commit index.
      const r = nodeWithLog('n1', THREE, [1, 1, 2], { term: 2, commit: 0 });
      r.step(appendReq('n2', 'n1', 2, { index: prev[0], term: prev[1] }, [], 0));
      const rd = drain(r);

      const reply = onlyMsgTo(rd, 'append-resp', 'n2');
      assert.equal(reply.reject, !ok);
      if (!ok) assert.equal(reply.index, prev[0], 'a rejection names the prevLogIndex refused');
      assert.deepEqual(termsIn(r), [1, 1, 2], 'the log is unchanged');
    });
  }

  it('deletes a conflicting entry and everything after it, then appends the new ones (§5.3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 2, 2, 2], { term: 2 });
    r.step(appendReq('n2', 'n1', 3, { index: 2, term: 1 }, [entry(3, 3)], 1));
    const rd = drain(r);

    assert.deepEqual(termsIn(r), [1, 1, 3]);
    assert.deepEqual(rd.entries.map((e) => [e.index, e.term]), [[3, 3]], 'stored from 3 on');
    assert.equal(onlyMsgTo(rd, 'append-resp', 'n2').index, 3);
  });

  it('appends only the entries it does not already hold (§5.3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 2], { term: 2 });
    r.step(appendReq('n2', 'n1', 2, { index: 1, term: 1 }, entries(2, [1, 2, 2]), 1));
    const rd = drain(r);

    assert.deepEqual(termsIn(r), [1, 1, 2, 2]);
    assert.deepEqual(indexes(rd.entries), [4]);
  });

  it('keeps its matching entries when an older, shorter append arrives late (§5.3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 2, 2, 2], { term: 2 });
    r.step(appendReq('n2', 'n1', 2, { index: 1, term: 1 }, entries(2, [1]), 1));
    r.step(appendReq('n2', 'n1', 2, { index: 2, term: 1 }, entries(3, [2]), 1));
    const rd = drain(r);

    assert.deepEqual(termsIn(r), [1, 1, 2, 2, 2], 'matching entries after the append survive');
    assert.deepEqual(rd.entries, []);
    assert.deepEqual(
      msgsOfType(rd, 'append-resp').map((m) => [m.reject, m.index]),
      [
        [false, 2],
        [false, 3],
      ],
    );
  });

  it('sets its commit index to the smaller of leaderCommit and its last new entry (§5.3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 1, 1], { term: 1 });
    // Index 4 may be a stale entry the leader does not have: only what the append covered counts.
    r.step(appendReq('n2', 'n1', 1, { index: 1, term: 1 }, entries(2, [1]), 4));
    assert.equal(r.status().commit, 2);
    r.step(appendReq('n2', 'n1', 1, { index: 2, term: 1 }, entries(3, [1]), 2));
    assert.equal(r.status().commit, 2, 'leaderCommit caps it');
    r.step(appendReq('n2', 'n1', 1, { index: 4, term: 1 }, [], 4));
    assert.equal(r.status().commit, 4);
  });

  it('hands committed entries over for applying in log order, each exactly once (§5.3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 1, 1, 1], { term: 1 });
    const applied: number[] = [];
    r.step(appendReq('n2', 'n1', 1, { index: 5, term: 1 }, [], 3));
    applied.push(...indexes(drain(r).committedEntries));
    r.step(heartbeat('n2', 'n1', 1, 3));
    applied.push(...indexes(drain(r).committedEntries));
    r.step(appendReq('n2', 'n1', 1, { index: 5, term: 1 }, [], 5));
    applied.push(...indexes(drain(r).committedEntries));

    assert.deepEqual(applied, [2, 3, 4, 5]);
    assert.equal(r.status().applied, 5);
  });

  it('keeps log order when the committed entries are handed over over several Readies (§5.3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 1, 1, 1], { term: 1 }, { maxApplyBytes: 1 });
    r.step(appendReq('n2', 'n1', 1, { index: 5, term: 1 }, [], 5));
    const batches: number[][] = [];
    for (let i = 0; i < 5; i++) batches.push(indexes(drain(r).committedEntries));

    assert.deepEqual(batches, [[2], [3], [4], [5], []]);
  });

  it('never lets an append move its commit index backwards (§5.3)', () => {
    const r = nodeWithLog('n1', THREE, [1, 1, 1, 1], { term: 1, commit: 3 });
    r.step(appendReq('n2', 'n1', 1, { index: 4, term: 1 }, [], 1));
    assert.equal(r.status().commit, 3);
  });
});

describe('Raft paper: read index (§8, dissertation §6.4)', () => {
  it('answers a read only after a quorum answered a heartbeat sent after the read arrived', () => {
    const r = steadyLeader(FIVE);
    r.tick();
    const early = drain(r);
    const earlySeq = onlyMsgTo(early, 'heartbeat', 'n2').readSeq;

    r.readIndex('read-1');
    const rd = drain(r);
    const beats = msgsOfType(rd, 'heartbeat');
    assert.deepEqual(beats.map((m) => m.to), ['n2', 'n3', 'n4', 'n5']);
    const seq = beats[0]!.readSeq;
    assert.ok(seq > earlySeq);

    // Answers to the heartbeat that left before the read prove nothing about it.
    for (const from of ['n2', 'n3', 'n4']) {
      r.step({ type: 'heartbeat-resp', from, to: 'n1', term: 2, readSeq: earlySeq });
    }
    assert.deepEqual(drain(r).readStates, []);

    r.step({ type: 'heartbeat-resp', from: 'n2', to: 'n1', term: 2, readSeq: seq });
    assert.deepEqual(drain(r).readStates, [], 'the leader and n2 are two of five');
    r.step({ type: 'heartbeat-resp', from: 'n3', to: 'n1', term: 2, readSeq: seq });
    assert.deepEqual(drain(r).readStates, [{ id: 'read-1', index: 2 }]);
  });

  it('holds a read until it has committed an entry of its own term', () => {
    const r = nodeWithLog('n1', THREE, [1, 1], { term: 1, commit: 1 });
    elect(r, ['n2']);
    r.readIndex('read-1');
    let rd = drain(r);
    assert.deepEqual(msgsOfType(rd, 'heartbeat'), [], 'no round before the no-op commits');
    assert.deepEqual(rd.readStates, []);

    r.step(ack('n2', 'n1', 2, 3));
    rd = drain(r);
    const beat = onlyMsgTo(rd, 'heartbeat', 'n3');
    assert.ok(beat.readSeq > 0);
    r.step({ type: 'heartbeat-resp', from: 'n3', to: 'n1', term: 2, readSeq: beat.readSeq });
    assert.deepEqual(drain(r).readStates, [{ id: 'read-1', index: 3 }]);
  });

  it("passes a follower's read to the leader and returns the leader's answer as a readState", () => {
    const leader = steadyLeader();
    const follower = newRaft('n2', THREE);
    follower.step(appendReq('n1', 'n2', 2, { index: 1, term: 1 }, entries(2, [2]), 2));
    drain(follower);

    follower.readIndex('read-f');
    const ask = onlyMsgTo(drain(follower), 'read-index', 'n1');
    leader.step(ask);
    const beat = onlyMsgTo(drain(leader), 'heartbeat', 'n2');
    follower.step(beat);
    leader.step(onlyMsgTo(drain(follower), 'heartbeat-resp', 'n1'));
    const answer = onlyMsgTo(drain(leader), 'read-index-resp', 'n2');
    assert.deepEqual([answer.reject, answer.index], [false, 2]);

    follower.step(answer);
    assert.deepEqual(drain(follower).readStates, [{ id: 'read-f', index: 2 }]);
  });

  it('tells a follower that was answered a read the commit index once it holds the entries', () => {
    const r = steadyLeader(FIVE);
    r.step(ack('n4', 'n1', 2, 2));
    r.propose([bytes('a')]);
    drain(r);
    r.step(ack('n2', 'n1', 2, 3));
    r.step(ack('n3', 'n1', 2, 3));
    drain(r);
    assert.equal(r.status().commit, 3);

    r.step({ type: 'read-index', from: 'n4', to: 'n1', term: 2, id: 'read-4' });
    const beats = drain(r);
    assert.equal(onlyMsgTo(beats, 'heartbeat', 'n4').commit, 2, 'n4 has not acknowledged 3');
    const seq = onlyMsgTo(beats, 'heartbeat', 'n2').readSeq;
    r.step({ type: 'heartbeat-resp', from: 'n2', to: 'n1', term: 2, readSeq: seq });
    r.step({ type: 'heartbeat-resp', from: 'n3', to: 'n1', term: 2, readSeq: seq });
    const answer = onlyMsgTo(drain(r), 'read-index-resp', 'n4');
    assert.equal(answer.index, 3);

    // n4 must apply 3 to serve its read: its acknowledgement of 3 brings the commit index at
    // once, where another follower's acknowledgement brings nothing.
    r.step(ack('n4', 'n1', 2, 3));
    r.step(ack('n5', 'n1', 2, 1));
    const rd = drain(r);
    const told = onlyMsgTo(rd, 'append', 'n4');
    assert.deepEqual([told.commit, told.entries.length], [3, 0]);
    assert.deepEqual(
      msgsOfType(rd, 'append').filter((m) => m.to !== 'n4' && m.to !== 'n5'),
      [],
    );
  });

  it('fails a read at once on a node that knows no leader', () => {
    const r = newRaft('n1', THREE);
    r.readIndex('read-1');
    const rd = drain(r);
    assert.deepEqual(rd.droppedReads, ['read-1']);
    assert.deepEqual(rd.messages, []);
  });
});
