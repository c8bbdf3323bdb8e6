/**
 * Network partitions of a real three-node cluster (reliability.md, fault matrix: `isolate` the
 * leader, `oneway` leader→follower). Each node owns a loopback address and iptables rules cut
 * links between those addresses; the test client reaches every node from 127.0.0.1 throughout.
 *
 * Needs root and iptables (`apt-get install -y iptables`); the suite fails, rather than skips,
 * without them. Every rule it adds is deleted after each test, whatever the outcome.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { Firewall } from './partition-firewall.js';
import { LoopbackCluster, type HostNode } from './partition-support.js';
import { waitFor, type InitResult } from './support.js';

/** The client's bound on one write: past it the outcome is unknown, and counted as no ack. */
const WRITE_TIMEOUT_MS = 3_000;
/** The longest election timeout at the default performance_multiplier: 2 × 10 ticks of 100 ms. */
const ELECTION_TIMEOUT_MS = 2_000;
/** Attempts each writer makes at most, so every loop ends even if a condition never holds. */
const MAX_ATTEMPTS = 2_000;
/** ...and for at most this long, so a loop never outlives its test. */
const MAX_WRITING_MS = 60_000;
/** The pause after a failed write, so a writer does not spin on a node that answers 503 at once. */
const BACKOFF_MS = 100;

/** One write and what became of it. */
interface Attempt {
  readonly key: string;
  readonly value: string;
  readonly via: string;
  /** When the request was handed to the client, in `Date.now()` milliseconds. */
  readonly sentAt: number;
  /** The HTTP status, or null when the request failed or timed out. */
  readonly status: number | null;
  readonly error: string | null;
}

const acknowledged = (attempt: Attempt): boolean =>
  attempt.status !== null && attempt.status >= 200 && attempt.status < 300;

const describeAttempt = (a: Attempt): string =>
  `${a.key} via ${a.via} sent at ${a.sentAt}: ${a.status ?? a.error}`;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes a fresh random value at `key` through `via`, recording the outcome. */
async function attemptWrite(
  cluster: LoopbackCluster,
  token: string,
  via: HostNode,
  key: string,
): Promise<Attempt> {
  const value = `${key}:${randomBytes(6).toString('hex')}`;
  const sentAt = Date.now();
  try {
    const res = await cluster.writeSecret(via, token, key, value, WRITE_TIMEOUT_MS);
    return { key, value, via: via.id, sentAt, status: res.status, error: null };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { key, value, via: via.id, sentAt, status: null, error };
  }
}

/** One write loop per entry of `via`, each on its own keys, until {@link Writers.stop}. */
class Writers {
  readonly attempts: Attempt[] = [];
  private stopping = false;
  private readonly loops: Promise<void>[];

  constructor(cluster: LoopbackCluster, token: string, via: readonly HostNode[], prefix: string) {
    const deadline = Date.now() + MAX_WRITING_MS;
    this.loops = via.map(async (node, w) => {
      for (let i = 0; i < MAX_ATTEMPTS && !this.stopping && Date.now() < deadline; i++) {
        const attempt = await attemptWrite(cluster, token, node, `${prefix}/w${w}-${i}`);
        this.attempts.push(attempt);
        if (!acknowledged(attempt)) await pause(BACKOFF_MS);
      }
    });
  }

  get acked(): Attempt[] {
    return this.attempts.filter(acknowledged);
  }

  /** Lets each loop finish the attempt it is in (bounded by the client timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }
}

describe('Network partitions of a three-node cluster', function () {
  this.timeout(90_000);
  let cluster: LoopbackCluster | undefined;
  let firewall: Firewall | undefined;
  let token: string;
  const running: Writers[] = [];

  before(async function () {
    this.timeout(60_000);
    Firewall.assertAvailable();
    Firewall.removeStale();
    firewall = new Firewall();
    cluster = await LoopbackCluster.create();
    const init: InitResult = await cluster.startAll();
    token = init.root_token;
    await cluster.agreedLeader(cluster.nodes);
  });

  afterEach(async function () {
    await Promise.all(running.splice(0).map((writers) => writers.stop()));
    try {
      firewall?.heal();
    } finally {
      if (this.currentTest?.state === 'failed' && cluster !== undefined) {
        console.log(cluster.logTails());
      }
    }
  });

  after(async () => {
    try {
      firewall?.heal();
      assert.deepEqual(firewall?.ownRules() ?? [], [], 'iptables rules left behind');
    } finally {
      await cluster?.destroy();
    }
  });

  function startWriters(via: readonly HostNode[], prefix: string): Writers {
    const writers = new Writers(cluster!, token, via, prefix);
    running.push(writers);
    return writers;
  }

  /** Reads every key on every node and compares with `expected` (null: must not exist). */
  async function assertEverywhere(expected: ReadonlyMap<string, string | null>): Promise<void> {
    for (const node of cluster!.nodes) {
      for (const [key, value] of expected) {
        assert.equal(await cluster!.readSecret(node, token, key), value, `${key} on ${node.id}`);
      }
    }
  }

