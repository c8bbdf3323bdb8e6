/**
 * The election rules of the Raft paper (Ongaro & Ousterhout 2014), one test per rule of
 * Figure 2 ("Rules for Servers", "RequestVote RPC") and Figure 3 (Election Safety), plus the
 * pre-vote and check-quorum extensions of the dissertation (§9.6). Each test drives one node by
 * hand: the test plays every peer, builds their messages and reads the node's Ready.
 */
import assert from 'node:assert/strict';
import type { Raft } from '../../src/raft/core/index.js';
import {
  appendReq,
  drain,
  elect,
  entries,
  heartbeat,
  msgsOfType,
  nack,
  newRaft,
  nodeWithLog,
  tickN,
  tickUntil,
  voteReq,
} from './support/manual.js';

const THREE = ['n1', 'n2', 'n3'];
const FIVE = ['n1', 'n2', 'n3', 'n4', 'n5'];
const T = 10;

/** Ticks a fresh node (pre-vote off) into its first campaign. */
function candidate(voters = THREE, seed = 1): Raft {
  const r = newRaft('n1', voters, { seed });
  tickUntil(r, () => r.status().role === 'candidate', 2 * T);
  return r;
}

describe('Raft paper: rules for all servers', () => {
  const roles = {
    follower: () => newRaft('n1', THREE),
    candidate: () => candidate(),
    leader: () => {
      const r = newRaft('n1', THREE);
      elect(r, ['n2']);
      return r;
    },
  };

  for (const [role, build] of Object.entries(roles)) {
    it(`updates its term and becomes a follower when a ${role} sees a higher term (§5.1)`, () => {
      const r = build();
      assert.equal(r.status().role, role);
      r.step(heartbeat('n2', 'n1', 7, 1));
      const rd = drain(r);

      const s = r.status();
      assert.equal(s.role, 'follower');
      assert.equal(s.term, 7);
      assert.equal(s.leader, 'n2');
      assert.equal(s.vote, null);
      assert.equal(rd.hardState?.term, 7);
    });
  }

  it('adopts a higher term from a response too, with no leader known (§5.1)', () => {
    const r = newRaft('n1', THREE);
    elect(r, ['n2']);
    r.step(nack('n3', 'n1', 4, 1));

    assert.deepEqual(
      { role: r.status().role, term: r.status().term, leader: r.status().leader },
      { role: 'follower', term: 4, leader: null },
    );
  });

  it('refuses an AppendEntries from an older term and tells the sender its term (§5.1)', () => {
    const r = nodeWithLog('n1', THREE, [1, 2], { term: 3 });
    r.step(appendReq('n2', 'n1', 2, { index: 2, term: 2 }, [], 2));
    r.step(appendReq('n2', 'n1', 2, { index: 2, term: 2 }, entries(3, [2]), 3));
    const rd = drain(r);

    assert.equal(r.status().lastIndex, 2, 'the stale append must not add entries');
    assert.equal(r.status().commit, 1, 'the stale append must not move the commit index');
    assert.equal(r.status().leader, null, 'the stale sender is not a leader to follow');
    assert.deepEqual(rd.entries, []);
    const replies = msgsOfType(rd, 'append-resp');
    assert.equal(replies.length, 2);
    for (const reply of replies) assert.equal(reply.term, 3, 'the reply carries the newer term');
  });

  it('does not grant a RequestVote from an older term (§5.1)', () => {
    const r = nodeWithLog('n1', THREE, [1, 2], { term: 3 });
    r.step(voteReq('n2', 'n1', 2, 5, 2));
    const rd = drain(r);

    assert.equal(r.status().vote, null);
    assert.equal(r.status().term, 3);
    assert.deepEqual(msgsOfType(rd, 'vote-resp').filter((m) => !m.reject), []);
  });
});

