/**
 * The core: it wires physical storage → barrier → seal, holds what exists only while unsealed
 * (token store, mount table, router), and runs every request through one pipeline:
 *
 *   path check → sealed check → configured audit check → token check → route by longest mount
 *   prefix → handler
 *
 * A few `sys/` paths skip steps (special-paths.ts): the seal and status endpoints work while
 * sealed and without a token, and the raft bootstrap endpoints need no token. A missing, unknown
 * or expired token is one and the same 403, decided by one code path. The configured audit check
 * refuses every audited request while an audit device from the server configuration is not
 * enabled on this node (vault-api.md §7, "Fail closed").
 *
 * The core runs on any {@link PhysicalStore} and reaches the cluster only through
 * {@link ClusterControl}. It does not forward requests itself: {@link Core.forwardingDecision}
 * tells the HTTP layer, which holds the whole HTTP request, whether to.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

import { wipe } from '../barrier/aead.js';
import { Barrier } from '../barrier/barrier.js';
import { BarrierConditionFailedError } from '../barrier/errors.js';
import { KEYRING_PATH, ROOT_KEY_PATH, SEAL_CONFIG_PATH } from '../barrier/paths.js';
import type { KeyStatus } from '../barrier/types.js';
import { createKvBackend, KV_MOUNT_TYPE } from '../engines/kv/index.js';
import type { Backend, BackendFactory } from '../logical/backend.js';
import { InvalidRequestError, VaultSealedError } from '../logical/errors.js';
import { assertRequestPath } from '../logical/paths.js';
import type { ConnectionInfo, Operation, Request } from '../logical/request.js';
import type { Response } from '../logical/response.js';
import type { Storage } from '../logical/storage.js';
import type { PhysicalStore } from '../physical/types.js';
import { ShamirSeal, type SealStatus } from '../seal/shamir-seal.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { isValidNodeId } from '../util/tls.js';
import type { ClusterControl } from './cluster.js';
import type { ClusterIdentity } from './cluster-identity.js';
import {
  CLOCK_BEACON_MS,
  CLOCK_BEACON_PATH,
  ClusterClock,
  decodeBeacon,
  encodeBeacon,
} from './cluster-clock.js';
import { CoreStateCorruptError, InitOptionsError } from './errors.js';
import { storeTable, TABLE_STAMP_PATH } from './mount-admin.js';
import {
  AUTH_PATH,
  mountStoragePrefix,
  MOUNTS_PATH,
  readMountTable,
  type MountEntry,
  type MountTable,
} from './mount-table.js';
import {
  authStoragePrefix,
  loadTables,
  openServices,
  type ActiveState,
  type ActiveStateDeps,
} from './active-state.js';
import { LoginLockout, type LockoutPolicy } from './lockout.js';
import { runPipeline } from './pipeline.js';
import { isAuditedPath } from '../audit/audited-paths.js';
import { AuditFailedError } from '../audit/errors.js';
import type { AuditManager } from '../audit/manager.js';
import type { AuditEnableConfig, AuditTableEntry } from '../audit/types.js';
import type { ExpirationManager } from '../leases/expiration-manager.js';
import type { Acl } from '../policy/acl.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { LoginRenewalTerms, TokenEntry } from '../tokens/types.js';
import type { AuthBackend } from '../logical/auth-method.js';
import { pathTraits } from './special-paths.js';
import { BarrierBackedStorage } from './storage-adapter.js';
import { createSystemBackend } from './sys/system-backend.js';
import { QUOTAS_PATH, RateLimiter, readQuotaTable, type QuotaTable } from './quotas.js';
import { RequestReads } from './request-reads.js';
import type { ResponseWrapper } from './wrapping.js';
import { REPORTED_VERSION } from './version.js';

export interface CoreOptions {
  readonly physical: PhysicalStore;
  readonly cluster: ClusterControl;
  readonly logger?: Logger;
  /** This node's wall clock in milliseconds; `Date.now` unless a test fixes it. */
  readonly now?: () => number;
  /**
   * How often the leader writes its clock for the others and every node reads it back
   * (cluster-clock.ts); {@link CLOCK_BEACON_MS} by default, 0 turns the beacon off.
   */
  readonly clockBeaconMs?: number;
  /** What `storage_type` reports; `raft` by default. */
  readonly storageType?: string;
  /** The name given to the cluster at init; `vault-cluster-<random>` by default. */
  readonly clusterName?: string;
  /** Engine factories by mount type; KV (version 2) by default. */
  readonly engines?: Readonly<Record<string, BackendFactory>>;
  /** Auth method factories by type (`userpass`, `approle`, `cert`); the token method is built in. */
  readonly authMethods?: Readonly<Record<string, BackendFactory>>;
  /** Login lockout settings (lockout.ts); 5 failures in 15 minutes lock for 15 minutes. */
  readonly lockout?: LockoutPolicy;
  /**
   * Audit devices the server's configuration asks for (`audit "file" { ... }` blocks). The
   * leader enables, after each unseal and at every clock beacon round, every one that the audit
   * table does not hold: a `file` device is there when one with the same `file_path` is. They go
   * at `file/`, else the first free `file-<n>/`. While one of them is not enabled on this node,
   * it refuses every audited request (see {@link Core.handleRequest}).
   */
  readonly configuredAudit?: readonly AuditEnableConfig[];
  /**
   * Runs on every unseal, after the barrier opened and before the core loads its state (cluster
   * identity, token store, mount table) from storage. `read` reads a storage path through the
   * barrier (null when absent). A joining node uses it to answer its join challenge and move to
   * the replicated store first; a rejection seals the node again and fails the unseal.
   */
  readonly beforeActivate?: BeforeActivateHook;
  /**
   * Runs at `sys/init` after the options were checked and before anything is written. A node
   * that waits, empty, to either found a cluster or join one (Vault's `operator init` or
   * `operator raft join`) founds its one-node cluster here; a throw fails the init.
   */
  readonly beforeInitialize?: () => Promise<void>;
}

