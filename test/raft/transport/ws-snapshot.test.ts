import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Frame, SnapshotAckFrame } from '../../../src/raft/transport/frames.js';
import type { WsTransport } from '../../../src/raft/transport/ws-transport.js';
import {
  collect,
  heartbeat,
  recordingLogger,
  settle,
  snapshotMessage,
  waitFor,
} from './helpers.js';
import { FakePeer, connectAll, startNode } from './ws-support.js';

const MiB = 1024 * 1024;

function isAck(id: number): (frame: Frame) => frame is SnapshotAckFrame {
  return (frame): frame is SnapshotAckFrame => frame.kind === 'snap-ack' && frame.id === id;
}

/** The frames of a well-formed stream of `data` in chunks of `chunk` bytes. */
function streamFrames(id: number, data: Uint8Array, chunk: number): Frame[] {
  const chunks = Math.max(1, Math.ceil(data.length / chunk));
  const message = snapshotMessage('n2', 'n1', new Uint8Array(0));
  const frames: Frame[] = [{ kind: 'snap-begin', id, message, size: data.length, chunks }];
  for (let seq = 0; seq < chunks; seq += 1) {
    const part = data.subarray(seq * chunk, (seq + 1) * chunk);
    frames.push({ kind: 'snap-chunk', id, seq, data: part, crc: crc32(part) });
  }
  frames.push({ kind: 'snap-end', id, sha256: createHash('sha256').update(data).digest() });
  return frames;
}

