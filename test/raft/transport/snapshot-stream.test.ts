import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SnapshotChunkFrame, SnapshotEndFrame } from '../../../src/raft/transport/frames.js';
import {
  SnapshotAssembler,
  SnapshotStreamError,
  SnapshotWriter,
} from '../../../src/raft/transport/snapshot-stream.js';
import { snapshotMessage } from './helpers.js';

/** Every frame a writer produces for `data`, split by kind. */
function write(data: Uint8Array, chunkBytes: number) {
  const writer = new SnapshotWriter(7, snapshotMessage('n1', 'n2', data), chunkBytes);
  const begin = writer.next();
  assert.ok(begin?.kind === 'snap-begin');
  const chunks: SnapshotChunkFrame[] = [];
  let end: SnapshotEndFrame | null = null;
  for (let frame = writer.next(); frame !== null; frame = writer.next()) {
    if (frame.kind === 'snap-chunk') chunks.push(frame);
    else if (frame.kind === 'snap-end') end = frame;
  }
  assert.ok(end !== null);
  assert.equal(writer.finished, true);
  return { begin, chunks, end };
}

function refusal(reason: string): (err: unknown) => boolean {
  return (err) => err instanceof SnapshotStreamError && err.reason === reason;
}

describe('SnapshotWriter and SnapshotAssembler', () => {
  for (const size of [0, 1, 4096, 4097, 3 * 4096]) {
    it(`reassembles ${size} bytes sent in 4 KiB chunks`, () => {
      const data = randomBytes(size);
      const { begin, chunks, end } = write(data, 4096);
      assert.equal(begin.size, size);
      assert.equal(begin.chunks, Math.max(1, Math.ceil(size / 4096)));
      assert.equal(begin.message.snapshot.data.length, 0);
      assert.equal(chunks.length, begin.chunks);

      const assembler = new SnapshotAssembler(begin, 1 << 20);
      for (const chunk of chunks) assembler.addChunk(chunk);
      const message = assembler.finish(end);
      assert.ok(Buffer.from(message.snapshot.data).equals(data));
      assert.deepEqual(message.snapshot.meta, begin.message.snapshot.meta);
    });
  }

  it('refuses a snapshot announced larger than the limit before allocating it', () => {
    const { begin } = write(new Uint8Array(5000), 4096);
    assert.throws(
      () => new SnapshotAssembler(begin, 4999),
      refusal('snapshot exceeds the size limit'),
    );
  });

  it('refuses an implausible chunk count', () => {
    const { begin } = write(new Uint8Array(10), 4096);
    assert.throws(
      () => new SnapshotAssembler({ ...begin, chunks: 11 }, 1 << 20),
      refusal('implausible chunk count'),
    );
  });

  it('refuses a corrupted chunk', () => {
    const { begin, chunks } = write(randomBytes(8192), 4096);
    const assembler = new SnapshotAssembler(begin, 1 << 20);
    const first = chunks[0];
    assert.ok(first !== undefined);
    const data = Buffer.from(first.data);
    data[0] = (data[0] ?? 0) ^ 1;
    assert.throws(() => assembler.addChunk({ ...first, data }), refusal('chunk checksum mismatch'));
  });

  it('refuses a chunk that overruns the announced size', () => {
    const { begin, chunks } = write(randomBytes(4096), 4096);
    const assembler = new SnapshotAssembler({ ...begin, size: 100 }, 1 << 20);
    const first = chunks[0];
    assert.ok(first !== undefined);
    assert.throws(() => assembler.addChunk(first), refusal('chunk overruns the announced size'));
  });

  it('refuses extra chunks and a wrong digest', () => {
    const { begin, chunks, end } = write(randomBytes(4096), 4096);
    const first = chunks[0];
    assert.ok(first !== undefined);

    const extra = new SnapshotAssembler(begin, 1 << 20);
    extra.addChunk(first);
    assert.throws(
      () => extra.addChunk({ ...first, seq: 1 }),
      refusal('more chunks than announced'),
    );

    const wrong = new SnapshotAssembler(begin, 1 << 20);
    wrong.addChunk(first);
    const sha256 = Buffer.from(end.sha256);
    sha256[0] = (sha256[0] ?? 0) ^ 1;
    assert.throws(() => wrong.finish({ ...end, sha256 }), refusal('snapshot digest mismatch'));
  });
});
