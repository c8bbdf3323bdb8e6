/**
 * Structural checks for Raft messages decoded off the wire. A peer is authenticated, but a bug or
 * a version skew on its side must not crash this node: anything that is not exactly a
 * {@link Message} is dropped before it reaches the driver.
 */
import type { ConfState, Entry, Message, SnapshotMeta } from '../core/types.js';

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Terms, indexes and sequence numbers: non-negative safe integers. */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isConfState(value: unknown): value is ConfState {
  return isObject(value) && isStringArray(value.voters) && isStringArray(value.learners);
}

function isConfChange(value: unknown): boolean {
  if (value === null) return true;
  if (!isObject(value)) return false;
  const typeOk =
    value.type === 'add-learner' || value.type === 'add-voter' || value.type === 'remove';
  const contextOk = value.context === undefined || isBytes(value.context);
  return typeOk && typeof value.nodeId === 'string' && contextOk;
}

/** True when `value` is a log entry of either kind. */
export function isEntry(value: unknown): value is Entry {
  if (!isObject(value) || !isCount(value.term) || !isCount(value.index)) return false;
  if (value.kind === 'normal') return isBytes(value.data);
  if (value.kind === 'config') return isConfChange(value.change) && isConfState(value.config);
  return false;
}

/** True when `value` is snapshot metadata. */
export function isSnapshotMeta(value: unknown): value is SnapshotMeta {
  return (
    isObject(value) && isCount(value.index) && isCount(value.term) && isConfState(value.config)
  );
}

/**
 * True when `value` has the exact shape of a {@link Message}: the common fields, a known type
 * and that type's fields. A `snapshot` message must carry its data as bytes.
 */
export function isMessage(value: unknown): value is Message {
  if (!isObject(value)) return false;
  if (typeof value.from !== 'string' || typeof value.to !== 'string' || !isCount(value.term)) {
    return false;
  }
  switch (value.type) {
    case 'vote':
    case 'pre-vote':
      return (
        isCount(value.lastLogIndex) &&
        isCount(value.lastLogTerm) &&
        typeof value.transfer === 'boolean'
      );
    case 'vote-resp':
    case 'pre-vote-resp':
      return typeof value.reject === 'boolean';
    case 'append':
      return (
        isCount(value.prevIndex) &&
        isCount(value.prevTerm) &&
        isCount(value.commit) &&
        Array.isArray(value.entries) &&
        value.entries.every(isEntry)
      );
    case 'append-resp':
      return (
        typeof value.reject === 'boolean' &&
        isCount(value.index) &&
        (value.hint === null ||
          (isObject(value.hint) && isCount(value.hint.index) && isCount(value.hint.term)))
      );
    case 'heartbeat':
      return isCount(value.commit) && isCount(value.readSeq);
    case 'heartbeat-resp':
      return isCount(value.readSeq);
    case 'snapshot':
      return (
        isObject(value.snapshot) &&
        isSnapshotMeta(value.snapshot.meta) &&
        isBytes(value.snapshot.data)
      );
    case 'timeout-now':
      return true;
    case 'read-index':
      return typeof value.id === 'string';
    case 'read-index-resp':
      return (
        typeof value.id === 'string' && isCount(value.index) && typeof value.reject === 'boolean'
      );
    default:
      return false;
  }
}
