/**
 * What exists only while a node is unsealed, and how it is built from storage.
 *
 * Two parts with two lifetimes:
 * - {@link ActiveServices}, opened once per unseal: the cluster identity, the token store, the
 *   policy store, the expiration manager and the audit devices. They hold caches and timers, so
 *   a table reload must not make new ones.
 * - {@link ActiveTables}, loaded at unseal and again whenever another node changed a core table
 *   (the table stamp moved, core.ts): the mount and auth tables and the router over them, the
 *   quota table, and the audit table (the devices are reopened only when it changed).
 *
 * Storage layout behind the barrier, as Vault lays it out: `sys/token/` (tokens), `sys/policy/`
 * (policies), `sys/expire/` (leases), `core/` (tables, identity, audit table),
 * `core/audit-device/<uuid>/` (a device's salt), `logical/<uuid>/` (a secrets engine's data),
 * `auth/<uuid>/` (an auth method's data) and `cubbyhole/` (every token's cubbyhole, keyed by the
 * token's hashed id).
 *
 * The cubbyhole engine is mounted here, at `cubbyhole/`, on every load, and is no entry of the
 * stored mount table: it cannot be disabled or moved. Its entry (accessor, uuid) is derived from
 * the cluster id, so every node and every reload reports the same one in `sys/mounts`.
 */
import { createHash } from 'node:crypto';

import { AUDIT_TABLE_KEY, AuditManager } from '../audit/manager.js';
import { ExpirationManager } from '../leases/expiration-manager.js';
import type { LeaseRecord } from '../leases/types.js';
import {
  createCubbyholeBackend,
  CUBBYHOLE_MOUNT_PATH,
  CUBBYHOLE_MOUNT_TYPE,
  destroyCubbyhole,
} from '../engines/cubbyhole/index.js';
import type { Backend, BackendFactory } from '../logical/backend.js';
import type { ConnectionInfo } from '../logical/request.js';
import type { Storage } from '../logical/storage.js';
import { PolicyStore } from '../policy/policy-store.js';
import { createTokenBackend } from '../tokens/backend.js';
import { TokenStore } from '../tokens/token-store.js';
import type { LoginRenewalTerms, TokenEntry } from '../tokens/types.js';
import type { Logger } from '../util/logger.js';
import { loadOrCreateIdentity, type ClusterIdentity } from './cluster-identity.js';
import {
  AUTH_PATH,
  loadOrCreateMountTable,
  mountStoragePrefix,
  MOUNTS_PATH,
  TOKEN_MOUNT_TYPE,
  type MountEntry,
} from './mount-table.js';
import { readQuotaTable, type QuotaTable } from './quotas.js';
import { Router, type MountedBackend } from './router.js';
import { TABLE_STAMP_PATH } from './mount-admin.js';
import { ResponseWrapper } from './wrapping.js';

/** Where every token's cubbyhole lives behind the barrier. */
export const CUBBYHOLE_STORAGE_PREFIX = 'cubbyhole/';

export interface ActiveServices {
  readonly identity: ClusterIdentity;
  readonly tokens: TokenStore;
  readonly policies: PolicyStore;
  readonly leases: ExpirationManager;
  readonly audit: AuditManager;
  /** Wraps responses into the cubbyholes of wrapping tokens, and unwraps them (wrapping.ts). */
  readonly wrapping: ResponseWrapper;
  /** The enabled auth methods the token store asks about login tokens; tables replace them. */
  readonly issuers: AuthIssuers;
}

export interface ActiveTables {
  /** Secrets engines, auth methods and the token method, longest path first. */
  readonly router: Router;
  /** The secrets engine mounts (`sys/mounts`), the built-in `cubbyhole/` among them. */
  readonly mounts: readonly MountEntry[];
  /** The auth method mounts, token included (`sys/auth`), with their `auth/` prefix. */
  readonly authMounts: readonly MountEntry[];
  readonly quotas: QuotaTable;
  /** The table stamp the tables were loaded at (mount-admin.ts); null before any change. */
  readonly stamp: Uint8Array | null;
  /** The audit table's bytes as loaded, to tell whether a reload must reopen the devices. */
  readonly auditTable: Uint8Array | null;
}