describe('Raft paper: followers', () => {
  it('answers RequestVote from candidates and AppendEntries from leaders (§5.1)', () => {
    const r = newRaft('n1', THREE);
    r.step(voteReq('n2', 'n1', 2, 1, 1));
    r.step(appendReq('n2', 'n1', 2, { index: 1, term: 1 }, [], 1));
    const rd = drain(r);

    assert.deepEqual(
      rd.messages.map((m) => [m.type, m.to]),
      [
        ['vote-resp', 'n2'],
        ['append-resp', 'n2'],
      ],
    );
    assert.equal(r.status().role, 'follower');
  });

  it('starts an election once the election timeout passes without word from a leader (§5.2)', () => {
    const r = newRaft('n1', THREE);
    const { ticks, readies } = tickUntil(r, () => r.status().role !== 'follower', 2 * T);

    assert.ok(ticks >= T && ticks < 2 * T, `campaigned after ${ticks} ticks`);
    assert.equal(r.status().role, 'candidate');
    const last = readies[readies.length - 1]!;
    assert.deepEqual(msgsOfType(last, 'vote').map((m) => m.to), ['n2', 'n3']);
  });

  it('does not start an election while a leader keeps in touch within the timeout (§5.2)', () => {
    const r = newRaft('n1', THREE);
    for (let round = 0; round < 20; round++) {
      tickN(r, T - 1);
      r.step(heartbeat('n2', 'n1', 1, 1));
      drain(r);
    }

    assert.equal(r.status().role, 'follower');
    assert.equal(r.status().term, 1);
    assert.equal(r.status().leader, 'n2');
  });

  it('draws its election timeout at random from [T, 2T), so nodes time out at different moments (§5.2)', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const r = newRaft('n1', THREE, { seed });
      const { ticks } = tickUntil(r, () => r.status().role === 'candidate', 2 * T);
      assert.ok(ticks >= T && ticks < 2 * T, `seed ${seed}: timeout of ${ticks} ticks`);
      seen.add(ticks);
    }
    assert.ok(seen.size >= 5, `only ${seen.size} distinct timeouts over 40 seeds`);
  });

  it('draws a fresh timeout for every election, not one per node (§5.2)', () => {
    const r = candidate(FIVE, 3);
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const term = r.status().term;
      const { ticks } = tickUntil(r, () => r.status().term > term, 2 * T);
      seen.add(ticks);
    }
    assert.ok(seen.size >= 2, `every election waited ${[...seen].join(',')} ticks`);
  });
});

describe('Raft paper: candidates', () => {
  it('increments its term, votes for itself and asks every other server for its vote (§5.2)', () => {
    const r = nodeWithLog('n1', FIVE, [1, 1, 2], { term: 2 });
    const { readies } = tickUntil(r, () => r.status().role === 'candidate', 2 * T);
    const rd = readies[readies.length - 1]!;

    assert.equal(r.status().term, 3);
    assert.equal(r.status().vote, 'n1');
    assert.deepEqual(rd.hardState, { term: 3, vote: 'n1', commit: 1 });
    const asks = msgsOfType(rd, 'vote');
    assert.deepEqual(asks.map((m) => m.to), ['n2', 'n3', 'n4', 'n5']);
    for (const m of asks) {
      assert.deepEqual([m.term, m.lastLogIndex, m.lastLogTerm], [3, 3, 2]);
    }
  });

  it('becomes leader once a majority of servers, itself included, grants its vote (§5.2)', () => {
    const r = candidate(FIVE);
    const term = r.status().term;
    r.step({ type: 'vote-resp', from: 'n2', to: 'n1', term, reject: false });
    r.step({ type: 'vote-resp', from: 'n3', to: 'n1', term, reject: true });
    assert.equal(r.status().role, 'candidate', 'two of five is not a majority');

    r.step({ type: 'vote-resp', from: 'n2', to: 'n1', term, reject: false });
    assert.equal(r.status().role, 'candidate', 'a repeated grant counts once');

    r.step({ type: 'vote-resp', from: 'n4', to: 'n1', term, reject: false });
    assert.equal(r.status().role, 'leader');
    assert.equal(r.status().leader, 'n1');
  });

  it('a single-voter cluster elects itself without asking anyone (§5.2)', () => {
    const r = newRaft('n1', ['n1']);
    tickUntil(r, () => r.status().role === 'leader', 2 * T);
    assert.equal(r.status().term, 2);
  });

  it('returns to follower when a leader of its own term sends AppendEntries (§5.2)', () => {
    const r = candidate();
    const term = r.status().term;
    r.step(appendReq('n3', 'n1', term, { index: 1, term: 1 }, [], 1));
    const rd = drain(r);

    assert.deepEqual(
      [r.status().role, r.status().term, r.status().leader, r.status().vote],
      ['follower', term, 'n3', 'n1'],
    );
    assert.equal(msgsOfType(rd, 'append-resp')[0]?.reject, false);
  });

  it('returns to follower when a leader of a newer term sends AppendEntries (§5.2)', () => {
    const r = candidate();
    const term = r.status().term;
    r.step(appendReq('n3', 'n1', term + 1, { index: 1, term: 1 }, [], 1));

    assert.deepEqual(
      [r.status().role, r.status().term, r.status().leader],
      ['follower', term + 1, 'n3'],
    );
  });

  it('stays a candidate when AppendEntries comes from an older term (§5.2)', () => {
    const r = candidate();
    const term = r.status().term;
    r.step(appendReq('n3', 'n1', term - 1, { index: 1, term: 1 }, [], 1));

    assert.deepEqual([r.status().role, r.status().term], ['candidate', term]);
  });

  it('starts a new election in a higher term when the timeout passes with no winner (§5.2)', () => {
    const r = candidate(FIVE);
    const term = r.status().term;
    // A split vote: one grant and one refusal, the rest never answer.
    r.step({ type: 'vote-resp', from: 'n2', to: 'n1', term, reject: false });
    r.step({ type: 'vote-resp', from: 'n3', to: 'n1', term, reject: true });
    drain(r);

    const { ticks, readies } = tickUntil(r, () => r.status().term === term + 1, 2 * T);
    assert.ok(ticks >= T && ticks < 2 * T, `re-campaigned after ${ticks} ticks`);
    assert.equal(r.status().role, 'candidate');
    assert.equal(r.status().vote, 'n1');
    const asks = msgsOfType(readies[readies.length - 1]!, 'vote');
    assert.deepEqual(
      asks.map((m) => [m.to, m.term]),
      [
        ['n2', term + 1],
        ['n3', term + 1],
        ['n4', term + 1],
        ['n5', term + 1],
      ],
    );
  });
});

