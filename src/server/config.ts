/**
 * Reads Vault's server configuration format into a {@link ServerConfig}: `coffer server -config
 * <path>` takes one `.hcl` or `.json` file, or a directory whose `*.hcl` and `*.json` files are
 * merged in name order, as Vault does. Everything is checked here, once, before any layer starts:
 * unknown and unsupported keys, types, ranges, required keys and contradictions, each reported
 * as a {@link ConfigError} that names the file, the line and the key.
 *
 * Accepted blocks and keys (see config-types.ts for meanings and defaults):
 * - `storage "raft" { path, node_id, performance_multiplier, snapshot_threshold,
 *   snapshot_interval, trailing_logs, retry_join { leader_api_addr, leader_ca_cert_file,
 *   leader_client_cert_file, leader_client_key_file } }`, exactly once;
 * - `listener "tcp" { address, cluster_address, tls_disable, tls_cert_file, tls_key_file,
 *   tls_client_ca_file, tls_require_and_verify_client_cert, max_request_size }`, at least once;
 * - `api_addr`, `cluster_addr`, `cluster_name`, `ui`, `log_level`, `disable_mlock`,
 *   `default_lease_ttl`, `max_lease_ttl`, `pid_file`;
 * - Coffer's own `cluster_tls { ca_file, cert_file, key_file }` and `audit "file" { file_path,
 *   mode }`.
 * When a directory is merged, listeners and audit devices accumulate, `storage` may appear in
 * one file only, and any other key set in a later file overrides an earlier one.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { HclSyntaxError, parseHcl } from '../util/hcl.js';
import { ConfigError } from './config-errors.js';
import { ConfigSection } from './config-reader.js';
import type {
  AuditDeviceConfig,
  ClusterTlsConfig,
  ListenerConfig,
  LogLevel,
  RaftStorageConfig,
  RetryJoinConfig,
  ServerConfig,
  UserLockoutConfig,
} from './config-types.js';
import { CONFIG_DEFAULTS, LOG_LEVELS } from './config-types.js';
import {
  CLUSTER_TLS,
  FILE_AUDIT,
  LOG_LEVEL_ALIASES,
  NODE_ID,
  RAFT_STORAGE,
  RETRY_JOIN,
  TCP_LISTENER,
  TOP_LEVEL,
  USER_LOCKOUT,
} from './config-keys.js';
import { formatHostPort, isWildcardHost, parseHostPort } from './config-values.js';

export { ConfigError } from './config-errors.js';
export { CONFIG_DEFAULTS, LOG_LEVELS } from './config-types.js';
export type * from './config-types.js';

/**
 * Reads the config file at `configPath`, or every `*.hcl` and `*.json` file in it when it is a
 * directory, and returns the merged, defaulted, validated configuration.
 *
 * @throws ConfigError when a file cannot be read or holds an invalid configuration.
 */
export async function loadServerConfig(configPath: string): Promise<ServerConfig> {
  let files = [configPath];
  try {
    if ((await stat(configPath)).isDirectory()) {
      const names = (await readdir(configPath)).filter((name) => /\.(hcl|json)$/.test(name));
      files = names.sort().map((name) => path.join(configPath, name));
    }
  } catch (cause) {
    const reason = 'cannot read the configuration';
    throw new ConfigError(configPath, undefined, undefined, reason, { cause });
  }
  if (files.length === 0) {
    const reason = 'no .hcl or .json files in this directory';
    throw new ConfigError(configPath, undefined, undefined, reason);
  }

  const fragments: ConfigFragment[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new ConfigError(file, undefined, undefined, 'cannot read the configuration', { cause });
    }
    fragments.push(await parseFragment(file, text));
  }
  return mergeFragments(configPath, fragments);
}

/**
 * Parses one configuration document (HCL, or JSON when `filename` ends in `.json` or the text
 * starts with `{`). Relative paths in it resolve against the directory of `filename`.
 *
 * @throws ConfigError when the text is not a valid configuration.
 */
