/**
 * The restore command: one log entry that replaces the whole replicated key/value state, the
 * way `sys/storage/raft/snapshot` restores a saved snapshot (src/server/raft-snapshot.ts).
 *
 * Carrying the state in a log entry, rather than installing it on each node by hand, is what
 * keeps the replicas consistent: every node applies the same entry at the same index, atomically,
 * after everything before it and before everything after it, and a node that is down catches up
 * from the log or from a Raft snapshot taken after it, like any other write.
 *
 * A restore command starts with {@link RESTORE_MARKER}, a byte no write command starts with
 * (those are MessagePack maps), so a state machine tells the two apart without decoding. What
 * follows is a MessagePack map: the new state (`encodeState` format), the keys whose current
 * values outlive the restore, and whether every node seals itself once it is applied. Like a
 * write, a restore command that cannot be decoded is refused the same way on every node: it
 * becomes a `malformed` result and changes nothing.
 */
import { Packr } from 'msgpackr';

import { assertValidKey, compareKeys } from './semantics.js';
import { decodeState, keyBytes, keyFromBytes } from './state-machine.js';
import type { KvStateMachine, WriteResult } from './state-machine.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** The first byte of a restore command: 0xc1, which MessagePack never uses. */
export const RESTORE_MARKER = 0xc1;

const RESTORE_VERSION = 1;

/** What a restore command asks of every node. */
export interface RestoreCommand {
  /** The new state, as `encodeState` writes it. */
  readonly state: Uint8Array;
  /**
   * Keys whose current values win over the snapshot's: the barrier's key records when the
   * snapshot comes from this cluster, so the keys in use stay the keys in storage. A kept key
   * that is absent now takes the snapshot's value, if it has one.
   */
  readonly keep: readonly string[];
  /** Every node seals itself once the restore is applied (the state may need other keys). */
  readonly seal: boolean;
}

/** What a state machine reports once its whole state was replaced. */
export interface RestoreEvent {
  /** The log index the state now stands at. */
  readonly index: number;
  readonly term: number;
  /** `command`: a restore command was applied; `snapshot`: a Raft snapshot was installed. */
  readonly kind: 'command' | 'snapshot';
  /** The command asked every node to seal itself (always false for a Raft snapshot). */
  readonly seal: boolean;
}

/**
 * Called once a replacement is durable in the state machine, from the node's apply loop: it
 * must not throw and must not wait for the loop (start async work and return).
 */
export type RestoreListener = (event: RestoreEvent) => void;

/** A consistent copy of the applied state and the log position it stands at. */
export interface CapturedState {
  /** `encodeState` bytes: every key, every value still as stored (barrier ciphertext). */
  readonly state: Uint8Array;
  readonly index: number;
  readonly term: number;
}

/** A {@link KvStateMachine} that applies restore commands and can report replacements. */
export interface RestorableStateMachine extends KvStateMachine {
  /**
   * The applied state with the index and term of the last command in it, taken at one point:
   * no apply lands between the dump and the index. Safe to call outside the node's loop.
   */
  capture(): Promise<CapturedState>;
  /** Who hears of every replacement of the state (null: nobody). */
  setRestoreListener(listener: RestoreListener | null): void;
}

/** True when `data` is a restore command (well formed or not), not a write. */
export function isRestoreCommand(data: Uint8Array): boolean {
  return data.length > 0 && data[0] === RESTORE_MARKER;
}

export function encodeRestore(command: RestoreCommand): Uint8Array {
  const body = packr.pack({
    v: RESTORE_VERSION,
    state: command.state,
    keep: command.keep.map((key) => keyBytes(key)),
    seal: command.seal,
  }) as Uint8Array;
  const out = new Uint8Array(body.length + 1);
  out[0] = RESTORE_MARKER;
  out.set(body, 1);
  return out;
}

/** Decodes a restore command; null when `data` is not a well-formed one. */
export function decodeRestore(data: Uint8Array): RestoreCommand | null {
  if (!isRestoreCommand(data)) return null;
  let value: unknown;
  try {
    value = packr.unpack(data.subarray(1));
  } catch {
    return null;
  }
  const { v, state, keep, seal } = (value ?? {}) as Record<string, unknown>;
  if (v !== RESTORE_VERSION || !(state instanceof Uint8Array) || typeof seal !== 'boolean') {
    return null;
  }
  if (!Array.isArray(keep)) return null;
  const kept: string[] = [];
  for (const raw of keep as unknown[]) {
    if (!(raw instanceof Uint8Array) || raw.length % 2 !== 0) return null;
    const key = keyFromBytes(raw);
    if (!isValidKey(key)) return null;
    kept.push(key);
  }
  return { state, keep: kept, seal };
}

/**
 * The pairs the state holds once `command` is applied, sorted by key, given the current values
 * of its kept keys (`current`). Null when the command's state is not a valid state, so that
 * every node refuses it alike. Pure and deterministic.
 */
export function planRestore(
  command: RestoreCommand,
  current: ReadonlyMap<string, Uint8Array | undefined>,
): [string, Uint8Array][] | null {
  let pairs: [string, Uint8Array][];
  try {
    pairs = decodeState(command.state);
  } catch {
    return null;
  }
  if (!pairs.every(([key]) => isValidKey(key))) return null;

  const next = new Map(pairs);
  for (const key of command.keep) {
    const value = current.get(key);
    if (value !== undefined) next.set(key, value);
  }
  return [...next.entries()].sort(([a], [b]) => compareKeys(a, b));
}

/**
 * Checks that `state` is a valid state and returns how many keys it holds; the leader calls it
 * before it proposes a restore, so a bad snapshot is a 400 and never reaches the log.
 * @throws Error naming what is wrong.
 */
export function validateState(state: Uint8Array): number {
  const pairs = decodeState(state);
  for (const [key] of pairs) assertValidKey(key);
  return pairs.length;
}

/** The result of a restore command that could not be used. */
export const MALFORMED_RESTORE: WriteResult = { ok: false, failure: 'malformed' };

function isValidKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}
