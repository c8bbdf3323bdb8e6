/**
 * How raft storage lays out its records: keys that sort by log index, and values that carry a
 * CRC-32 over key and payload, so a record that was damaged, or moved under another key, fails
 * verification on read. Payloads are msgpack.
 *
 * CRC-32 (zlib's, native since Node 20.15) was measured against a table-driven CRC-32 in
 * JavaScript and SHA-256 from node:crypto on 230-byte records: 0.33 µs, 0.64 µs and 2.7 µs per
 * record, and 3.2 GB/s, 0.37 GB/s and 1.5 GB/s on 1 MiB snapshot chunks. It detects the random
 * damage a disk does; it is no defence against someone who can write the files.
 */
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import type { ConfChange, Entry, HardState } from '../raft/core/types.js';

const packr = new Packr({ useRecords: false });

/** Bumped when a payload layout changes; records of another version fail verification. */
const RECORD_FORMAT = 1;
const RECORD_HEADER = 5;

const STATE_PREFIX = 0x01;
const ENTRY_PREFIX = 0x02;

/** The key of the single state record (hard state and log bounds). Sorts before every entry. */
export const STATE_KEY: Uint8Array = Uint8Array.of(STATE_PREFIX);

/**
 * Everything the log's shape depends on, written in the same atomic batch as the entries it
 * describes. `lastIndex` lets a reader prove the log is complete; `seq` counts batches, so a clean
 * shutdown can record how many were written.
 */
export interface LogState {
  hardState: HardState;
  /** Index and term of the newest snapshot; both 0 when there is none. */
  snapshotIndex: number;
  snapshotTerm: number;
  /** The snapshot's file name under `snapshots/`, or null when there is none. */
  snapshotFile: string | null;
  /** The last index in the log; equals `snapshotIndex` when the log is empty. */
  lastIndex: number;
  seq: number;
}