export type ActiveState = ActiveServices & ActiveTables;

/** What building the state needs from the core. */
export interface ActiveStateDeps {
  /** A barrier view under `prefix`, as logical storage. */
  readonly storage: (prefix: string) => Storage;
  readonly log: Logger;
  /** The cluster clock, milliseconds. */
  readonly now: () => number;
  readonly clusterName: string | undefined;
  readonly engines: Readonly<Record<string, BackendFactory>>;
  readonly authMethods: Readonly<Record<string, BackendFactory>>;
  /** The router in force when a lease is revoked (it may have been reloaded since). */
  readonly currentRouter: () => Router | null;
  /** Asks the auth method that issued a login token about its renewal (core.ts). */
  readonly renewLogin: (
    entry: TokenEntry,
    connection: ConnectionInfo,
  ) => Promise<LoginRenewalTerms>;
}

/**
 * The accessors of the enabled auth methods, as the last {@link loadTables} found them. The
 * token store lives for a whole unseal while the tables are reloaded, so it asks this whether
 * the mount that issued a login token is still enabled: the one place that rule is kept.
 */
export class AuthIssuers {
  private accessors: ReadonlySet<string> = new Set();

  /** Whether the auth mount with `accessor` is enabled. */
  has(accessor: string): boolean {
    return this.accessors.has(accessor);
  }

  replace(entries: readonly MountEntry[]): void {
    this.accessors = new Set(entries.map((entry) => entry.accessor));
  }
}

/** Where an auth method's data lives behind the barrier. */
export function authStoragePrefix(entry: MountEntry): string {
  return `auth/${entry.uuid}/`;
}

/** Where the audit device with `uuid` keeps its salt. */
function auditDevicePrefix(uuid: string): string {
  return `core/audit-device/${uuid}/`;
}

/**
 * Opens the services of a fresh unseal. The expiration manager is created stopped: the core
 * starts it on the leader. The token store revokes a token's secret leases and destroys its
 * cubbyhole before the token.
 */
export async function openServices(deps: ActiveStateDeps): Promise<ActiveServices> {
  const core = deps.storage('core/');
  const identity = await loadOrCreateIdentity(core, deps.clusterName);
  const cubbyhole = deps.storage(CUBBYHOLE_STORAGE_PREFIX);

  let tokens: TokenStore | null = null;
  const issuers = new AuthIssuers();
  const leases = new ExpirationManager({
    storage: deps.storage('sys/expire/'),
    now: deps.now,
    logger: deps.log,
    revokers: {
      token: async (lease) => {
        if (lease.ownerToken !== null) await tokens?.revokeByHashedId(lease.ownerToken);
      },
      secret: (lease) => revokeSecretLease(deps, lease),
    },
  });
  tokens = await TokenStore.open({
    storage: deps.storage('sys/token/'),
    now: deps.now,
    logger: deps.log,
    expiry: leases,
    onRevoke: async (entries) => {
      for (const entry of entries) {
        await leases.revokeByToken(entry.hashedId);
        await destroyCubbyhole(cubbyhole, entry.hashedId);
      }
    },
    onRenewLogin: deps.renewLogin,
    isIssuerLive: (accessor) => issuers.has(accessor),
  });
  const policies = await PolicyStore.open(deps.storage('sys/policy/'), { logger: deps.log });
  const audit = new AuditManager({
    storage: core,
    deviceStorage: (uuid) => deps.storage(auditDevicePrefix(uuid)),
    logger: deps.log,
    now: Date.now,
  });
  const wrapping = new ResponseWrapper({ tokens, cubbyhole, now: deps.now, log: deps.log });
  return { identity, tokens, policies, leases, audit, wrapping, issuers };
}

/**
 * Loads the tables; reopens the audit devices when their table differs from `previous`, and
 * tells the token store's {@link AuthIssuers} which auth methods are enabled now.
 */