  it('steps an isolated leader down, which acknowledges nothing sent after the cut', async () => {
    const c = cluster!;
    const leader = await c.agreedLeader(c.nodes);
    const followers = c.nodes.filter((n) => n !== leader) as [HostNode, HostNode];
    const expected = new Map<string, string | null>();

    // Two writers keep sending to the leader across the cut.
    const toOldLeader = startWriters([leader, leader], 'isolate/old');
    await waitFor('writes acknowledged before the cut', async () => toOldLeader.acked.length >= 4);
    for (const follower of followers) firewall!.cut(leader.host, follower.host);
    const cutAt = Date.now();
    // Writes sent at once, while the isolated node still believes it leads: check-quorum gives
    // up only after a full election timeout without hearing from a quorum.
    const probes = [0, 1, 2].map((i) => attemptWrite(c, token, leader, `isolate/probe-${i}`));

    // (a) The old leader steps down and then knows no leader.
    let lastSeenLeading = 0;
    await waitFor(
      'the isolated leader to step down',
      async () => {
        const view = await c.leaderView(leader);
        if (view.isSelf) lastSeenLeading = Date.now();
        return !view.isSelf && view.leader === null;
      },
      5 * ELECTION_TIMEOUT_MS,
    );
    const stepDownMs = Date.now() - cutAt;
    assert.ok(stepDownMs <= 3 * ELECTION_TIMEOUT_MS, `stepped down after ${stepDownMs} ms`);
    const health = await c.api(leader, 'GET', '/v1/sys/health', { timeoutMs: 5_000 });
    assert.equal(health.status, 429, `old leader's sys/health: ${JSON.stringify(health.body)}`);
    assert.equal(health.body?.standby, true);

    // (b) The followers elect a leader of their own and acknowledge writes through either one.
    const newLeader = await c.agreedLeader(followers, 5 * ELECTION_TIMEOUT_MS);
    const electedMs = Date.now() - cutAt;
    assert.ok(electedMs <= 4 * ELECTION_TIMEOUT_MS, `new leader after ${electedMs} ms`);
    for (let i = 0; i < 10; i++) {
      const attempt = await attemptWrite(c, token, followers[i % 2]!, `isolate/majority-${i}`);
      assert.ok(acknowledged(attempt), describeAttempt(attempt));
      expected.set(attempt.key, attempt.value);
    }

    // (c) Nothing sent to the old leader after the cut was acknowledged. What it acknowledged
    // before the cut must survive; what it left unanswered before the cut may go either way.
    await toOldLeader.stop();
    const attempts = [...toOldLeader.attempts, ...(await Promise.all(probes))];
    const afterCut = attempts.filter((a) => a.sentAt >= cutAt);
    assert.deepEqual(afterCut.filter(acknowledged).map(describeAttempt), []);
    assert.ok(afterCut.length >= 5, `only ${afterCut.length} writes sent after the cut`);
    assert.ok(
      afterCut.some((a) => a.sentAt <= lastSeenLeading),
      'no write was sent while the isolated node still reported itself leader',
    );
    for (const attempt of attempts) {
      if (attempt.sentAt < cutAt && acknowledged(attempt)) expected.set(attempt.key, attempt.value);
    }

    // (d) Healed, the old leader follows the new one, which stays leader (pre-vote kept the
    // isolated node's term down). Every acknowledged write is on all nodes; no post-cut write is.
    firewall!.heal();
    await waitFor(
      'the old leader to follow the new one',
      async () => {
        const view = await c.leaderView(leader);
        return !view.isSelf && view.leader === newLeader;
      },
      // Links redial with backoff, up to 5 s apart after seconds of failures.
      15_000,
    );
    assert.equal(await c.agreedLeader(c.nodes), newLeader);
    await c.waitAllApplied();
    for (const attempt of afterCut) expected.set(attempt.key, null);
    await assertEverywhere(expected);
  });

  it('acknowledges writes and loses none while the leader cannot reach a follower', async () => {
    const c = cluster!;
    const leader = await c.agreedLeader(c.nodes);
    const [cutOff, other] = c.nodes.filter((n) => n !== leader) as [HostNode, HostNode];

    firewall!.cutOneWay(leader.host, cutOff.host);
    // Writes through the cut-off follower are forwarded over a link that half works: their
    // outcome may be unknown, but any it acknowledges must survive like the others.
    const writers = startWriters([leader, other, cutOff], 'oneway');

    // The cut-off follower stops hearing the leader and starts pre-vote rounds it cannot win.
    await waitFor(
      'the cut-off follower to lose its leader',
      async () => (await c.leaderView(cutOff)).leader === null,
      5 * ELECTION_TIMEOUT_MS,
    );
    const ackedBefore = writers.acked.length;
    await waitFor('writes acknowledged while the follower is cut off', async () => {
      return writers.acked.length >= ackedBefore + 10;
    });
    assert.equal(await c.agreedLeader([leader, other]), leader, 'the leader was deposed');

    await writers.stop();
    firewall!.heal();
    assert.equal(await c.agreedLeader(c.nodes), leader);
    await c.waitAllApplied();
    const expected = new Map(writers.acked.map((a) => [a.key, a.value]));
    await assertEverywhere(expected);
  });
});