/** See {@link CoreOptions.beforeActivate}. */
export type BeforeActivateHook = (
  read: (path: string) => Promise<Uint8Array | null>,
) => Promise<void>;

/**
 * What a leader hands a joining node (DESIGN.md "Seal, barrier, join"): the raw stored values,
 * base64, of the seal configuration, the root key, the keyring and the node's challenge record,
 * by storage path. All but the seal configuration are ciphertext that only the cluster's unseal
 * key opens, so a node seeded with them reports the seal's shares and threshold and can be
 * unsealed with the cluster's shares, and only then read its challenge answer.
 */
export interface JoinChallengeRecords {
  /** Storage path → base64 of the stored bytes. */
  readonly records: Readonly<Record<string, string>>;
  /** The storage path of the challenge record among {@link JoinChallengeRecords.records}. */
  readonly challengePath: string;
}

/** Where the challenge issued to `nodeId` is kept, behind the barrier, until it is answered. */
export function joinChallengePath(nodeId: string): string {
  return `core/raft/challenge/${nodeId}`;
}

const CHALLENGE_BYTES = 32;

/**
 * Where the key that authenticates this cluster's Raft snapshots is kept, behind the barrier
 * (src/server/raft-snapshot.ts). A snapshot carries it like every other record, as ciphertext,
 * so a cluster restored from a snapshot still recognises its own snapshots.
 */
export const SNAPSHOT_KEY_PATH = 'core/raft/snapshot-key';

const SNAPSHOT_KEY_BYTES = 32;

/** `sys/init` parameters, as the system backend decoded them. */
export interface InitRequest {
  readonly secretShares?: number;
  readonly secretThreshold?: number;
  readonly pgpKeys?: readonly string[];
  readonly recoveryShares?: number;
  readonly recoveryThreshold?: number;
  readonly storedShares?: number;
}

/** What init returns: the only copy of the shares and of the root token. */
export interface InitResponse {
  readonly keys: string[];
  readonly keysBase64: string[];
  readonly rootToken: string;
}

/** Everything `sys/seal-status` reports. */
export interface SealStatusReport extends SealStatus {
  readonly version: string;
  readonly buildDate: string;
  readonly storageType: string;
  /** Known once unsealed. */
  readonly cluster: ClusterIdentity | null;
}

/** Whether the HTTP layer serves a request here or hands it to the leader. */
/**
 * Where a request is served: here (`local`), here as a follower read that must not write
 * (`local-read`: a write attempt throws ForwardRequiredError and the request goes to the
 * leader after all), at the leader (`forward`), or nowhere yet (`no-leader`).
 */
export type ForwardingDecision = 'local' | 'local-read' | 'forward' | 'no-leader';