export async function loadTables(
  deps: ActiveStateDeps,
  services: ActiveServices,
  previous: ActiveTables | null,
): Promise<ActiveTables> {
  const core = deps.storage('core/');
  const stamp = (await core.get(TABLE_STAMP_PATH)) ?? null;
  const mountTable = await loadOrCreateMountTable(core, MOUNTS_PATH);
  const authTable = await loadOrCreateMountTable(core, AUTH_PATH);
  const { table: quotas } = await readQuotaTable(core);

  const auditTable = (await core.get(AUDIT_TABLE_KEY)) ?? null;
  if (previous === null || !sameBytes(auditTable, previous.auditTable)) {
    await services.audit.load();
  }

  const cubbyholeEntry = cubbyholeMount(services.identity);
  const mounted: MountedBackend[] = [
    {
      entry: cubbyholeEntry,
      backend: createCubbyholeBackend(deps.storage(CUBBYHOLE_STORAGE_PREFIX)),
    },
  ];
  for (const entry of mountTable.entries) {
    const backend = await build(deps, deps.engines, entry, mountStoragePrefix(entry));
    if (backend !== null) mounted.push({ entry, backend });
  }
  for (const entry of authTable.entries) {
    const backend =
      entry.type === TOKEN_MOUNT_TYPE
        ? createTokenBackend(services.tokens, { now: deps.now, mountPath: entry.path })
        : await build(deps, deps.authMethods, entry, authStoragePrefix(entry));
    if (backend !== null) mounted.push({ entry, backend });
  }
  services.issuers.replace(authTable.entries);
  return {
    router: new Router(mounted),
    mounts: [...mountTable.entries, cubbyholeEntry],
    authMounts: authTable.entries,
    quotas,
    stamp,
    auditTable,
  };
}

/**
 * The built-in cubbyhole mount as `sys/mounts` reports it: local, as in Vault (each token's
 * cubbyhole still replicates within the Raft cluster). Its ids are derived from the cluster id.
 */
export function cubbyholeMount(identity: ClusterIdentity): MountEntry {
  const digest = createHash('sha256').update(`cubbyhole:${identity.id}`).digest('hex');
  const uuid = [
    digest.slice(0, 8),
    digest.slice(8, 12),
    digest.slice(12, 16),
    digest.slice(16, 20),
    digest.slice(20, 32),
  ].join('-');
  return {
    path: CUBBYHOLE_MOUNT_PATH,
    type: CUBBYHOLE_MOUNT_TYPE,
    description: 'per-token private secret storage',
    accessor: `${CUBBYHOLE_MOUNT_TYPE}_${digest.slice(32, 40)}`,
    uuid,
    options: {},
    config: { defaultLeaseTtl: 0, maxLeaseTtl: 0, forceNoCache: false },
    local: true,
    sealWrap: false,
  };
}

async function build(
  deps: ActiveStateDeps,
  factories: Readonly<Record<string, BackendFactory>>,
  entry: MountEntry,
  prefix: string,
): Promise<Backend | null> {
  const factory = factories[entry.type];
  if (factory === undefined) {
    deps.log.error({ mount: entry.path, type: entry.type }, 'unknown backend type; not mounted');
    return null;
  }
  return factory({
    storage: deps.storage(prefix),
    logger: deps.log,
    mountPath: entry.path,
    options: entry.options,
    now: deps.now,
  });
}

/**
 * Revokes a secret lease through the backend mounted where it was created. A lease whose mount
 * is gone has nothing left to revoke; a backend without `revokeSecret` keeps nothing to undo.
 */
async function revokeSecretLease(deps: ActiveStateDeps, lease: LeaseRecord): Promise<void> {
  const match = deps.currentRouter()?.match(lease.path) ?? null;
  if (match === null || match.backend.revokeSecret === undefined) return;
  await match.backend.revokeSecret({
    leaseId: lease.id,
    path: match.relativePath,
    internal: lease.internal,
  });
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
