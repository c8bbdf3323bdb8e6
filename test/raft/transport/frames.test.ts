import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import {
  FrameDecodeError,
  decodeFrame,
  encodeFrame,
  wireCopy,
} from '../../../src/raft/transport/frames.js';
import type { Frame } from '../../../src/raft/transport/frames.js';
import { isMessage } from '../../../src/raft/transport/message-shape.js';
import type { Message } from '../../../src/raft/core/types.js';
import { append, heartbeat, snapshotMessage } from './helpers.js';

const base = { from: 'n1', to: 'n2', term: 4 };

/** One well-formed message of every type. */
const MESSAGES: Message[] = [
  { ...base, type: 'vote', lastLogIndex: 9, lastLogTerm: 3, transfer: false },
  { ...base, type: 'pre-vote', lastLogIndex: 9, lastLogTerm: 3, transfer: true },
  { ...base, type: 'vote-resp', reject: true },
  { ...base, type: 'pre-vote-resp', reject: false },
  append('n1', 'n2', new Uint8Array([1, 2, 3])),
  { ...base, type: 'append-resp', reject: true, index: 5, hint: { index: 3, term: 2 } },
  { ...base, type: 'append-resp', reject: false, index: 7, hint: null },
  heartbeat('n1', 'n2', 8),
  { ...base, type: 'heartbeat-resp', readSeq: 8 },
  snapshotMessage('n1', 'n2', new Uint8Array([9])),
  { ...base, type: 'timeout-now' },
  { ...base, type: 'read-index', id: 'r1' },
  { ...base, type: 'read-index-resp', id: 'r1', index: 12, reject: false },
];

describe('frames', () => {
  describe('isMessage', () => {
    for (const message of MESSAGES) {
      it(`accepts a well-formed ${message.type} message`, () => {
        assert.equal(isMessage(message), true);
      });
    }

    it('rejects a message missing any field of its type', () => {
      for (const message of MESSAGES) {
        for (const field of Object.keys(message)) {
          const broken: Record<string, unknown> = { ...message };
          delete broken[field];
          assert.equal(isMessage(broken), false, `${message.type} without ${field}`);
        }
      }
    });

    it('rejects wrong field types, negative or fractional counts and unknown types', () => {
      const hb = heartbeat('n1', 'n2');
      assert.equal(isMessage({ ...hb, term: -1 }), false);
      assert.equal(isMessage({ ...hb, commit: 1.5 }), false);
      assert.equal(isMessage({ ...hb, readSeq: '1' }), false);
      assert.equal(isMessage({ ...hb, from: 7 }), false);
      assert.equal(isMessage({ ...hb, type: 'gossip' }), false);
      assert.equal(isMessage([hb]), false);
      assert.equal(isMessage(null), false);
      const app = append('n1', 'n2', new Uint8Array(1));
      const textData = { kind: 'normal', term: 1, index: 1, data: 'x' };
      assert.equal(isMessage({ ...app, entries: [textData] }), false);
      const badChange = { kind: 'config', term: 1, index: 1, change: { type: 'evict' } };
      assert.equal(isMessage({ ...app, entries: [badChange] }), false);
    });
  });

  describe('encodeFrame and decodeFrame', () => {
    it('round-trips every frame kind with byte fields as Uint8Array', () => {
      const frames: Frame[] = [
        { kind: 'msg', message: append('n1', 'n2', new Uint8Array([5, 6])) },
        {
          kind: 'msgs',
          messages: [append('n1', 'n2', new Uint8Array([7])), heartbeat('n1', 'n2', 4)],
        },
        {
          kind: 'snap-begin',
          id: 1,
          message: snapshotMessage('n1', 'n2', new Uint8Array(0)),
          size: 10,
          chunks: 1,
        },
        { kind: 'snap-chunk', id: 1, seq: 0, data: new Uint8Array(10), crc: 42 },
        { kind: 'snap-end', id: 1, sha256: new Uint8Array(32) },
        { kind: 'snap-ack', id: 1, ok: false, reason: 'no' },
        { kind: 'req', id: 3, payload: new Uint8Array([1]) },
        { kind: 'resp', id: 3, ok: false, payload: new Uint8Array(0), code: 'busy', error: 'x' },
      ];
      for (const frame of frames) {
        const decoded = decodeFrame(encodeFrame(frame));
        assert.deepEqual(normalise(decoded), normalise(frame), frame.kind);
      }
    });

    it('throws FrameDecodeError for bytes that are not a frame', () => {
      const bad: Array<[string, Uint8Array]> = [
        ['not msgpack', new Uint8Array([0xc1])],
        ['a number', pack(7)],
        ['unknown kind', pack({ kind: 'hello' })],
        [
          'a snapshot inside a msg frame',
          pack({ kind: 'msg', message: snapshotMessage('a', 'b', new Uint8Array(1)) }),
        ],
        ['a malformed message', pack({ kind: 'msg', message: { type: 'heartbeat' } })],
        ['an empty msgs frame', pack({ kind: 'msgs', messages: [] })],
        [
          'a snapshot inside a msgs frame',
          pack({ kind: 'msgs', messages: [snapshotMessage('a', 'b', new Uint8Array(1))] }),
        ],
        [
          'a malformed message inside a msgs frame',
          pack({ kind: 'msgs', messages: [heartbeat('a', 'b'), { type: 'heartbeat' }] }),
        ],
        ['a chunk without data', pack({ kind: 'snap-chunk', id: 1, seq: 0, crc: 1 })],
        [
          'a response without a code',
          pack({ kind: 'resp', id: 1, ok: true, payload: new Uint8Array(0) }),
        ],
      ];
      for (const [what, bytes] of bad) {
        assert.throws(() => decodeFrame(bytes), FrameDecodeError, what);
      }
    });

    it('copies a message through the codec, leaving the original untouched', () => {
      const original = append('n1', 'n2', new Uint8Array([1, 2]));
      const copy = wireCopy(original);
      assert.ok(copy?.type === 'append');
      const entry = copy.entries[0];
      assert.ok(entry?.kind === 'normal');
      entry.data[0] = 99;
      assert.equal(original.entries[0]?.kind === 'normal' && original.entries[0].data[0], 1);
    });
  });
});

/** Decoded byte fields are Buffers; compare them as plain arrays. */
function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  return value;
}
