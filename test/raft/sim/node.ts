/**
 * One simulated server: a Raft core, the "disk" it persists to, and a register state machine.
 * It carries out each Ready exactly as the contract in src/raft/core/types.ts says, so a crash
 * (dropping the object and rebuilding it from `disk`) loses only what a real crash would.
 */
import { Raft } from '../../../src/raft/core/raft.js';
import type { RaftOptions } from '../../../src/raft/core/config.js';
import type { Entry, HardState, Message, NodeId, Ready, Snapshot } from '../../../src/raft/core/types.js';

/** What survives a crash. */
export interface Disk {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
}

export function emptyDisk(): Disk {
  return { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [] };
}

/** A client command carried in a normal entry. */
export interface Command {
  opId: string;
  op: 'write' | 'cas';
  key: string;
  value: string;
  expected?: string | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(cmd: Command): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

export function decodeCommand(data: Uint8Array): Command {
  return JSON.parse(decoder.decode(data)) as Command;
}

/** What happened while a Ready was carried out, for the cluster's checks and clients. */
export interface ReadyEvents {
  applied: Entry[];
  /** Results of commands applied here: opId → cas success (writes always succeed). */
  results: Map<string, boolean>;
  /** Reads now servable: id → value read at an applied index >= the read index. */
  reads: { id: string; index: number }[];
  dropped: string[];
  becameLeader: boolean;
  snapshotRestored: boolean;
}

export class SimNode {
  raft: Raft;
  /** The register state machine. */
  registers = new Map<string, string>();
  appliedIndex: number;
  /** Read states waiting for the state machine to catch up. */
  private waitingReads: { id: string; index: number }[] = [];

  constructor(
    readonly id: NodeId,
    readonly disk: Disk,
    options: Omit<RaftOptions, 'id'>,
  ) {
    const logger = options.logger === undefined ? undefined : withNode(options.logger, id);
    this.raft = new Raft({ ...options, id, logger }, structuredCloneDisk(disk));
    this.appliedIndex = disk.snapshot?.meta.index ?? 0;
    if (disk.snapshot !== null) this.restoreRegisters(disk.snapshot.data);
  }

  /**
   * Carries out one Ready. `send` receives the messages after persistence; `crashAfterPersist`
   * simulates a crash between steps 2 and 3 of the contract (nothing is sent or applied).
   */
  handleReady(send: (m: Message) => void, crashAfterPersist = false): ReadyEvents | null {
    if (!this.raft.hasReady()) return null;
    const rd: Ready = this.raft.ready();
    const events: ReadyEvents = {
      applied: [],
      results: new Map(),
      reads: [],
      dropped: rd.droppedReads,
      becameLeader: rd.softState?.role === 'leader',
      snapshotRestored: false,
    };

    // 1-2. Persist snapshot, entries and hard state.
    if (rd.snapshot !== null) {
      this.disk.snapshot = rd.snapshot;
      this.disk.entries = this.disk.entries.filter((e) => e.index > rd.snapshot!.meta.index);
      this.restoreRegisters(rd.snapshot.data);
      this.appliedIndex = rd.snapshot.meta.index;
      events.snapshotRestored = true;
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      this.disk.entries = this.disk.entries.filter((e) => e.index < first).concat(rd.entries);
    }
    if (rd.hardState !== null) this.disk.hardState = { ...rd.hardState };
    if (crashAfterPersist) return null;

    // 3. Send.
    for (const m of rd.messages) send(m);

    // 4. Apply.
    for (const entry of rd.committedEntries) {
      if (entry.index !== this.appliedIndex + 1) {
        throw new Error(`${this.id} asked to apply ${entry.index} after ${this.appliedIndex}`);
      }
      this.appliedIndex = entry.index;
      events.applied.push(entry);
      if (entry.kind === 'normal' && entry.data.length > 0) {
        const cmd = decodeCommand(entry.data);
        events.results.set(cmd.opId, this.applyCommand(cmd));
      }
    }

    // 5. Reads become servable once the state machine reaches their index.
    this.waitingReads.push(...rd.readStates);
    events.reads = this.takeServableReads();

    // 6. Advance.
    this.raft.advance();
    return events;
  }

  /** Snapshots the state machine into the core and onto disk (log compaction). */
  takeSnapshot(keepEntries: number): void {
    const index = this.appliedIndex;
    if (index <= (this.disk.snapshot?.meta.index ?? 0) || index < this.raft.raftLog.firstIndex() - 1) return;
    const data = encoder.encode(JSON.stringify([...this.registers]));
    const snapshot = this.raft.createSnapshot(index, data, keepEntries);
    this.disk.snapshot = snapshot;
    this.disk.entries = this.disk.entries.filter((e) => e.index > index);
  }

  read(key: string): string | null {
    return this.registers.get(key) ?? null;
  }

  private applyCommand(cmd: Command): boolean {
    if (cmd.op === 'write') {
      this.registers.set(cmd.key, cmd.value);
      return true;
    }
    const current = this.registers.get(cmd.key) ?? null;
    if (current !== (cmd.expected ?? null)) return false;
    this.registers.set(cmd.key, cmd.value);
    return true;
  }

  private takeServableReads(): { id: string; index: number }[] {
    const ready = this.waitingReads.filter((r) => r.index <= this.appliedIndex);
    this.waitingReads = this.waitingReads.filter((r) => r.index > this.appliedIndex);
    return ready;
  }

  private restoreRegisters(data: Uint8Array): void {
    this.registers = new Map(JSON.parse(decoder.decode(data)) as [string, string][]);
  }
}

/** The core must not share mutable arrays with the disk it was built from. */
function structuredCloneDisk(disk: Disk): Disk {
  return { hardState: { ...disk.hardState }, snapshot: disk.snapshot, entries: [...disk.entries] };
}

function withNode(logger: NonNullable<RaftOptions['logger']>, node: NodeId): NonNullable<RaftOptions['logger']> {
  return {
    debug: (f, m) => logger.debug({ node, ...f }, m),
    info: (f, m) => logger.info({ node, ...f }, m),
    warn: (f, m) => logger.warn({ node, ...f }, m),
    error: (f, m) => logger.error({ node, ...f }, m),
  };
}
