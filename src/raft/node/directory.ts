/**
 * Where each member can be reached, and how that knowledge travels with the log.
 *
 * The core's configurations hold only ids. Addresses come from three places, in rising priority:
 * the node's options (`bootstrap`, `peers`), the `context` of membership entries (msgpackr
 * `{ clusterAddr, apiAddr, promote? }`), and the node's own entries. Founding voters join through
 * no membership entry, so a leader writes a *directory entry* listing the addresses the log does
 * not hold yet; a node that replays the log from index 1 (a restart, a new member) learns them
 * there. Snapshots carry the whole directory in their envelope, since compaction drops entries.
 *
 * Every normal entry the node proposes starts with a tag byte: {@link COMMAND_TAG} for the
 * application's commands, {@link DIRECTORY_TAG} for directory entries. An empty entry is the
 * leader's no-op.
 */
import { Packr } from 'msgpackr';
import type { Entry, NodeId } from '../core/types.js';
import type { NodeMeta } from './types.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export const COMMAND_TAG = 0x00;
export const DIRECTORY_TAG = 0x01;

/** What a normal entry holds, as the node reads it. */
export type EntryPayload =
  | { kind: 'noop' }
  | { kind: 'command'; data: Uint8Array }
  | { kind: 'directory'; members: Map<NodeId, NodeMeta> }
  | { kind: 'unknown' };

/** Prefixes an application command with its tag. */
export function tagCommand(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 1);
  out[0] = COMMAND_TAG;
  out.set(data, 1);
  return out;
}

export function encodeDirectoryEntry(members: ReadonlyMap<NodeId, NodeMeta>): Uint8Array {
  const body = packr.pack(Object.fromEntries(members)) as Uint8Array;
  const out = new Uint8Array(body.length + 1);
  out[0] = DIRECTORY_TAG;
  out.set(body, 1);
  return out;
}

/** Reads a normal entry's payload. Never throws: a payload it cannot read is `unknown`. */
export function readPayload(data: Uint8Array): EntryPayload {
  if (data.length === 0) return { kind: 'noop' };
  if (data[0] === COMMAND_TAG) return { kind: 'command', data: data.subarray(1) };
  if (data[0] === DIRECTORY_TAG) {
    const members = decodeMembers(safeUnpack(data.subarray(1)));
    return members === null ? { kind: 'unknown' } : { kind: 'directory', members };
  }
  return { kind: 'unknown' };
}

/** The `context` of a membership change: the member's addresses and its promotion wish. */
export function encodeContext(meta: NodeMeta, promote: boolean): Uint8Array {
  const context: Record<string, unknown> = { clusterAddr: meta.clusterAddr, apiAddr: meta.apiAddr };
  if (promote) context.promote = true;
  return packr.pack(context) as Uint8Array;
}

export function decodeContext(bytes: Uint8Array): { meta: NodeMeta; promote: boolean } | null {
  const value = safeUnpack(bytes);
  const meta = asMeta(value);
  if (meta === null) return null;
  return { meta, promote: (value as { promote?: unknown }).promote === true };
}

/** What a snapshot's data holds: the state machine's bytes wrapped with the node's directory. */
export interface SnapshotEnvelope {
  members: Map<NodeId, NodeMeta>;
  /** Learners to promote once caught up. */
  promote: NodeId[];
  /** The index of the last command the state machine had applied when the snapshot was taken. */
  commandIndex: number;
  data: Uint8Array;
}

const ENVELOPE_VERSION = 1;

export function encodeEnvelope(envelope: SnapshotEnvelope): Uint8Array {
  return packr.pack({
    v: ENVELOPE_VERSION,
    members: Object.fromEntries(envelope.members),
    promote: envelope.promote,
    commandIndex: envelope.commandIndex,
    data: envelope.data,
  }) as Uint8Array;
}