export async function parseServerConfig(filename: string, text: string): Promise<ServerConfig> {
  return mergeFragments(filename, [await parseFragment(filename, text)]);
}

// ---------------------------------------------------------------------------------------------
// One file

/** A block's result with the section to blame in checks made after merging. */
interface Sourced<T> {
  readonly config: T;
  readonly section: ConfigSection;
}

/** What one file sets, validated on its own. */
interface ConfigFragment {
  readonly root: ConfigSection;
  readonly storage: Sourced<RaftStorageConfig> | undefined;
  readonly listeners: readonly Sourced<ListenerConfig>[];
  readonly audit: readonly AuditDeviceConfig[];
  readonly clusterTls: ClusterTlsConfig | undefined;
  readonly userLockout: UserLockoutConfig | undefined;
  readonly settings: Settings;
}

/** The top-level keys that hold a single value; a later file overrides an earlier one. */
interface Settings {
  readonly apiAddr?: string;
  readonly clusterAddr?: string;
  readonly clusterName?: string;
  readonly ui?: boolean;
  readonly logLevel?: LogLevel;
  readonly disableMlock?: boolean;
  readonly defaultLeaseTtlMs?: number;
  readonly maxLeaseTtlMs?: number;
  readonly pidFile?: string;
}

async function parseFragment(filename: string, text: string): Promise<ConfigFragment> {
  let root: ConfigSection;
  try {
    root = ConfigSection.root(await parseHcl(filename, text), TOP_LEVEL);
  } catch (error) {
    if (!(error instanceof HclSyntaxError)) throw error;
    throw new ConfigError(filename, error.line, undefined, error.reason, { cause: error });
  }

  const storageBlocks = root.blocks('storage', 1, (labels) =>
    labels[0] === 'raft' ? RAFT_STORAGE : undefined,
  );
  if (storageBlocks.length > 1) {
    storageBlocks[1].fail(undefined, 'storage may be defined only once');
  }
  const storage = storageBlocks.map((section) => ({ config: readStorage(section), section }))[0];

  const listeners = root
    .blocks('listener', 1, (labels) => (labels[0] === 'tcp' ? TCP_LISTENER : undefined))
    .map((section) => ({ config: readListener(section), section }));

  const clusterTlsBlocks = root.blocks('cluster_tls', 0, CLUSTER_TLS);
  if (clusterTlsBlocks.length > 1) {
    clusterTlsBlocks[1].fail(undefined, 'cluster_tls may be defined only once');
  }
  const clusterTls = clusterTlsBlocks.map(readClusterTls)[0];

  const audit = root
    .blocks('audit', 1, (labels) => (labels[0] === 'file' ? FILE_AUDIT : undefined))
    .map(readAudit);

  const lockoutBlocks = root.blocks('user_lockout', 1, (labels) =>
    labels[0] === 'all' ? USER_LOCKOUT : undefined,
  );
  if (lockoutBlocks.length > 1) {
    lockoutBlocks[1].fail(undefined, 'user_lockout may be defined only once');
  }
  const userLockout = lockoutBlocks.map(readUserLockout)[0];

  return {
    root,
    storage,
    listeners,
    audit,
    clusterTls,
    userLockout,
    settings: readSettings(root),
  };
}

function readSettings(root: ConfigSection): Settings {
  return {
    apiAddr: root.url('api_addr', ['http', 'https']),
    clusterAddr: root.url('cluster_addr', ['https']),
    clusterName: root.string('cluster_name') || undefined,
    ui: root.boolean('ui'),
    logLevel: readLogLevel(root),
    disableMlock: root.boolean('disable_mlock'),
    defaultLeaseTtlMs: root.duration('default_lease_ttl'),
    maxLeaseTtlMs: root.duration('max_lease_ttl'),
    pidFile: root.filePath('pid_file'),
  };
}