describe('Raft paper: RequestVote receiver', () => {
  // The voter's log ends at index 3 with term 2. Each case is the candidate's last entry.
  const cases: { last: [number, number]; grant: boolean; why: string }[] = [
    { last: [3, 2], grant: true, why: 'the same last term and length' },
    { last: [4, 2], grant: true, why: 'the same last term and a longer log' },
    { last: [2, 2], grant: false, why: 'the same last term but a shorter log (length rule)' },
    { last: [2, 3], grant: true, why: 'a newer last term, even though shorter (term rule)' },
    { last: [9, 1], grant: false, why: 'an older last term, even though longer (term rule)' },
    { last: [1, 1], grant: false, why: 'an older last term and a shorter log' },
  ];
  for (const { last, grant, why } of cases) {
    it(`${grant ? 'grants' : 'refuses'} its vote to a candidate with ${why} (§5.4.1)`, () => {
      const r = nodeWithLog('n1', THREE, [1, 1, 2], { term: 2 });
      r.step(voteReq('n2', 'n1', 3, last[0], last[1]));
      const rd = drain(r);

      const [reply] = msgsOfType(rd, 'vote-resp');
      assert.ok(reply !== undefined, 'the voter must answer');
      assert.equal(reply.reject, !grant);
      assert.equal(reply.term, 3);
      assert.equal(r.status().vote, grant ? 'n2' : null);
      assert.equal(r.status().term, 3, 'the term is adopted either way');
    });
  }

  it('grants at most one vote per term, though it repeats a grant to the same candidate (§5.2)', () => {
    const r = newRaft('n1', THREE);
    r.step(voteReq('n2', 'n1', 2, 1, 1));
    r.step(voteReq('n3', 'n1', 2, 1, 1));
    r.step(voteReq('n2', 'n1', 2, 1, 1));
    const rd = drain(r);

    assert.deepEqual(
      msgsOfType(rd, 'vote-resp').map((m) => [m.to, m.reject]),
      [
        ['n2', false],
        ['n3', true],
        ['n2', false],
      ],
    );
    assert.equal(r.status().vote, 'n2');
  });

  it('votes again in a later term (§5.2)', () => {
    const r = newRaft('n1', THREE);
    r.step(voteReq('n2', 'n1', 2, 1, 1));
    r.step(voteReq('n3', 'n1', 3, 1, 1));
    const rd = drain(r);

    assert.deepEqual(msgsOfType(rd, 'vote-resp').map((m) => m.reject), [false, false]);
    assert.deepEqual([r.status().term, r.status().vote], [3, 'n3']);
  });

  it('refuses a candidate of its own term once it follows a leader of that term (§5.2)', () => {
    const r = newRaft('n1', THREE);
    r.step(appendReq('n2', 'n1', 2, { index: 1, term: 1 }, [], 1));
    r.step(voteReq('n3', 'n1', 2, 5, 2));
    const rd = drain(r);

    assert.equal(msgsOfType(rd, 'vote-resp')[0]?.reject, true);
    assert.equal(r.status().vote, null);
  });

  it('persists the vote: the grant comes in the Ready whose hard state holds it, with mustSync (Figure 2)', () => {
    const r = newRaft('n1', THREE);
    r.step(voteReq('n2', 'n1', 2, 1, 1));
    const rd = drain(r);

    assert.deepEqual(rd.hardState, { term: 2, vote: 'n2', commit: 1 });
    assert.equal(rd.mustSync, true);
    assert.equal(msgsOfType(rd, 'vote-resp')[0]?.reject, false);
  });
});