/** @throws Error when the bytes are not an envelope of a known version. */
export function decodeEnvelope(bytes: Uint8Array): SnapshotEnvelope {
  const value = safeUnpack(bytes) as Record<string, unknown> | null;
  const members = value === null ? null : decodeMembers(value.members);
  if (
    value === null ||
    value.v !== ENVELOPE_VERSION ||
    members === null ||
    !Array.isArray(value.promote) ||
    !Number.isInteger(value.commandIndex) ||
    !(value.data instanceof Uint8Array)
  ) {
    throw new Error('snapshot data is not a raft node snapshot envelope');
  }
  return {
    members,
    promote: value.promote.filter((id): id is string => typeof id === 'string'),
    commandIndex: value.commandIndex as number,
    data: value.data,
  };
}

/**
 * The node's view of member addresses. `logged` marks ids whose addresses are in the log or a
 * snapshot, as opposed to only in this node's options: the leader writes the others down.
 */
export class MemberDirectory {
  private readonly meta = new Map<NodeId, NodeMeta>();
  private readonly logged = new Set<NodeId>();
  private readonly promote = new Set<NodeId>();
  /** Bumped whenever an address changes, so the node knows when to update the transport. */
  version = 0;

  /** Adds addresses from the options, without overriding anything already known. */
  seed(members: ReadonlyMap<NodeId, NodeMeta> | undefined): void {
    for (const [id, meta] of members ?? []) if (!this.meta.has(id)) this.set(id, meta);
  }

  get(id: NodeId | null): NodeMeta | null {
    return id === null ? null : (this.meta.get(id) ?? null);
  }

  wantsPromotion(id: NodeId): boolean {
    return this.promote.has(id);
  }

  /** Known addresses of `ids` that no entry or snapshot holds yet. */
  unlogged(ids: readonly NodeId[]): Map<NodeId, NodeMeta> {
    const out = new Map<NodeId, NodeMeta>();
    for (const id of ids) {
      const meta = this.meta.get(id);
      if (meta !== undefined && !this.logged.has(id)) out.set(id, meta);
    }
    return out;
  }

  /** Every known id with its addresses. */
  entries(): [NodeId, NodeMeta][] {
    return [...this.meta];
  }

  /** Learns what a log entry says about members, in log order. */
  noteEntry(entry: Entry): void {
    if (entry.kind === 'config') {
      const change = entry.change;
      if (change === null) return;
      const context = change.context === undefined ? null : decodeContext(change.context);
      if (context !== null) this.record(change.nodeId, context.meta);
      const promote = change.type === 'add-learner' && context?.promote === true;
      if (promote) this.promote.add(change.nodeId);
      else this.promote.delete(change.nodeId);
      return;
    }
    const payload = readPayload(entry.data);
    if (payload.kind === 'directory') {
      for (const [id, meta] of payload.members) this.record(id, meta);
    }
  }

  /** Takes everything a snapshot envelope says. */
  restore(envelope: SnapshotEnvelope): void {
    for (const [id, meta] of envelope.members) this.record(id, meta);
    this.promote.clear();
    for (const id of envelope.promote) this.promote.add(id);
  }

  /** The directory as a snapshot envelope around `data`. */
  envelope(data: Uint8Array, commandIndex: number): SnapshotEnvelope {
    return { members: new Map(this.meta), promote: [...this.promote], commandIndex, data };
  }

  private record(id: NodeId, meta: NodeMeta): void {
    this.logged.add(id);
    this.set(id, meta);
  }

  private set(id: NodeId, meta: NodeMeta): void {
    const known = this.meta.get(id);
    if (known?.clusterAddr === meta.clusterAddr && known.apiAddr === meta.apiAddr) return;
    this.meta.set(id, { clusterAddr: meta.clusterAddr, apiAddr: meta.apiAddr });
    this.version++;
  }
}

function decodeMembers(value: unknown): Map<NodeId, NodeMeta> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const out = new Map<NodeId, NodeMeta>();
  for (const [id, raw] of Object.entries(value)) {
    const meta = asMeta(raw);
    if (meta === null) return null;
    out.set(id, meta);
  }
  return out;
}

function asMeta(value: unknown): NodeMeta | null {
  if (value === null || typeof value !== 'object') return null;
  const { clusterAddr, apiAddr } = value as Record<string, unknown>;
  if (typeof clusterAddr !== 'string' || typeof apiAddr !== 'string') return null;
  return { clusterAddr, apiAddr };
}

function safeUnpack(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch {
    return null;
  }
}