/** Thrown by the decoders when a record fails its checksum or has an unexpected shape. */
export class RecordError extends Error {
  readonly code = 'storage_record_invalid';

  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

/** Key of the entry at `index`: a prefix byte and the index as 8 big-endian bytes. */
export function entryKey(index: number): Uint8Array {
  const key = new Uint8Array(9);
  const view = new DataView(key.buffer);
  key[0] = ENTRY_PREFIX;
  view.setUint32(1, Math.floor(index / 2 ** 32));
  view.setUint32(5, index >>> 0);
  return key;
}

export type ParsedKey = { kind: 'state' } | { kind: 'entry'; index: number };

/** What kind of record a key names, or null for a key raft storage never writes. */
export function parseKey(key: Uint8Array): ParsedKey | null {
  if (key.length === 1 && key[0] === STATE_PREFIX) return { kind: 'state' };
  if (key.length !== 9 || key[0] !== ENTRY_PREFIX) return null;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return { kind: 'entry', index: view.getUint32(1) * 2 ** 32 + view.getUint32(5) };
}

export function encodeEntry(entry: Entry): Uint8Array {
  const { term, index } = entry;
  const payload =
    entry.kind === 'normal'
      ? [0, term, index, entry.data]
      : [1, term, index, encodeChange(entry.change), entry.config.voters, entry.config.learners];
  return seal(entryKey(entry.index), packr.pack(payload));
}

/** Decodes and verifies the entry stored under `key`. @throws RecordError */
export function decodeEntry(key: Uint8Array, value: Uint8Array): Entry {
  const p = unpackList(open(key, value));
  const [kind, term, index] = p;
  if (!isIndex(term) || !isIndex(index)) throw new RecordError('entry has no valid term and index');
  if (kind === 0 && p.length === 4 && p[3] instanceof Uint8Array) {
    return { kind: 'normal', term, index, data: copy(p[3]) };
  }
  if (kind === 1 && p.length === 6 && isNodeList(p[4]) && isNodeList(p[5])) {
    return {
      kind: 'config',
      term,
      index,
      change: decodeChange(p[3]),
      config: { voters: p[4], learners: p[5] },
    };
  }
  throw new RecordError('entry has an unknown layout');
}

export function encodeState(state: LogState): Uint8Array {
  const { hardState: hs } = state;
  const payload = [
    hs.term,
    hs.vote,
    hs.commit,
    state.snapshotIndex,
    state.snapshotTerm,
    state.snapshotFile,
    state.lastIndex,
    state.seq,
  ];
  return seal(STATE_KEY, packr.pack(payload));
}

/** Decodes and verifies a state record stored under `key`. @throws RecordError */
export function decodeState(key: Uint8Array, value: Uint8Array): LogState {
  const p = unpackList(open(key, value));
  const [term, vote, commit, snapshotIndex, snapshotTerm, snapshotFile, lastIndex, seq] = p;
  const valid =
    p.length === 8 &&
    [term, commit, snapshotIndex, snapshotTerm, lastIndex, seq].every(isIndex) &&
    (vote === null || typeof vote === 'string') &&
    (snapshotFile === null || typeof snapshotFile === 'string') &&
    (lastIndex as number) >= (snapshotIndex as number);
  if (!valid) throw new RecordError('state record has an unknown layout');
  return {
    hardState: { term: term as number, vote: vote as string | null, commit: commit as number },
    snapshotIndex: snapshotIndex as number,
    snapshotTerm: snapshotTerm as number,
    snapshotFile: snapshotFile as string | null,
    lastIndex: lastIndex as number,
    seq: seq as number,
  };
}

/** Packs any plain value with a checksum bound to `key` (used for small marker files too). */
export function sealValue(key: Uint8Array, value: unknown): Uint8Array {
  return seal(key, packr.pack(value));
}

/** Verifies and unpacks what {@link sealValue} made. @throws RecordError */
export function openValue(key: Uint8Array, sealed: Uint8Array): unknown {
  return packr.unpack(open(key, sealed));
}

/**
 * CRC-32 of `data`, continuing from `seed`. Empty data returns `seed` without asking zlib: on
 * Node 20, `crc32` of an empty view (`subarray`) of an empty array returns 0, not the seed.
 */
export function checksum(data: Uint8Array, seed = 0): number {
  return data.length === 0 ? seed : crc32(data, seed);
}

/** Layout: CRC-32 (big-endian, over key then bytes 4..) | format byte | payload. */
function seal(key: Uint8Array, payload: Uint8Array): Uint8Array {
  const value = new Uint8Array(RECORD_HEADER + payload.length);
  value[4] = RECORD_FORMAT;
  value.set(payload, RECORD_HEADER);
  const sum = checksum(value.subarray(4), checksum(key));
  new DataView(value.buffer).setUint32(0, sum);
  return value;
}

function open(key: Uint8Array, value: Uint8Array): Uint8Array {
  if (value.length < RECORD_HEADER) throw new RecordError('record is too short');
  const stored = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0);
  if (checksum(value.subarray(4), checksum(key)) !== stored) {
    throw new RecordError('checksum mismatch');
  }
  if (value[4] !== RECORD_FORMAT) throw new RecordError(`unknown record format ${value[4]}`);
  return value.subarray(RECORD_HEADER);
}

function unpackList(payload: Uint8Array): unknown[] {
  let decoded: unknown;
  try {
    decoded = packr.unpack(payload);
  } catch (err) {
    throw new RecordError(`payload does not decode: ${(err as Error).message}`);
  }
  if (!Array.isArray(decoded)) throw new RecordError('payload is not a list');
  return decoded;
}

function encodeChange(change: ConfChange | null): unknown {
  return change === null ? null : [change.type, change.nodeId, change.context ?? null];
}

function decodeChange(raw: unknown): ConfChange | null {
  if (raw === null) return null;
  if (Array.isArray(raw) && raw.length === 3 && typeof raw[1] === 'string') {
    const [type, nodeId, context] = raw as [unknown, string, unknown];
    if (type === 'add-learner' || type === 'add-voter' || type === 'remove') {
      if (context === null) return { type, nodeId };
      if (context instanceof Uint8Array) return { type, nodeId, context: copy(context) };
    }
  }
  throw new RecordError('config change has an unknown layout');
}

function isIndex(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isNodeList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((id) => typeof id === 'string');
}

/** msgpackr hands out Buffers that view the record; callers get plain, unshared Uint8Arrays. */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