describe('Raft dissertation: pre-vote (§9.6)', () => {
  it('campaigns as a pre-candidate without raising its term or changing its vote', () => {
    const r = newRaft('n1', THREE, { preVote: true });
    const { readies } = tickUntil(r, () => r.status().role !== 'follower', 2 * T);
    const rd = readies[readies.length - 1]!;

    assert.equal(r.status().role, 'pre-candidate');
    assert.deepEqual([r.status().term, r.status().vote], [1, null]);
    assert.equal(rd.hardState, null, 'nothing durable changes');
    assert.deepEqual(
      msgsOfType(rd, 'pre-vote').map((m) => [m.to, m.term]),
      [
        ['n2', 2],
        ['n3', 2],
      ],
    );
  });

  it('turns a won pre-vote into a real election in the next term', () => {
    const r = newRaft('n1', THREE, { preVote: true });
    tickUntil(r, () => r.status().role === 'pre-candidate', 2 * T);
    r.step({ type: 'pre-vote-resp', from: 'n2', to: 'n1', term: 2, reject: false });
    const rd = drain(r);

    assert.deepEqual([r.status().role, r.status().term, r.status().vote], ['candidate', 2, 'n1']);
    assert.deepEqual(msgsOfType(rd, 'vote').map((m) => m.to), ['n2', 'n3']);
  });

  it('grants a pre-vote without changing its own term or vote', () => {
    const r = newRaft('n1', THREE, { preVote: true });
    r.step(voteReq('n2', 'n1', 2, 1, 1, 'pre-vote'));
    const rd = drain(r);

    assert.deepEqual(msgsOfType(rd, 'pre-vote-resp').map((m) => [m.reject, m.term]), [[false, 2]]);
    assert.deepEqual([r.status().term, r.status().vote], [1, null]);
    assert.equal(rd.hardState, null);
  });

  it('keeps its term through many election timeouts when cut off alone, where plain Raft inflates it', () => {
    const withPreVote = newRaft('n1', THREE, { preVote: true });
    const without = newRaft('n1', THREE, { preVote: false });
    tickN(withPreVote, 30 * T);
    tickN(without, 30 * T);

    assert.equal(withPreVote.status().term, 1);
    assert.ok(without.status().term > 10, `plain Raft reached only term ${without.status().term}`);
  });
});

describe('Raft dissertation: check-quorum (§6.2, §9.6)', () => {
  it('makes a leader step down when no quorum answered within an election timeout', () => {
    const r = newRaft('n1', THREE, { checkQuorum: true });
    elect(r, ['n2']);
    const term = r.status().term;
    tickUntil(r, () => r.status().role !== 'leader', T);

    const s = r.status();
    assert.deepEqual([s.role, s.term, s.leader], ['follower', term, null]);
  });

  it('keeps a leader in office while a quorum keeps answering', () => {
    const r = newRaft('n1', THREE, { checkQuorum: true });
    elect(r, ['n2']);
    const term = r.status().term;
    for (let i = 0; i < 10 * T; i++) {
      r.tick();
      drain(r);
      r.step({ type: 'heartbeat-resp', from: 'n2', to: 'n1', term, readSeq: 0 });
      drain(r);
    }
    assert.equal(r.status().role, 'leader');
  });

  it('makes a follower that heard from its leader recently ignore a vote request of a higher term', () => {
    const r = newRaft('n1', THREE, { checkQuorum: true });
    r.step(heartbeat('n2', 'n1', 1, 1));
    drain(r);
    tickN(r, T - 1);
    r.step(voteReq('n3', 'n1', 5, 1, 1));
    const rd = drain(r);

    assert.deepEqual([r.status().term, r.status().leader, r.status().vote], [1, 'n2', null]);
    assert.deepEqual(rd.messages, []);
  });

  it('lets the same vote request through when check-quorum is off (§5.1)', () => {
    const r = newRaft('n1', THREE, { checkQuorum: false });
    r.step(heartbeat('n2', 'n1', 1, 1));
    drain(r);
    r.step(voteReq('n3', 'n1', 5, 1, 1));

    assert.deepEqual([r.status().term, r.status().vote], [5, 'n3']);
  });
});
