/**
 * `operator raft snapshot save` and `restore` (vault-api.md §5, "Snapshot") on a Raft node.
 *
 * Save: a read index makes the point linearizable (everything acknowledged before the request
 * is in it), then the state machine is captured at its applied index and packed with its meta,
 * checksums and this cluster's tag (raft-snapshot-archive.ts). Nothing is decrypted: the values
 * stay barrier ciphertext.
 *
 * Restore: the archive's checksums must hold, and its tag must be this cluster's unless forced.
 * The state then travels as one restore command (src/physical/restore-command.ts) through the
 * log, so every node replaces its whole state at the same index, atomically. Each node's core is
 * told once its state machine has the new state (`SnapshotAuthority.afterRestore`):
 * - a snapshot of this cluster keeps the cluster's current key records (root key, keyring, seal
 *   configuration; their terms only grow, so they open every older value), and each node
 *   rebuilds its mount table, token store and identity without being sealed;
 * - a forced snapshot of another cluster replaces everything, keys included, and every node
 *   seals itself: from then on it opens with that cluster's unseal keys only.
 *
 * Limits: the whole state must fit in one log entry, hence in one transport frame (16 MiB by
 * default); larger archives are refused with a 400 before anything is proposed (see
 * {@link DEFAULT_MAX_RESTORE_BYTES}). A follower relays the request and the answer over the same
 * transport, so through a follower the archive itself must fit in a frame too.
 */
import { ConflictError, InternalError } from '../logical/errors.js';
import { KEYRING_PATH, ROOT_KEY_PATH, SEAL_CONFIG_PATH } from '../barrier/paths.js';
import { encodeRestore, validateState } from '../physical/restore-command.js';
import type { RestorableStateMachine, RestoreEvent } from '../physical/restore-command.js';
import type { RaftNode } from '../raft/node/raft-node.js';
import { silentLogger, type Logger } from '../util/logger.js';
import {
  hasClusterTag,
  openSnapshot,
  packSnapshot,
  SNAPSHOT_FORMAT_VERSION,
  SnapshotRejectedError,
} from './raft-snapshot-archive.js';
import { toLogicalError } from './raft-cluster-wire.js';

/**
 * The largest state a restore accepts by default: 15 MiB. The state reaches every follower in one
 * log entry, inside one transport frame (`maxFrameBytes`, 16 MiB by default); an entry larger
 * than a frame could never be sent, so the leader would retry it forever and nothing after it
 * would commit. The margin covers the entry's and the append message's envelopes.
 */
export const DEFAULT_MAX_RESTORE_BYTES = 15 * 1024 * 1024;

/** The records a restore of this cluster's snapshot keeps from the current state. */
const KEY_RECORDS = [ROOT_KEY_PATH, KEYRING_PATH, SEAL_CONFIG_PATH] as const;

/** The core's half of snapshots (src/vault/core.ts). */
export interface SnapshotAuthority {
  /** The cluster's snapshot key; created on first use with `create`, else null when absent. */
  snapshotKey(options: { create: boolean }): Promise<Uint8Array | null>;
  /** Reloads (or seals) the node once its state was replaced; never rejects. */
  afterRestore(options: { seal: boolean }): Promise<void>;
}

export interface RaftSnapshotsOptions {
  readonly nodeId: string;
  readonly node: RaftNode<unknown>;
  readonly machine: RestorableStateMachine;
  readonly authority: SnapshotAuthority;
  /** The largest state a restore accepts. Default {@link DEFAULT_MAX_RESTORE_BYTES}. */
  readonly maxRestoreBytes?: number;
  readonly logger?: Logger;
  /** Wall-clock milliseconds for `created_at`; `Date.now` unless a test fixes it. */
  readonly now?: () => number;
}

export class RaftSnapshots {
  private readonly opts: RaftSnapshotsOptions;
  private readonly maxRestoreBytes: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private restoring = false;
  /** The core's reaction to the latest replacement; reactions run one after another. */
  private reloaded: Promise<void> = Promise.resolve();

  /** Starts listening to `machine`'s replacements at once. */
  constructor(options: RaftSnapshotsOptions) {
    this.opts = options;
    this.maxRestoreBytes = options.maxRestoreBytes ?? DEFAULT_MAX_RESTORE_BYTES;
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    options.machine.setRestoreListener((event) => this.onReplaced(event));
  }