function readLogLevel(root: ConfigSection): LogLevel | undefined {
  const raw = root.string('log_level');
  if (raw === undefined) return undefined;
  const word = raw.trim().toLowerCase();
  const level = LOG_LEVEL_ALIASES[word] ?? LOG_LEVELS.find((known) => known === word);
  if (level === undefined) {
    const choices = LOG_LEVELS.join(', ');
    root.fail('log_level', `"log_level" must be one of ${choices}, not ${JSON.stringify(raw)}`);
  }
  return level;
}

function readStorage(section: ConfigSection): RaftStorageConfig {
  if (section.labels[0] !== 'raft') {
    const type = JSON.stringify(section.labels[0]);
    section.fail(undefined, `unsupported storage type ${type} (Coffer supports only "raft")`);
  }
  const nodeId = section.requiredString('node_id');
  if (!NODE_ID.test(nodeId)) {
    section.fail(
      'node_id',
      '"node_id" must be 1 to 128 letters, digits, ".", "_" or "-", ' +
        'starting with a letter or digit',
    );
  }
  const multiplier = section.integer('performance_multiplier', 0, 10) ?? 0;
  const trailingLogs = section.integer('trailing_logs', 0, 2 ** 31 - 1);
  return {
    type: 'raft',
    path: section.requiredFilePath('path'),
    nodeId,
    performanceMultiplier: multiplier === 0 ? CONFIG_DEFAULTS.performanceMultiplier : multiplier,
    snapshotThreshold:
      section.integer('snapshot_threshold', 1, 2 ** 31 - 1) ?? CONFIG_DEFAULTS.snapshotThreshold,
    snapshotIntervalMs: section.duration('snapshot_interval') ?? CONFIG_DEFAULTS.snapshotIntervalMs,
    ...(trailingLogs === undefined ? {} : { trailingLogs }),
    retryJoin: section.blocks('retry_join', 0, RETRY_JOIN).map(readRetryJoin),
  };
}

function readRetryJoin(section: ConfigSection): RetryJoinConfig {
  const leaderApiAddr =
    section.url('leader_api_addr', ['http', 'https']) ?? section.missing('leader_api_addr');
  const leaderClientCertFile = section.filePath('leader_client_cert_file');
  const leaderClientKeyFile = section.filePath('leader_client_key_file');
  if ((leaderClientCertFile === undefined) !== (leaderClientKeyFile === undefined)) {
    const given =
      leaderClientCertFile === undefined ? 'leader_client_key_file' : 'leader_client_cert_file';
    section.fail(
      given,
      '"leader_client_cert_file" and "leader_client_key_file" must be set together',
    );
  }
  return {
    leaderApiAddr,
    leaderCaCertFile: section.filePath('leader_ca_cert_file'),
    leaderClientCertFile,
    leaderClientKeyFile,
  };
}

function readListener(section: ConfigSection): ListenerConfig {
  if (section.labels[0] !== 'tcp') {
    const type = JSON.stringify(section.labels[0]);
    section.fail(undefined, `unsupported listener type ${type} (Coffer supports only "tcp")`);
  }
  const parsed = section.hostPort('address') ?? parseHostPort(CONFIG_DEFAULTS.listenerAddress);
  const { host, port } = parsed ?? { host: '', port: 0 };
  const address = section.string('address') ?? CONFIG_DEFAULTS.listenerAddress;

  // Vault's default cluster port is the API port plus one.
  const derivedPort = port === 0 ? 0 : port + 1;
  const cluster = section.hostPort('cluster_address') ?? { host, port: derivedPort };
  if (cluster.port > 65_535) {
    section.fail('address', 'set "cluster_address": the API port plus one is not a valid port');
  }

  // Vault reads 0 as the default and a negative size as no limit.
  const size = section.size('max_request_size') ?? 0;
  const maxRequestSize = size < 0 ? null : size === 0 ? CONFIG_DEFAULTS.maxRequestSize : size;
  return {
    type: 'tcp',
    address,
    host,
    port,
    clusterAddress: section.string('cluster_address') ?? formatHostPort(cluster.host, cluster.port),
    clusterHost: cluster.host,
    clusterPort: cluster.port,
    tls: readListenerTls(section),
    maxRequestSize,
  };
}