describe('WsTransport snapshots', () => {
  const open: WsTransport[] = [];
  const fakes: FakePeer[] = [];

  afterEach(async () => {
    for (const fake of fakes.splice(0)) fake.close();
    await Promise.all(open.splice(0).map((t) => t.stop()));
  });

  it('streams a 20 MiB snapshot intact and reports success', async () => {
    const [n1, n2] = await Promise.all([startNode('n1'), startNode('n2')]);
    open.push(n1, n2);
    const at1 = collect(n1);
    const at2 = collect(n2);
    connectAll([n1, n2]);

    const data = randomBytes(20 * MiB);
    n1.send([snapshotMessage('n1', 'n2', data), heartbeat('n1', 'n2', 1)]);

    await waitFor('snapshot status', () => at1.snapshotStatus.length === 1, 15_000);
    assert.deepEqual(at1.snapshotStatus, [{ peer: 'n2', ok: true }]);
    const received = at2.messages.find((m) => m.type === 'snapshot');
    assert.ok(received?.type === 'snapshot');
    assert.equal(received.from, 'n1');
    assert.deepEqual(received.snapshot.meta, snapshotMessage('n1', 'n2', data).snapshot.meta);
    assert.equal(received.snapshot.data.length, data.length);
    assert.ok(Buffer.from(received.snapshot.data).equals(data), 'snapshot data differs');
    assert.ok(at2.messages.some((m) => m.type === 'heartbeat'), 'heartbeat not delivered');
  });

  it('refuses a snapshot over the receiver limit and reports failure to the sender', async () => {
    const n1 = await startNode('n1');
    const n2 = await startNode('n2', { limits: { maxSnapshotBytes: MiB } });
    open.push(n1, n2);
    const at1 = collect(n1);
    const at2 = collect(n2);
    connectAll([n1, n2]);

    n1.send([snapshotMessage('n1', 'n2', new Uint8Array(2 * MiB))]);
    await waitFor('snapshot status', () => at1.snapshotStatus.length === 1);
    assert.deepEqual(at1.snapshotStatus, [{ peer: 'n2', ok: false }]);
    assert.equal(at2.messages.length, 0);
  });

  describe('receiver checks', () => {
    let n1: WsTransport;
    let fake: FakePeer;
    let log: ReturnType<typeof recordingLogger>;
    let at1: ReturnType<typeof collect>;

    // n1 is real; "n2" is a hand-driven client holding n2's certificate.
    beforeEach(async () => {
      log = recordingLogger();
      n1 = await startNode('n1', { logger: log.logger, limits: { maxFrameBytes: 2 * MiB } });
      open.push(n1);
      at1 = collect(n1);
      n1.setPeers(new Map([['n2', '127.0.0.1:1']]));
      fake = await FakePeer.dial('n2', n1.address());
      fakes.push(fake);
    });

    it('rejects a snapshot whose chunk fails its checksum and delivers nothing', async () => {
      const data = randomBytes(300 * 1024);
      const frames = streamFrames(1, data, 64 * 1024);
      const chunk = frames[2];
      assert.ok(chunk?.kind === 'snap-chunk');
      const corrupted = Buffer.from(chunk.data);
      corrupted[100] = (corrupted[100] ?? 0) ^ 0xff;
      frames[2] = { ...chunk, data: corrupted };
      for (const frame of frames) fake.send(frame);

      const ack = await fake.expect('refusal', isAck(1));
      assert.equal(ack.ok, false);
      assert.equal(ack.reason, 'chunk checksum mismatch');
      assert.ok(
        log.entries.some((e) => e.level === 'warn' && e.message === 'refused snapshot from peer'),
      );

      // A good stream afterwards on the same connection goes through.
      for (const frame of streamFrames(2, data, 64 * 1024)) fake.send(frame);
      const ok = await fake.expect('acceptance', isAck(2));
      assert.equal(ok.ok, true);
      await waitFor('delivery', () => at1.messages.length === 1);
      const delivered = at1.messages[0];
      assert.ok(delivered?.type === 'snapshot');
      assert.ok(Buffer.from(delivered.snapshot.data).equals(data));
    });

    it('rejects a snapshot whose chunks are intact but whose digest does not match', async () => {
      const data = randomBytes(100 * 1024);
      const frames = streamFrames(1, data, 32 * 1024);
      frames[frames.length - 1] = { kind: 'snap-end', id: 1, sha256: Buffer.alloc(32) };
      for (const frame of frames) fake.send(frame);

      const ack = await fake.expect('refusal', isAck(1));
      assert.deepEqual([ack.ok, ack.reason], [false, 'snapshot digest mismatch']);
      await settle();
      assert.equal(at1.messages.length, 0);
    });

    it('rejects chunks out of order and a stream that ends early', async () => {
      const data = randomBytes(100 * 1024);
      const swapped = streamFrames(1, data, 32 * 1024);
      [swapped[1], swapped[2]] = [swapped[2] as Frame, swapped[1] as Frame];
      for (const frame of swapped) fake.send(frame);
      assert.equal((await fake.expect('out of order', isAck(1))).reason, 'chunk out of order');

      const short = streamFrames(2, data, 32 * 1024).filter(
        (f) => !(f.kind === 'snap-chunk' && f.seq === 3),
      );
      for (const frame of short) fake.send(frame);
      assert.equal((await fake.expect('early end', isAck(2))).reason, 'snapshot ended early');
      assert.equal(at1.messages.length, 0);
    });

    it('drops undecodable frames and messages not from the authenticated peer', async () => {
      fake.sendRaw(Buffer.from([0xc1, 0xff, 0x00]));
      fake.sendRaw('a text frame');
      fake.send({ kind: 'msg', message: heartbeat('n3', 'n1', 1) });
      fake.send({ kind: 'msg', message: heartbeat('n2', 'n7', 2) });
      fake.send({ kind: 'msg', message: { ...heartbeat('n2', 'n1', 3), term: -1 } });
      fake.send({ kind: 'msg', message: heartbeat('n2', 'n1', 4) });

      await waitFor('the valid message', () => at1.messages.length === 1);
      const [only] = at1.messages;
      assert.ok(only?.type === 'heartbeat');
      assert.equal(only.readSeq, 4);
      assert.ok(fake.open, 'connection survived bad frames');
      const debug = log.entries.filter((e) => e.level === 'debug').map((e) => e.message);
      assert.equal(debug.filter((m) => m === 'dropped undecodable frame').length, 3);
      assert.equal(
        debug.filter((m) => m === 'dropped message with mismatched sender or recipient').length,
        2,
      );
    });
  });
});