const BUILD_DATE = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export class Core {
  readonly cluster: ClusterControl;
  readonly storageType: string;
  /** The cluster clock (cluster-clock.ts), in milliseconds: what every expiry is decided on. */
  readonly now: () => number;
  private readonly clock: ClusterClock;
  private readonly clockBeaconMs: number;
  private beaconTimer: NodeJS.Timeout | null = null;
  private readonly barrier: Barrier;
  /** Replaced after a restore that may have changed the seal configuration (`afterRestore`). */
  private seal: ShamirSeal;
  private readonly system: Backend;
  private readonly engines: Readonly<Record<string, BackendFactory>>;
  private readonly authMethods: Readonly<Record<string, BackendFactory>>;
  private readonly lockoutPolicy: LockoutPolicy | undefined;
  private readonly log: Logger;
  private readonly clusterName: string | undefined;
  /** The physical store, wrapped so that each request's reads share one read barrier. */
  private readonly physical: RequestReads;
  private readonly beforeActivate: BeforeActivateHook | undefined;
  private readonly beforeInitialize: (() => Promise<void>) | undefined;
  private readonly configuredAudit: readonly AuditEnableConfig[];
  /** The type of each of {@link configuredAudit} and where it writes (its `file_path`). */
  private readonly configuredTargets: readonly { type: string; file: string }[];
  private auditEnsuring: Promise<void> | null = null;
  /** The last failure to enable the configured devices, logged once until it changes. */
  private auditEnableFailure: string | null = null;
  /** True while requests are refused for a missing configured device; logged on each change. */
  private auditRefusing = false;
  private active: ActiveState | null = null;
  private postUnsealRun: Promise<void> | null = null;
  private reloadRun: Promise<ActiveState> | null = null;
  /** Rate limit counters; they outlive reloads of the quota table. */
  private readonly limiter = new RateLimiter();
  /** Bumped by every seal: a post-unseal setup that started before it must not install itself. */
  private epoch = 0;

  constructor(options: CoreOptions) {
    this.log = options.logger ?? silentLogger;
    this.clock = new ClusterClock(options.now ?? Date.now);
    this.now = () => this.clock.now();
    this.clockBeaconMs = options.clockBeaconMs ?? CLOCK_BEACON_MS;
    this.cluster = options.cluster;
    this.storageType = options.storageType ?? 'raft';
    this.clusterName = options.clusterName;
    this.physical = new RequestReads(options.physical);
    this.beforeActivate = options.beforeActivate;
    this.beforeInitialize = options.beforeInitialize;
    this.configuredAudit = options.configuredAudit ?? [];
    this.configuredTargets = this.configuredAudit.map((config) => ({
      type: config.type,
      file: configuredFilePath(config),
    }));
    this.engines = options.engines ?? { [KV_MOUNT_TYPE]: createKvBackend };
    this.authMethods = options.authMethods ?? {};
    this.lockoutPolicy = options.lockout;
    this.barrier = new Barrier(this.physical, { logger: this.log, now: this.now });
    this.seal = new ShamirSeal(this.physical, this.barrier, { logger: this.log });
    this.system = createSystemBackend(this);
  }

  /** True until unsealed and set up, and again after {@link Core.sealNode}. */
  get sealed(): boolean {
    return this.active === null;
  }

  isInitialized(): Promise<boolean> {
    return this.seal.isInitialized();
  }

  /**
   * Initialises empty storage: the barrier and seal (Shamir shares), then, unsealed for a moment
   * with the new shares, the cluster identity, token salt, mount table and root token. The node
   * is left sealed, as Vault leaves it. Throws `BarrierAlreadyInitializedError` (400) when
   * initialised before and `InitOptionsError` (400) for options a Shamir seal cannot honour.
   */
  async initialize(request: InitRequest): Promise<InitResponse> {
    if ((request.pgpKeys?.length ?? 0) > 0) {
      throw new InitOptionsError('pgp_keys are not supported');
    }
    if ((request.recoveryShares ?? 0) !== 0 || (request.recoveryThreshold ?? 0) !== 0) {
      throw new InitOptionsError(
        'parameters recovery_shares,recovery_threshold not applicable to seal type shamir',
      );
    }
    if ((request.storedShares ?? 0) !== 0) {
      throw new InitOptionsError('stored_shares is not supported by the shamir seal');
    }

    await this.beforeInitialize?.();
    const result = await this.seal.initialize({
      secretShares: request.secretShares,
      secretThreshold: request.secretThreshold,
    });
    try {
      for (const key of result.keys.slice(0, result.secretThreshold)) {
        await this.seal.submitShare(key);
      }
      const services = await openServices(this.stateDeps());
      const { clientToken } = await services.tokens.createRoot();
      this.log.info({ shares: result.secretShares }, 'root token created');
      return { keys: result.keys, keysBase64: result.keysBase64, rootToken: clientToken };
    } finally {
      this.sealNode();
    }
  }

  async sealStatus(): Promise<SealStatusReport> {
    const status = await this.seal.status();
    return {
      ...status,
      sealed: this.active === null,
      version: REPORTED_VERSION,
      buildDate: BUILD_DATE,
      storageType: this.storageType,
      cluster: this.active?.identity ?? null,
    };
  }

  /**
   * Adds one unseal share. On the threshold-th the barrier opens and the core loads its state
   * (mount table, token store) before this resolves, so the returned status already says
   * unsealed. Seal errors (400s) pass through; a failed setup seals the node again and rejects.
   */
  async unseal(key: string): Promise<SealStatusReport> {
    const status = await this.seal.submitShare(key);
    if (!status.sealed) await this.postUnseal();
    return this.sealStatus();
  }

  /** Abandons the current unseal attempt. */
  async resetUnseal(): Promise<SealStatusReport> {
    await this.seal.reset();
    return this.sealStatus();
  }

  /** Seals this node: wipes every key and drops the unsealed state. Idempotent. */
  sealNode(): void {
    this.epoch += 1;
    this.retire(this.active);
    this.active = null;
    if (this.beaconTimer !== null) clearInterval(this.beaconTimer);
    this.beaconTimer = null;
    this.seal.seal();
  }

  /** The active key term (`sys/key-status`). Throws `SealedError` while sealed. */
  keyStatus(): KeyStatus {
    this.requireActive();
    return this.barrier.keyStatus();
  }

  /** Adds a key term and makes it active (`sys/rotate`). */
  async rotateKeyring(): Promise<KeyStatus> {
    this.requireActive();
    const status = await this.barrier.rotate();
    // The table stamp tells every other node to reload its tables, and the keyring with them,
    // at its next request: from then on it encrypts under the new term too.
    await this.touchTables();
    return status;
  }

  /** The mounted secrets engines, longest path first. */
  mounts(): MountEntry[] {
    return [...this.requireActive().mounts].sort((a, b) => b.path.length - a.path.length);
  }

  /** The enabled auth methods, token included, with their `auth/` prefix. */
  authMounts(): MountEntry[] {
    return [...this.requireActive().authMounts];
  }

  /** The auth method types this node can enable. */
  authTypes(): ReadonlySet<string> {
    return new Set(Object.keys(this.authMethods));
  }

  /** Replaces the auth table with `change(table)`, like {@link Core.changeMounts}. */
  async changeAuthMounts(
    change: (table: MountTable) => MountTable,
  ): Promise<{ before: MountTable; after: MountTable }> {
    this.requireActive();
    const core = this.storage('core/');
    const { table, bytes } = await readMountTable(core, AUTH_PATH);
    const after = change(table);
    await storeTable(core, AUTH_PATH, bytes, after);
    await this.reloadTables();
    return { before: table, after };
  }

  /**
   * After an auth method was disabled: revokes every token it issued (their leases are named
   * after the login path, `auth/<path>/...`, and with them their children and secrets), then
   * deletes its data.
   */
  async retireAuthMount(entry: MountEntry): Promise<void> {
    const summary = await this.requireActive().leases.revokePrefix(entry.path, { force: true });
    this.log.info({ mount: entry.path, revoked: summary.revoked }, 'auth method disabled');
    await clearStorage(this.storage(authStoragePrefix(entry)));
  }

  /** The policy store (sys/policy paths). Throws `VaultSealedError` while sealed. */
  policies(): PolicyStore {
    return this.requireActive().policies;
  }

  /** The ACL of a live token, or null. */
  async aclForToken(token: string): Promise<Acl | null> {
    const active = this.requireActive();
    const entry = await active.tokens.lookup(token);
    return entry === null ? null : active.policies.acl(entry.policies);
  }

  /** The ACL of the live token with `accessor`, or null. */
  async aclForAccessor(accessor: string): Promise<Acl | null> {
    const active = this.requireActive();
    const entry = await active.tokens.lookupByAccessor(accessor);
    return entry === null ? null : active.policies.acl(entry.policies);
  }

  /** Response wrapping (sys/wrapping paths). Throws `VaultSealedError` while sealed. */
  wrapping(): ResponseWrapper {
    return this.requireActive().wrapping;
  }

  /** The expiration manager (sys/leases paths). */
  leases(): ExpirationManager {
    return this.requireActive().leases;
  }

  /** The login lockout counters (sys/locked-users). */
  lockoutFor(): LoginLockout {
    this.requireActive();
    return new LoginLockout(this.storage('sys/lockout/'), this.now, this.lockoutPolicy);
  }

  /** The enabled audit devices. */
  auditDevices(): readonly AuditTableEntry[] {
    return this.requireActive().audit.list();
  }

  /** Enables an audit device, and tells the other nodes to reload their audit table. */
  async enableAudit(path: string, config: AuditEnableConfig): Promise<void> {
    await this.requireActive().audit.enable(path, config);
    await this.touchTables();
  }

  /** Disables an audit device; false when there was none. */
  async disableAudit(path: string): Promise<boolean> {
    const disabled = await this.requireActive().audit.disable(path);
    if (disabled) await this.touchTables();
    return disabled;
  }

  /** `input` hashed as the audit device at `path` logs it. */
  auditHash(path: string, input: string): Promise<string> {
    return this.requireActive().audit.hash(path, input);
  }

  /** Reopens the audit files (log rotation, SIGHUP). */
  async reopenAudit(): Promise<void> {
    await this.active?.audit.reopen();
  }

  /**
   * On the leader: enables the configured audit devices ({@link CoreOptions.configuredAudit})
   * that are not enabled, whether they never were (their directory is missing) or an operator
   * disabled one through `sys/audit`. Runs after each unseal and at every clock beacon round.
   * Resolves when done; a failure is logged (at error once, until the reason changes) and
   * retried at the next round or call.
   */
  ensureConfiguredAudit(): Promise<void> {
    const active = this.active;
    if (active === null || !this.cluster.isLeader()) return Promise.resolve();
    if (this.missingConfiguredAudit(active.audit) === null) return Promise.resolve();

    const epoch = this.epoch;
    this.auditEnsuring ??= this.enableConfiguredAudit()
      .then(() => {
        this.auditEnableFailure = null;
      })
      .catch((err: unknown) => {
        if (epoch !== this.epoch) return;
        const reason = err instanceof Error ? err.message : String(err);
        if (reason === this.auditEnableFailure) {
          this.log.debug({ err }, 'still failing to enable configured audit devices');
          return;
        }
        this.auditEnableFailure = reason;
        this.log.error({ err }, 'failed to enable configured audit devices');
      })
      .finally(() => {
        this.auditEnsuring = null;
      });
    return this.auditEnsuring;
  }

  /**
   * Refuses an audited request with `AuditFailedError` (500) while a configured audit device is
   * not enabled on this node: the operator asked for an audit log, so nothing is served without
   * it. The endpoints Vault never audits (seal status, unseal, health...) stay open, so a node
   * whose device cannot be enabled still reports its state. This runs for every request: one set
   * lookup per configured device, no storage read.
   */
  private assertConfiguredAudit(audit: AuditManager, path: string): void {
    if (this.configuredTargets.length === 0) return;
    const missing = this.missingConfiguredAudit(audit);
    if (missing === null) {
      if (this.auditRefusing) {
        this.auditRefusing = false;
        this.log.info({}, 'configured audit devices are enabled; serving requests again');
      }
      return;
    }
    if (!this.auditRefusing) {
      this.auditRefusing = true;
      this.log.error({ missing }, 'configured audit devices are not enabled; refusing requests');
    }
    if (isAuditedPath(path)) throw new AuditFailedError('request', { missing });
  }

  /** The `file_path` of each configured device `audit` has not enabled, or null for none. */
  private missingConfiguredAudit(audit: AuditManager): string[] | null {
    const enabled = ({ type, file }: { type: string; file: string }): boolean =>
      audit.hasDevice(type, file);
    if (this.configuredTargets.every(enabled)) return null;
    return this.configuredTargets.filter((target) => !enabled(target)).map(({ file }) => file);
  }

  private async enableConfiguredAudit(): Promise<void> {
    for (const config of this.configuredAudit) {
      const devices = this.auditDevices();
      const filePath = configuredFilePath(config);
      const present = devices.some(
        (device) => device.type === config.type && configuredFilePath(device) === filePath,
      );
      if (present) continue;
      const taken = new Set(devices.map((device) => device.path));
      let path = `${config.type}/`;
      for (let n = 2; taken.has(path); n += 1) path = `${config.type}-${n}/`;
      await this.enableAudit(path, config);
      this.log.info({ path, type: config.type }, 'enabled a configured audit device');
    }
  }

  /** Rewrites the table stamp, so every node reloads its tables at its next request. */
  private async touchTables(): Promise<void> {
    await this.storage('core/').put(TABLE_STAMP_PATH, randomBytes(16));
    await this.reloadTables();
  }

  /**
   * What a login token's auth method says to its renewal, after it re-checked the login
   * (renewLogin): its role's TTL settings as they are now, with the mount's default TTL for a
   * role that sets none and the mount's max TTL as a cap, as at login. A rejection refuses the
   * renewal. A method that cannot re-check a login leaves the terms of the login in force.
   */
  private async renewLogin(
    entry: TokenEntry,
    connection: ConnectionInfo,
  ): Promise<LoginRenewalTerms> {
    const login = entry.login;
    const kept = { maxTtl: login?.maxTtl ?? 0, ttl: entry.creationTtl, period: entry.period };
    if (login === undefined) return kept;
    const active = this.requireActive();
    const mount = active.authMounts.find((m) => m.accessor === login.mountAccessor);
    if (mount === undefined) {
      throw new InvalidRequestError('the auth method that issued this token is gone');
    }
    const backend = active.router.match(mount.path)?.backend as Partial<AuthBackend> | undefined;
    let terms: LoginRenewalTerms = kept;
    if (backend?.renewLogin !== undefined) {
      const fields = await backend.renewLogin(
        {
          alias: login.alias,
          metadata: entry.meta ?? {},
          internal: login.internal,
          policies: entry.policies,
        },
        connection,
      );
      terms = {
        maxTtl: fields.maxTtl,
        ttl: fields.ttl > 0 ? fields.ttl : mount.config.defaultLeaseTtl,
        period: fields.period,
      };
    }
    const mountMax = mount.config.maxLeaseTtl;
    if (mountMax > 0 && (terms.maxTtl === 0 || mountMax < terms.maxTtl)) {
      terms = { ...terms, maxTtl: mountMax };
    }
    return terms;
  }

  /** The cluster's name and id, or null while sealed. */
  identity(): ClusterIdentity | null {
    return this.active?.identity ?? null;
  }

  /**
   * Leader: issues a join challenge to `nodeId`: a random 32-byte answer stored through the
   * barrier at {@link joinChallengePath}, replacing any earlier one, and returned only as
   * ciphertext together with the records a joiner needs to unseal (see
   * {@link JoinChallengeRecords}). Throws `VaultSealedError` (503) while sealed and
   * `InvalidRequestError` (400) for a node id that could not be a certificate's common name.
   */
  async createJoinChallenge(nodeId: string): Promise<JoinChallengeRecords> {
    this.requireActive();
    assertJoinNodeId(nodeId);
    const challengePath = joinChallengePath(nodeId);
    const answer = randomBytes(CHALLENGE_BYTES);
    try {
      await this.barrier.put(challengePath, answer);
    } finally {
      wipe(answer);
    }

    const records: Record<string, string> = {};
    for (const path of [SEAL_CONFIG_PATH, ROOT_KEY_PATH, KEYRING_PATH, challengePath]) {
      const stored = await this.physical.get(path);
      if (stored === undefined) throw new CoreStateCorruptError(path);
      records[path] = Buffer.from(stored).toString('base64');
    }
    this.log.info({ nodeId }, 'join challenge issued');
    return { records, challengePath };
  }

  /**
   * Leader: checks `answer` (base64) against the challenge issued to `nodeId`, in constant time,
   * and deletes the challenge whatever the outcome, so each challenge gets one answer. Resolves
   * when it matched; throws `InvalidRequestError` (400) when no challenge is pending or the answer
   * is wrong, and `VaultSealedError` (503) while sealed.
   */
  async checkJoinAnswer(nodeId: string, answer: string): Promise<void> {
    this.requireActive();
    assertJoinNodeId(nodeId);
    const challengePath = joinChallengePath(nodeId);
    const expected = await this.barrier.get(challengePath);
    if (expected === undefined) {
      throw new InvalidRequestError('no join challenge is pending for this node', { nodeId });
    }
    await this.barrier.delete(challengePath);

    const given = Buffer.from(answer, 'base64');
    const matches =
      given.length === expected.byteLength && timingSafeEqual(given, Buffer.from(expected));
    wipe(given);
    wipe(expected);
    if (!matches) {
      this.log.warn({ nodeId }, 'refused a wrong join answer');
      throw new InvalidRequestError('invalid join answer', { nodeId });
    }
  }

  /**
   * The key that authenticates this cluster's snapshots: HMAC-SHA256 over their checksums. With
   * `create`, one is made (random, stored at {@link SNAPSHOT_KEY_PATH}) when there is none yet;
   * without, null means there is none. Throws `VaultSealedError` (503) while sealed.
   */
  async snapshotKey(options: { create: boolean }): Promise<Uint8Array | null> {
    this.requireActive();
    const stored = await this.barrier.get(SNAPSHOT_KEY_PATH);
    if (stored !== undefined || !options.create) return stored ?? null;

    const key = randomBytes(SNAPSHOT_KEY_BYTES);
    const put = { type: 'put', path: SNAPSHOT_KEY_PATH, value: key } as const;
    try {
      await this.barrier.batch([{ ...put, condition: { ifAbsent: true } }]);
      this.log.info({}, 'snapshot key created');
      return key;
    } catch (err) {
      // Another node created it first: use that one.
      if (!(err instanceof BarrierConditionFailedError)) throw err;
      return (await this.barrier.get(SNAPSHOT_KEY_PATH)) ?? null;
    }
  }

  /**
   * Brings this node in line with a replicated state that a snapshot restore (or an installed
   * Raft snapshot) replaced under it. Never rejects.
   *
   * - `seal`: the state may belong to another cluster, so the node seals and forgets its cached
   *   seal configuration; from then on that cluster's shares unseal it.
   * - unsealed: it adopts the stored keyring and rebuilds what it loaded at unseal (identity,
   *   token store, mount table). If that fails, the keys in memory do not open the new state, and
   *   the node seals as above.
   * - sealed: it forgets the cached seal configuration, unless an unseal is under way (a joining
   *   node is sent a Raft snapshot in the middle of its unseal; that must not undo it).
   */
  async afterRestore(options: { seal: boolean }): Promise<void> {
    const epoch = this.epoch;
    const active = this.active !== null;
    if (!options.seal && !active) {
      const status = await this.seal.status().catch(() => null);
      const idle = status !== null && this.barrier.sealed && status.nonce === '';
      if (idle && epoch === this.epoch) this.resetSeal();
      return;
    }
    if (!options.seal) {
      try {
        await this.barrier.reloadKeyring();
        const state = await this.buildActiveState();
        if (epoch !== this.epoch || this.barrier.sealed) return;
        this.retire(this.active);
        this.install(state);
        this.steerLeases();
        this.log.info({ mounts: state.router.entries().length }, 'core state reloaded');
        return;
      } catch (err) {
        if (epoch !== this.epoch) return;
        this.log.error({ err }, "the restored state does not open with this node's keys");
      }
    }
    this.sealNode();
    this.resetSeal();
    if (active) this.log.warn({}, 'sealed after a snapshot restore; unseal with its keys');
  }

  /**
   * Where a request on `path` is served. Sealed nodes and the never-forwarded paths answer
   * themselves (a sealed node with a 503); otherwise a follower forwards to the leader, or
   * reports that there is none.
   */
  forwardingDecision(path: string, operation?: Operation): ForwardingDecision {
    const traits = pathTraits(path);
    if (traits.localOnly || this.cluster.isLeader()) return 'local';
    if (this.active === null && !traits.worksSealed) return 'local';
    if (this.cluster.leader() === null) {
      // An empty node that knows no leader runs no Raft yet: `sys/init` makes it found a cluster
      // (CoreOptions.beforeInitialize). Any other node answers it too: it is initialised already.
      return path === 'sys/init' ? 'local' : 'no-leader';
    }
    // A follower answers reads itself after a read index with the leader (DESIGN.md, "The read
    // path"); raw-body paths (snapshots) and the leader's own observations stay with the leader.
    const reads = operation === 'read' || operation === 'list';
    const local = reads && this.active !== null && !traits.rawBody && !traits.leaderOnly;
    return local ? 'local-read' : 'forward';
  }

  /** True when `path` takes its request body as bytes (snapshot restore), not JSON. */
  takesRawBody(path: string): boolean {
    return pathTraits(path).rawBody;
  }

  /**
   * Runs `request` through the pipeline. Resolves to the handler's response (null: nothing to
   * say). Rejects with `VaultSealedError` (503) while sealed, `AuditFailedError` (500) for an
   * audited path while a configured audit device is not enabled on this node,
   * `PermissionDeniedError` (403) for a missing, unknown or expired token, `UnsupportedPathError`
   * (404) when no mount serves the path, and whatever the handler throws.
   *
   * The request has one linearization point: its first storage read takes a read barrier (a
   * read index started after the request arrived) and all its reads are then served from this
   * node's state machine (request-reads.ts). Writes remain proposals.
   */
  async handleRequest(
    request: Request,
    options: { readOnly?: boolean } = {},
  ): Promise<Response | null> {
    assertRequestPath(request.path);
    return this.physical.run(() => this.serve(request), options);
  }

  private async serve(request: Request): Promise<Response | null> {
    const traits = pathTraits(request.path);
    if (traits.worksSealed) return this.handleSystem(request);

    const active = await this.currentState();
    this.assertConfiguredAudit(active.audit, request.path);
    this.limiter.check(request.path, request.connection.remoteAddress);
    return runPipeline(
      { ...active, lockout: this.lockoutFor() },
      { system: this.system, log: this.log, now: this.now },
      request,
      traits,
    );
  }

  /**
   * The unsealed state, reloaded first when another node changed a core table (mounts) since it
   * was loaded: each change rewrites the table stamp, and each request compares it (one read
   * under the request's read barrier). Throws `VaultSealedError` while sealed.
   */
  private async currentState(): Promise<ActiveState> {
    const active = this.requireActive();
    const stamp = (await this.barrier.get(`core/${TABLE_STAMP_PATH}`)) ?? null;
    if (sameBytes(stamp, active.stamp)) return active;
    return this.reloadTables();
  }

  /** Rebuilds the unsealed state from storage (shared by concurrent callers). */
  private reloadTables(): Promise<ActiveState> {
    if (this.reloadRun !== null) return this.reloadRun;
    const epoch = this.epoch;
    const current = this.requireActive();
    const run = this.barrier
      .reloadKeyring()
      .then(() => loadTables(this.stateDeps(), current, current))
      .then((tables) => {
        if (epoch !== this.epoch || this.barrier.sealed) throw new VaultSealedError();
        const state: ActiveState = { ...current, ...tables };
        this.install(state);
        this.log.info({ mounts: state.router.entries().length }, 'core tables reloaded');
        return state;
      });
    this.reloadRun = run.finally(() => {
      this.reloadRun = null;
    });
    return this.reloadRun;
  }

  /**
   * Replaces the mount table with `change(table)`, conditionally on nobody having changed it
   * since it was read (`ConflictError`, 409, otherwise), and reloads this node's tables. The
   * others reload at their next request (the table stamp). Resolves to the table before and
   * after.
   */
  async changeMounts(
    change: (table: MountTable) => MountTable,
  ): Promise<{ before: MountTable; after: MountTable }> {
    this.requireActive();
    const core = this.storage('core/');
    const { table, bytes } = await readMountTable(core);
    const after = change(table);
    await storeTable(core, MOUNTS_PATH, bytes, after);
    await this.reloadTables();
    return { before: table, after };
  }

  /** Replaces the quota table with `change(table)`, like {@link Core.changeMounts}. */
  async changeQuotas(change: (table: QuotaTable) => QuotaTable): Promise<QuotaTable> {
    this.requireActive();
    const core = this.storage('core/');
    const { table, bytes } = await readQuotaTable(core);
    const after = change(table);
    await storeTable(core, QUOTAS_PATH, bytes, after);
    await this.reloadTables();
    return after;
  }

  /** The quotas in force on this node. Throws `VaultSealedError` while sealed. */
  quotas(): QuotaTable {
    return this.requireActive().quotas;
  }

  /** Deletes every record of a mount that was disabled, in batches. */
  async clearMountData(entry: MountEntry): Promise<number> {
    return clearStorage(this.storage(mountStoragePrefix(entry)));
  }

  /** The engine types this node can mount. */
  engineTypes(): ReadonlySet<string> {
    return new Set(Object.keys(this.engines));
  }

  /** Makes `state` the unsealed state. */
  private install(state: ActiveState): void {
    this.active = state;
    this.limiter.setTable(state.quotas);
  }

  private handleSystem(request: Request): Promise<Response | null> {
    const relative = request.path === 'sys' ? '' : request.path.slice('sys/'.length);
    return this.system.handleRequest({
      ...request,
      path: relative,
      mountPoint: 'sys/',
      mountType: 'system',
    });
  }

  /**
   * Loads the unsealed state once per unseal; concurrent callers share the run. If the node is
   * sealed while it runs, its result is dropped. If it fails, the node is sealed again.
   */
  private postUnseal(): Promise<void> {
    if (this.active !== null) return Promise.resolve();
    if (this.postUnsealRun !== null) return this.postUnsealRun;

    const epoch = this.epoch;
    const run = this.activate().then(
      (state) => {
        if (epoch !== this.epoch || this.barrier.sealed) return;
        this.install(state);
        this.startClockBeacon();
        this.steerLeases();
        this.log.info({ mounts: state.router.entries().length }, 'core unsealed and active');
        this.ensureConfiguredAudit();
      },
      (err: unknown) => {
        this.log.error({ err }, 'failed to load core state after unseal; sealing again');
        if (epoch === this.epoch) this.sealNode();
        throw err;
      },
    );
    this.postUnsealRun = run.finally(() => {
      this.postUnsealRun = null;
    });
    return this.postUnsealRun;
  }

  /**
   * While unsealed: the leader writes the cluster clock to the beacon, and every node reads the
   * beacon back into its clock (cluster-clock.ts). A failed round is retried at the next one.
   */
  private startClockBeacon(): void {
    if (this.clockBeaconMs <= 0 || this.beaconTimer !== null) return;
    let running = false;
    const round = async (): Promise<void> => {
      this.steerLeases();
      this.ensureConfiguredAudit();
      if (this.cluster.isLeader()) {
        await this.barrier.put(CLOCK_BEACON_PATH, encodeBeacon(this.clock.now()));
      } else {
        const time = decodeBeacon(await this.barrier.get(CLOCK_BEACON_PATH));
        if (time !== null) this.clock.observe(time);
      }
    };
    this.beaconTimer = setInterval(() => {
      if (running || this.active === null) return;
      running = true;
      round()
        .catch((err: unknown) => this.log.debug({ err }, 'clock beacon round failed'))
        .finally(() => {
          running = false;
        });
    }, this.clockBeaconMs);
    this.beaconTimer.unref();
  }

  /** Runs the {@link CoreOptions.beforeActivate} hook, then loads the state from storage. */
  private async activate(): Promise<ActiveState> {
    if (this.beforeActivate !== undefined) {
      await this.beforeActivate(async (path) => (await this.barrier.get(path)) ?? null);
    }
    return this.buildActiveState();
  }

  private async buildActiveState(): Promise<ActiveState> {
    const deps = this.stateDeps();
    const services = await openServices(deps);
    const tables = await loadTables(deps, services, null);
    return { ...services, ...tables };
  }

  private stateDeps(): ActiveStateDeps {
    return {
      storage: (prefix) => this.storage(prefix),
      log: this.log,
      now: this.now,
      clusterName: this.clusterName,
      engines: this.engines,
      authMethods: this.authMethods,
      currentRouter: () => this.active?.router ?? null,
      renewLogin: (entry, connection) => this.renewLogin(entry, connection),
    };
  }

  /**
   * Runs the expiration manager on the leader only (vault-api.md §4): started when this node
   * leads and is unsealed, stopped when it no longer leads. Called at unseal and at every clock
   * beacon round, so a leadership change is noticed within one round.
   */
  private steerLeases(): void {
    const leases = this.active?.leases;
    if (leases === undefined) return;
    const leading = this.cluster.isLeader();
    if (leading && !leases.isRunning) {
      leases.start().catch((err: unknown) => this.log.error({ err }, 'failed to load leases'));
      this.log.info({}, 'expiration manager started');
    } else if (!leading && leases.isRunning) {
      leases.stop();
      this.log.info({}, 'expiration manager stopped');
    }
  }

  /** Stops what an unsealed state runs: the expiration manager and the audit devices. */
  private retire(state: ActiveState | null): void {
    if (state === null) return;
    state.leases.stop();
    state.audit.close().catch((err: unknown) => this.log.warn({ err }, 'closing audit devices failed'));
  }

  /** A fresh seal, which reads the seal configuration again from storage. */
  private resetSeal(): void {
    this.seal = new ShamirSeal(this.physical, this.barrier, { logger: this.log });
  }

  private storage(prefix: string): Storage {
    return new BarrierBackedStorage(this.barrier.view(prefix));
  }

  private requireActive(): ActiveState {
    if (this.active === null) throw new VaultSealedError();
    return this.active;
  }
}

/** Where a file audit device writes: its `file_path` option, or `path`, which Vault takes too. */
function configuredFilePath(config: Pick<AuditEnableConfig, 'options'>): string {
  return config.options?.file_path ?? config.options?.path ?? '';
}

function assertJoinNodeId(nodeId: string): void {
  if (!isValidNodeId(nodeId)) throw new InvalidRequestError('invalid server_id', { nodeId });
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Deletes everything below `storage`'s root, depth first, 128 records per batch. */
async function clearStorage(storage: Storage): Promise<number> {
  const paths: string[] = [];
  const walk = async (prefix: string): Promise<void> => {
    for (const child of await storage.list(prefix)) {
      if (child.endsWith('/')) await walk(prefix + child);
      else paths.push(prefix + child);
    }
  };
  await walk('');
  for (let start = 0; start < paths.length; start += 128) {
    const chunk = paths.slice(start, start + 128);
    await storage.batch(chunk.map((path) => ({ type: 'delete', path }) as const));
  }
  return paths.length;
}