function readListenerTls(section: ConfigSection): ListenerConfig['tls'] {
  const requireClientCert = section.boolean('tls_require_and_verify_client_cert') ?? false;
  if (section.boolean('tls_disable') === true) {
    if (requireClientCert) {
      section.fail(
        'tls_require_and_verify_client_cert',
        '"tls_require_and_verify_client_cert" cannot be true when "tls_disable" is true',
      );
    }
    return null;
  }

  const certFile = section.filePath('tls_cert_file');
  const keyFile = section.filePath('tls_key_file');
  if (certFile === undefined || keyFile === undefined) {
    const absent = certFile === undefined ? 'tls_cert_file' : 'tls_key_file';
    section.fail(
      undefined,
      `missing required key "${absent}" in ${section.name} ` +
        '("tls_cert_file" and "tls_key_file" are required unless "tls_disable" is true)',
    );
  }
  const clientCaFile = section.filePath('tls_client_ca_file');
  if (requireClientCert && clientCaFile === undefined) {
    section.fail(
      'tls_require_and_verify_client_cert',
      '"tls_require_and_verify_client_cert" needs "tls_client_ca_file" to verify clients against',
    );
  }
  return { certFile, keyFile, clientCaFile, requireAndVerifyClientCert: requireClientCert };
}

function readClusterTls(section: ConfigSection): ClusterTlsConfig {
  return {
    caFile: section.requiredFilePath('ca_file'),
    certFile: section.requiredFilePath('cert_file'),
    keyFile: section.requiredFilePath('key_file'),
  };
}

/** Vault's lockout defaults: 5 failures within 15 minutes lock a user for 15 minutes. */
export const DEFAULT_USER_LOCKOUT: UserLockoutConfig = {
  threshold: 5,
  durationMs: 15 * 60_000,
  counterResetMs: 15 * 60_000,
  disabled: false,
};

function readUserLockout(section: ConfigSection): UserLockoutConfig {
  if (section.labels[0] !== 'all') {
    const label = JSON.stringify(section.labels[0]);
    section.fail(undefined, `unsupported user_lockout ${label} (Coffer supports "all")`);
  }
  return {
    threshold:
      section.integer('lockout_threshold', 1, 1_000_000) ?? DEFAULT_USER_LOCKOUT.threshold,
    durationMs: section.duration('lockout_duration') ?? DEFAULT_USER_LOCKOUT.durationMs,
    counterResetMs:
      section.duration('lockout_counter_reset') ?? DEFAULT_USER_LOCKOUT.counterResetMs,
    disabled: section.boolean('disable_lockout') ?? false,
  };
}

function readAudit(section: ConfigSection): AuditDeviceConfig {
  if (section.labels[0] !== 'file') {
    const type = JSON.stringify(section.labels[0]);
    section.fail(undefined, `unsupported audit device type ${type} (Coffer supports "file")`);
  }
  // Vault gives "stdout" and "discard" special meaning as file paths.
  const raw = section.requiredString('file_path');
  const special = raw === 'stdout' || raw === 'discard';
  const filePath = special ? raw : section.requiredFilePath('file_path');

  const modeText = section.matching('mode', /^0?[0-7]{3}$/, 'an octal string such as "0600"');
  const mode = modeText === undefined ? CONFIG_DEFAULTS.auditFileMode : parseInt(modeText, 8);
  // The file device refuses these too, but only when the leader enables it after unseal; a
  // device it cannot enable leaves the node refusing every request, so refuse it at startup.
  if ((mode & 0o111) !== 0) {
    section.fail(
      'mode',
      `${section.keyName('mode')} may not make the audit file executable, ` +
        `not ${JSON.stringify(modeText)}`,
    );
  }
  return { type: 'file', filePath, mode };
}