  /** Stops listening to the state machine. */
  close(): void {
    this.opts.machine.setRestoreListener(null);
  }

  /**
   * A snapshot archive of the replicated state at a linearizable point.
   * @throws NoActiveNodeError (503) when no read index can be had; VaultSealedError (503).
   */
  async save(): Promise<Uint8Array> {
    const { node, machine, authority, nodeId } = this.opts;
    // Made (and committed) before the read index, so the snapshot holds its own key.
    const key = await authority.snapshotKey({ create: true });
    if (key === null) throw new InternalError('the snapshot key could not be created');
    await node.readIndex().catch((err: unknown) => {
      throw toLogicalError(err, { operation: 'snapshot' });
    });
    const { state, index, term } = await machine.capture();
    const meta = {
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      index,
      term,
      nodeId,
      createdAt: new Date(this.now()).toISOString(),
      stateBytes: state.byteLength,
    };
    const archive = await packSnapshot({ meta, state, key });
    const sizes = { stateBytes: state.byteLength, bytes: archive.byteLength };
    this.log.info({ index, term, ...sizes }, 'snapshot saved');
    if (state.byteLength > this.maxRestoreBytes) {
      const limit = this.maxRestoreBytes;
      this.log.warn({ index, ...sizes, limit }, 'snapshot saved larger than a restore accepts');
    }
    return archive;
  }

  /**
   * Replaces the replicated state on every node with the archive's, once its checksums hold
   * and (unless `force`) its tag is this cluster's. Resolves once this node applied it and its
   * core reloaded (or sealed itself).
   * @throws SnapshotRejectedError (400) for a damaged, oversized or (unforced) foreign archive;
   *   ConflictError (409) while another restore runs here; NoActiveNodeError (503) when the
   *   command could not be committed (its outcome is then unknown); VaultSealedError (503).
   */
  async restore(archive: Uint8Array, options: { readonly force: boolean }): Promise<void> {
    if (this.restoring) throw new ConflictError('a snapshot restore is already in progress');
    this.restoring = true;
    try {
      await this.restoreOnce(archive, options.force);
    } finally {
      this.restoring = false;
    }
  }

  private async restoreOnce(archive: Uint8Array, force: boolean): Promise<void> {
    const { node, authority } = this.opts;
    const snapshot = await openSnapshot(archive, { maxStateBytes: this.maxRestoreBytes });
    let keyCount: number;
    try {
      keyCount = validateState(snapshot.state);
    } catch (cause) {
      const message = 'the snapshot state is not a Coffer state';
      throw new SnapshotRejectedError(message, 'malformed', {}, { cause });
    }

    const sameCluster = hasClusterTag(snapshot, await authority.snapshotKey({ create: false }));
    if (!sameCluster && !force) {
      throw new SnapshotRejectedError(
        'the snapshot was not taken on this cluster (or its checksums were altered); ' +
          'use snapshot-force to restore it anyway',
        'foreign',
      );
    }

    const { index, term, nodeId } = snapshot.meta;
    const fields = { index, term, from: nodeId, keyCount, sameCluster, force };
    this.log.warn(fields, 'restoring a snapshot: replacing the replicated state');
    const command = encodeRestore({
      state: snapshot.state,
      keep: sameCluster ? KEY_RECORDS : [],
      seal: !sameCluster,
    });
    let result: unknown;
    try {
      result = await node.propose(command);
    } catch (err) {
      throw toLogicalError(err, { operation: 'restore' });
    }
    if ((result as { ok?: unknown } | undefined)?.ok !== true) {
      throw new InternalError('the restore command was refused by the state machine');
    }
    await this.reloaded;
    this.log.info(fields, 'snapshot restored');
  }

  private onReplaced(event: RestoreEvent): void {
    const { index, term, kind, seal } = event;
    this.log.info({ index, term, kind, seal }, 'replicated state replaced');
    const { authority } = this.opts;
    this.reloaded = this.reloaded
      .then(() => authority.afterRestore({ seal }))
      .catch((err: unknown) => this.log.error({ err }, 'core reload after a restore failed'));
  }
}
