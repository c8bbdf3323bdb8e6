/**
 * The replicated key/value state machine under `RaftPhysicalStore`: what a write command looks
 * like on the log, what applying it returns, the snapshot format, and the read surface the store
 * uses. Two implementations share it: `LevelStateMachine` (classic-level, durable) and
 * `MemoryStateMachine` (tests).
 *
 * Applying is deterministic on every node: a command is decoded and validated, its batch
 * conditions are checked against the state at apply time (semantics.ts `planBatch`), and either
 * every op is written or, on a failed condition, nothing; the failure is the command's result,
 * carried back to the proposer. A command that cannot be decoded is refused the same way on
 * every node, so replicas never diverge over it.
 *
 * Keys travel as UTF-16 code units, big-endian ({@link keyBytes}), not as msgpack strings: UTF-8
 * cannot carry a lone surrogate, and a key must come out exactly as it went in.
 */
import { Packr } from 'msgpackr';
import type { StateMachine } from '../raft/node/types.js';
import { assertValidKey, planBatch } from './semantics.js';
import { ConditionFailedError } from './errors.js';
import type { BatchOp, Condition } from './types.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** The outcome of one write command. */
export type WriteResult =
  | { ok: true }
  | { ok: false; failure: 'condition'; index: number; key: string }
  | { ok: false; failure: 'malformed' };

/** The state machine the store reads from; `apply` takes commands made by {@link encodeWrite}. */
export interface KvStateMachine extends StateMachine<WriteResult> {
  /** The value at `key` in the applied state, as a copy the caller may keep. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** The immediate children of `prefix` in the applied state (see `PhysicalStore.list`). */
  list(prefix: string): Promise<string[]>;
  appliedIndex(): number;
  close(): Promise<void>;
}

const COMMAND_VERSION = 1;

/** Encodes a validated batch as a log command. */
export function encodeWrite(ops: readonly BatchOp[]): Uint8Array {
  return packr.pack({
    v: COMMAND_VERSION,
    ops: ops.map((op) => {
      const wire: Record<string, unknown> = { t: op.type === 'put' ? 'p' : 'd' };
      wire.k = keyBytes(op.key);
      if (op.type === 'put') wire.v = op.value;
      if (op.condition !== undefined) {
        wire.c = 'ifAbsent' in op.condition ? { a: true } : { e: op.condition.ifValue };
      }
      return wire;
    }),
  }) as Uint8Array;
}

/** Decodes a command; null when it is not a well-formed batch of valid keys. */
export function decodeWrite(bytes: Uint8Array): BatchOp[] | null {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    return null;
  }
  const command = value as { v?: unknown; ops?: unknown } | null;
  if (command?.v !== COMMAND_VERSION || !Array.isArray(command.ops)) return null;
  const ops: BatchOp[] = [];
  for (const raw of command.ops as unknown[]) {
    const op = decodeOp(raw);
    if (op === null) return null;
    ops.push(op);
  }
  return ops;
}

function decodeOp(raw: unknown): BatchOp | null {
  if (raw === null || typeof raw !== 'object') return null;
  const { t, k: rawKey, v, c } = raw as Record<string, unknown>;
  if (!(rawKey instanceof Uint8Array) || rawKey.length % 2 !== 0) return null;
  const k = keyFromBytes(rawKey);
  try {
    assertValidKey(k);
  } catch {
    return null;
  }
  let condition: Condition | undefined;
  if (c !== undefined) {
    const wire = c as { a?: unknown; e?: unknown } | null;
    if (wire?.a === true) condition = { ifAbsent: true };
    else if (wire?.e instanceof Uint8Array) condition = { ifValue: wire.e };
    else return null;
  }
  if (t === 'p' && v instanceof Uint8Array) return { type: 'put', key: k, value: v, condition };
  if (t === 'd' && v === undefined) return { type: 'delete', key: k, condition };
  return null;
}

export function encodeResult(result: WriteResult): Uint8Array {
  return packr.pack(result) as Uint8Array;
}

/** @throws Error when the bytes are not a write result. */
export function decodeResult(bytes: Uint8Array): WriteResult {
  const value = packr.unpack(bytes) as Record<string, unknown> | null;
  if (value?.ok === true) return { ok: true };
  if (value?.ok === false && value.failure === 'malformed') {
    return { ok: false, failure: 'malformed' };
  }
  if (
    value?.ok === false &&
    value.failure === 'condition' &&
    Number.isInteger(value.index) &&
    typeof value.key === 'string'
  ) {
    return { ok: false, failure: 'condition', index: value.index as number, key: value.key };
  }
  throw new Error('not a write result');
}

/**
 * Applies one command against `read` (the state before it, including earlier commands of the
 * same apply call) and returns its result with the writes to make: `undefined` marks a delete.
 */
export function planCommand(
  data: Uint8Array,
  read: (key: string) => Uint8Array | undefined,
): { result: WriteResult; writes: Map<string, Uint8Array | undefined> } {
  const ops = decodeWrite(data);
  if (ops === null) return { result: { ok: false, failure: 'malformed' }, writes: new Map() };
  try {
    return { result: { ok: true }, writes: planBatch(ops, read) };
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
    const result: WriteResult = { ok: false, failure: 'condition', index: err.index, key: err.key };
    return { result, writes: new Map() };
  }
}

const STATE_VERSION = 1;

/** Encodes a whole state (key/value pairs in key order) as snapshot data. */
export function encodeState(pairs: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  return encodeStateBytes(
    pairs.map(([k]) => keyBytes(k)),
    pairs.map(([, v]) => v),
  );
}

/** {@link encodeState} from keys already in {@link keyBytes} form, `values[i]` under `keys[i]`. */
export function encodeStateBytes(
  keys: readonly Uint8Array[],
  values: readonly Uint8Array[],
): Uint8Array {
  return packr.pack({ v: STATE_VERSION, keys, values }) as Uint8Array;
}

/** @throws Error when the bytes are not a state snapshot. */
export function decodeState(bytes: Uint8Array): [string, Uint8Array][] {
  const value = packr.unpack(bytes) as { v?: unknown; keys?: unknown; values?: unknown } | null;
  const keys = value?.keys;
  const values = value?.values;
  const shaped = Array.isArray(keys) && Array.isArray(values) && keys.length === values.length;
  if (value?.v !== STATE_VERSION || !shaped) throw new Error('not a key/value state snapshot');
  return keys.map((k: unknown, i) => {
    const v: unknown = values[i];
    if (!(k instanceof Uint8Array) || k.length % 2 !== 0 || !(v instanceof Uint8Array)) {
      throw new Error('not a key/value state snapshot');
    }
    return [keyFromBytes(k), v];
  });
}

/** A key as UTF-16 code units, big-endian: lossless, and byte order is code unit order. */
export function keyBytes(key: string, offset = 0): Uint8Array {
  const out = new Uint8Array(offset + key.length * 2);
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    out[offset + 2 * i] = unit >>> 8;
    out[offset + 2 * i + 1] = unit & 0xff;
  }
  return out;
}

/** The inverse of {@link keyBytes}, reading from `offset`. */
export function keyFromBytes(bytes: Uint8Array, offset = 0): string {
  let out = '';
  const units: number[] = [];
  for (let i = offset; i + 1 < bytes.length; i += 2) {
    units.push((bytes[i]! << 8) | bytes[i + 1]!);
    // Flushed in chunks, since String.fromCharCode takes its units as arguments.
    if (units.length === 4096) out += String.fromCharCode(...units.splice(0));
  }
  return out + String.fromCharCode(...units);
}

/** A copy of `bytes` that shares no memory with it. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