// ---------------------------------------------------------------------------------------------
// Merging files and the checks that need the whole configuration

function mergeFragments(source: string, fragments: readonly ConfigFragment[]): ServerConfig {
  let storage: ConfigFragment['storage'];
  let clusterTls: ClusterTlsConfig | undefined;
  for (const fragment of fragments) {
    if (fragment.storage !== undefined && storage !== undefined) {
      const first = storage.section.doc.filename;
      fragment.storage.section.fail(undefined, `storage is already defined in ${first}`);
    }
    storage ??= fragment.storage;
    clusterTls = fragment.clusterTls ?? clusterTls;
  }
  const listeners = fragments.flatMap((fragment) => fragment.listeners);
  if (storage === undefined) {
    throw new ConfigError(source, undefined, 'storage', 'missing required block storage "raft"');
  }
  if (listeners.length === 0) {
    throw new ConfigError(source, undefined, 'listener', 'missing required block listener "tcp"');
  }

  // The last file that sets a top-level key wins.
  const setting = <K extends keyof Settings>(key: K): Settings[K] =>
    fragments
      .map((fragment) => fragment.settings[key])
      .filter((value) => value !== undefined)
      .at(-1);
  const apiAddr = setting('apiAddr') ?? defaultApiAddr(listeners[0]);
  const defaultLeaseTtlMs = setting('defaultLeaseTtlMs') ?? CONFIG_DEFAULTS.leaseTtlMs;
  const maxLeaseTtlMs = setting('maxLeaseTtlMs') ?? CONFIG_DEFAULTS.leaseTtlMs;
  if (defaultLeaseTtlMs > maxLeaseTtlMs) {
    const key = setting('defaultLeaseTtlMs') === undefined ? 'max_lease_ttl' : 'default_lease_ttl';
    const blamed = fragments.filter((fragment) => fragment.root.has(key)).at(-1);
    const reason = '"default_lease_ttl" cannot be longer than "max_lease_ttl"';
    (blamed ?? fragments[0]).root.fail(key, reason);
  }

  return {
    files: fragments.map((fragment) => fragment.root.doc.filename),
    storage: storage.config,
    listeners: listeners.map((listener) => listener.config),
    apiAddr,
    clusterAddr: setting('clusterAddr') ?? defaultClusterAddr(apiAddr, listeners[0].config),
    clusterName: setting('clusterName'),
    ui: setting('ui') ?? false,
    logLevel: setting('logLevel') ?? CONFIG_DEFAULTS.logLevel,
    disableMlock: setting('disableMlock') ?? false,
    defaultLeaseTtlMs,
    maxLeaseTtlMs,
    pidFile: setting('pidFile'),
    clusterTls,
    audit: fragments.flatMap((fragment) => fragment.audit),
    userLockout:
      fragments.map((fragment) => fragment.userLockout).findLast((block) => block !== undefined) ??
      DEFAULT_USER_LOCKOUT,
  };
}

/** The first listener's own address, which cannot serve when it binds every interface. */
function defaultApiAddr(listener: Sourced<ListenerConfig>): string {
  const { host, port, tls } = listener.config;
  if (isWildcardHost(host)) {
    listener.section.fail(
      'address',
      `set "api_addr": ${listener.section.name} binds every interface, so this node's API ` +
        'address cannot be derived from it',
    );
  }
  return `${tls === null ? 'http' : 'https'}://${formatHostPort(host, port)}`;
}

/** The API host with the first listener's cluster port, always https. */
function defaultClusterAddr(apiAddr: string, listener: ListenerConfig): string {
  return `https://${new URL(apiAddr).hostname}:${listener.clusterPort}`;
}
