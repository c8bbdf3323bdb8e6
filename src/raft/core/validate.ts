/**
 * Shape checks for messages from peers. The transport decodes whatever bytes arrive; the core
 * must never let a malformed message reach the algorithm, where a NaN or a missing field would
 * break an invariant and stop the node. A message that fails here is dropped.
 */
import type { Entry, Message } from './types.js';

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function isIdList(v: unknown): boolean {
  return Array.isArray(v) && v.every(isId);
}

function validEntry(e: unknown): e is Entry {
  if (typeof e !== 'object' || e === null) return false;
  const entry = e as Record<string, unknown>;
  if (!isIndex(entry['term']) || !isIndex(entry['index'])) return false;
  if (entry['kind'] === 'normal') return entry['data'] instanceof Uint8Array;
  if (entry['kind'] !== 'config') return false;
  const config = entry['config'] as Record<string, unknown> | null;
  return typeof config === 'object' && config !== null && isIdList(config['voters']) && isIdList(config['learners']);
}

/** Whether `m` has every field its type needs, with sane values. */
export function isWellFormed(m: Message): boolean {
  if (typeof m !== 'object' || m === null || !isId(m.from) || !isId(m.to) || !isIndex(m.term)) return false;
  switch (m.type) {
    case 'vote':
    case 'pre-vote':
      return isIndex(m.lastLogIndex) && isIndex(m.lastLogTerm) && typeof m.transfer === 'boolean';
    case 'vote-resp':
    case 'pre-vote-resp':
      return typeof m.reject === 'boolean';
    case 'append':
      return (
        isIndex(m.prevIndex) &&
        isIndex(m.prevTerm) &&
        isIndex(m.commit) &&
        Array.isArray(m.entries) &&
        m.entries.every(validEntry)
      );
    case 'append-resp':
      return (
        typeof m.reject === 'boolean' &&
        isIndex(m.index) &&
        (m.hint === null || (typeof m.hint === 'object' && isIndex(m.hint.index) && isIndex(m.hint.term)))
      );
    case 'heartbeat':
      return isIndex(m.commit) && isIndex(m.readSeq);
    case 'heartbeat-resp':
      return isIndex(m.readSeq);
    case 'snapshot': {
      const s = m.snapshot as unknown as Record<string, unknown> | null;
      if (typeof s !== 'object' || s === null || !(s['data'] instanceof Uint8Array)) return false;
      const meta = s['meta'] as Record<string, unknown> | null;
      if (typeof meta !== 'object' || meta === null || !isIndex(meta['index']) || !isIndex(meta['term'])) return false;
      const config = meta['config'] as Record<string, unknown> | null;
      return typeof config === 'object' && config !== null && isIdList(config['voters']) && isIdList(config['learners']);
    }
    case 'timeout-now':
      return true;
    case 'read-index':
      return typeof m.id === 'string';
    case 'read-index-resp':
      return typeof m.id === 'string' && isIndex(m.index) && typeof m.reject === 'boolean';
    default:
      return false;
  }
}
