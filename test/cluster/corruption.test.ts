/**
 * A damaged Raft log on a real cluster of `coffer server` processes (test/cluster/support.ts):
 * the damaged node refuses to start, names its data directory and the way out, and the other two
 * go on as a cluster of their own.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { CORRUPTION_REMEDY } from '../../src/storage/errors.js';
import { mapLimit, TestCluster, waitFor, type InitResult, type TestNode } from './support.js';

/** How long a node with a damaged log may take to give up. */
const EXIT_MS = 30_000;

describe('Raft log corruption on a node', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let init: InitResult;
  let token: string;

  before(async () => {
    ({ cluster, init } = await TestCluster.started(3));
    token = init.root_token;
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.logTails());
  });

  after(async () => {
    await cluster?.destroy();
  });

  it('stops a node whose log has a flipped byte, and the other two go on', async () => {
    const leader = await cluster.agreedLeader(cluster.nodes);
    const [damaged, survivor] = cluster.nodes.filter((n) => n !== leader) as [TestNode, TestNode];
    const written = new Map<string, string>();
    const write = async (prefix: string, count: number, via: TestNode) => {
      const keys = Array.from({ length: count }, (_, i) => `${prefix}/${i}`);
      await mapLimit(keys, 4, async (key) => {
        const value = randomBytes(6).toString('hex');
        const ok = await cluster.writeSecret(via, token, key, value);
        assert.equal(ok, true, `${key} via ${via.id}`);
        written.set(key, value);
      });
    };

    await write('before', 30, leader);
    await cluster.waitApplied(cluster.nodes);
    assert.equal(await cluster.kill(damaged, 'SIGTERM'), 0);
    const { file, offset } = flipByteInNewestLog(path.join(damaged.dataDir, 'raft', 'log'));

    const logStart = cluster.logRecords(damaged).length;
    cluster.start(damaged);
    const code = await cluster.waitExit(damaged, EXIT_MS);
    assert.notEqual(code, 0, `${damaged.id} exited with ${code} after ${file} byte ${offset}`);
    const failure = cluster
      .logRecords(damaged)
      .slice(logStart)
      .find((r) => r.msg === 'server failed to start');
    assert.ok(failure !== undefined, `${damaged.id} did not log why it stopped`);
    const said = String((failure.err as { message?: unknown } | undefined)?.message);
    assert.ok(said.includes(path.join(damaged.dataDir, 'raft')), `no data directory in: ${said}`);
    assert.ok(said.endsWith(CORRUPTION_REMEDY), `no way out in: ${said}`);
    const advice = cluster
      .logRecords(damaged)
      .slice(logStart)
      .find((r) => typeof r.msg === 'string' && r.msg.includes('wipe its whole data directory'));
    assert.equal(advice?.dataDir, damaged.dataDir, 'the whole data directory is not named');

    // LevelDB repaired the file while opening; the CORRUPT mark keeps the node refusing.
    const again = cluster.logRecords(damaged).length;
    cluster.start(damaged);
    assert.notEqual(await cluster.waitExit(damaged, EXIT_MS), 0, 'the second start succeeded');
    const refused = cluster.logRecords(damaged).slice(again);
    assert.ok(refused.some((r) => r.msg === 'server failed to start'));
    assert.equal(refused.some((r) => r.msg === 'server started'), false);

    // The two left elect a new leader between them and serve reads and writes.
    await write('without-damaged', 10, survivor);
    const res = await cluster.api(leader, 'PUT', '/v1/sys/step-down', { token });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    const next = await waitFor('a new leader', async () => {
      const seen = await cluster.leaderSeenBy(leader);
      return seen !== null && seen !== leader ? seen : null;
    });
    assert.equal(next, survivor);
    await write('after-election', 10, leader);
    for (const node of [leader, survivor]) {
      const keys = [...written.keys()];
      const values = await mapLimit(keys, 8, (key) => cluster.readSecret(node, token, key));
      keys.forEach((key, i) => assert.equal(values[i], written.get(key), `${key} on ${node.id}`));
    }
  });
});

/** LevelDB's write-ahead log: 32 KiB blocks of records, each behind a 7-byte header. */
const LEVEL_BLOCK = 32_768;
const LEVEL_HEADER = 7;

/**
 * Flips one byte in the newest LevelDB `.log` file under `logDir`: the payload byte of a record
 * nearest the middle of the file, so that the record's checksum fails.
 */
function flipByteInNewestLog(logDir: string): { file: string; offset: number } {
  const logs = readdirSync(logDir)
    .filter((name) => /^\d+\.log$/.test(name))
    .sort((a, b) => parseInt(b, 10) - parseInt(a, 10));
  const file = path.join(logDir, logs[0] ?? 'no .log file');
  const bytes = readFileSync(file);
  const payloads = recordPayloads(bytes);
  assert.ok(payloads.length > 0, `${file} (${statSync(file).size} bytes) holds no record`);
  const middle = bytes.length / 2;
  const distance = ([from, to]: [number, number]) =>
    middle < from ? from - middle : middle >= to ? middle - to + 1 : 0;
  const nearest = payloads.reduce((best, p) => (distance(p) < distance(best) ? p : best));
  const offset = Math.min(Math.max(Math.floor(middle), nearest[0]), nearest[1] - 1);
  bytes[offset] = bytes[offset]! ^ 0xff;
  writeFileSync(file, bytes);
  return { file, offset };
}

/** The `[start, end)` byte ranges of every record payload in a LevelDB log file. */
function recordPayloads(bytes: Buffer): Array<[number, number]> {
  const payloads: Array<[number, number]> = [];
  let at = 0;
  while (at + LEVEL_HEADER <= bytes.length) {
    const left = LEVEL_BLOCK - (at % LEVEL_BLOCK);
    if (left < LEVEL_HEADER) {
      at += left; // the block's zero-filled trailer
      continue;
    }
    const length = bytes.readUInt16LE(at + 4);
    const type = bytes[at + 6]!;
    if (type === 0 && length === 0) break; // preallocated space: no record follows
    const start = at + LEVEL_HEADER;
    if (length > 0 && start + length <= bytes.length) payloads.push([start, start + length]);
    at = start + length;
  }
  return payloads;
}
