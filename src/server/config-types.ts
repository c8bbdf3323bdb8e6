/**
 * The server configuration after parsing, defaulting and validation: what `coffer server
 * -config <file.hcl>` runs with. Field names follow Coffer's code style; the comment on each
 * names the Vault key it comes from. Every file path is absolute, resolved against the directory
 * of the config file that named it.
 */

/** Log levels accepted by `log_level`; Vault's aliases are mapped onto these. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** Defaults applied when a key is not set, with Vault's values where Vault has one. */
export const CONFIG_DEFAULTS = {
  listenerAddress: '127.0.0.1:8200',
  /** 32 MiB, Vault's `max_request_size` default. */
  maxRequestSize: 32 * 1024 * 1024,
  /** Vault scales its Raft timing by this factor when `performance_multiplier` is 0 or unset. */
  performanceMultiplier: 5,
  snapshotThreshold: 8192,
  /** Vault's `snapshot_interval` default: 120 s. */
  snapshotIntervalMs: 120_000,
  logLevel: 'info' as LogLevel,
  /** 768h, Vault's default for both lease TTLs. */
  leaseTtlMs: 768 * 3600 * 1000,
  auditFileMode: 0o600,
} as const;

export interface ServerConfig {
  /** The config files read, in the order they were merged. */
  readonly files: readonly string[];
  /** `storage "raft" { ... }`. */
  readonly storage: RaftStorageConfig;
  /** Every `listener "tcp" { ... }`, in source order; there is at least one. */
  readonly listeners: readonly ListenerConfig[];
  /**
   * `api_addr`: the URL other nodes and clients use to reach this node's API. Defaults to the
   * first listener's address (https unless it disables TLS); required when that listener binds
   * every interface.
   */
  readonly apiAddr: string;
  /**
   * `cluster_addr`: the https URL peers use for node-to-node traffic. Defaults to the host of
   * `apiAddr` with the port of the first listener's cluster address.
   */
  readonly clusterAddr: string;
  /** `cluster_name`; when unset, one is chosen at init. */
  readonly clusterName: string | undefined;
  /** `ui` (default false). */
  readonly ui: boolean;
  /** `log_level` (default info). */
  readonly logLevel: LogLevel;
  /** `disable_mlock`: accepted for Vault compatibility and otherwise ignored. */
  readonly disableMlock: boolean;
  /** `default_lease_ttl`, in milliseconds (default 768h). */
  readonly defaultLeaseTtlMs: number;
  /** `max_lease_ttl`, in milliseconds (default 768h); never below `defaultLeaseTtlMs`. */
  readonly maxLeaseTtlMs: number;
  /** `pid_file`: where the server writes its process id, if set. */
  readonly pidFile: string | undefined;
  /**
   * Coffer's own `cluster_tls { ca_file, cert_file, key_file }` block: the CA, certificate and
   * key this node uses for mutual TLS on the cluster port, where every peer must present a
   * certificate signed by `ca_file`. Vault derives this material internally; Coffer lets the
   * operator supply it. When the block is absent the node uses the material created at init or
   * handed over by the leader when it joins.
   */
  readonly clusterTls: ClusterTlsConfig | undefined;
  /** Every `audit "file" { ... }` block, enabled at startup. */
  readonly audit: readonly AuditDeviceConfig[];
  /** `user_lockout "all" { ... }`; Vault's defaults (5 failures, 15 minutes) when absent. */
  readonly userLockout: UserLockoutConfig;
}

/**
 * `user_lockout "all" { lockout_threshold, lockout_duration, lockout_counter_reset,
 * disable_lockout }`: after `threshold` failed logins of one user within `counterResetMs`, its
 * logins are refused for `durationMs`.
 */
export interface UserLockoutConfig {
  readonly threshold: number;
  readonly durationMs: number;
  readonly counterResetMs: number;
  readonly disabled: boolean;
}

/** `storage "raft" { ... }`. */
export interface RaftStorageConfig {
  readonly type: 'raft';
  /** `path`: the directory holding the Raft log, snapshots and state machine. */
  readonly path: string;
  /** `node_id`: this node's id in the Raft configuration, stable across restarts. */
  readonly nodeId: string;
  /** `performance_multiplier` (1 to 10, default 5): scales election and heartbeat timing. */
  readonly performanceMultiplier: number;
  /** `snapshot_threshold` (default 8192): applied entries between snapshots. */
  readonly snapshotThreshold: number;
  /**
   * `snapshot_interval` (default 120 s): least time between snapshots, each wait drawn between
   * it and twice it; a snapshot needs both the time and `snapshot_threshold` entries. 0 takes
   * snapshots at the threshold alone.
   */
  readonly snapshotIntervalMs: number;
  /**
   * `trailing_logs`: entries kept in the log behind each snapshot, so that a follower a little
   * behind catches up from the log rather than from a whole snapshot. Absent when not set: the
   * Raft node's default applies (1024, `DEFAULT_KEEP_ENTRIES` in src/raft/node/node-options.ts).
   */
  readonly trailingLogs?: number;
  /** Every `retry_join { ... }`, tried in order until one leader accepts the node. */
  readonly retryJoin: readonly RetryJoinConfig[];
}

/** `retry_join { ... }` inside `storage "raft"`. */
export interface RetryJoinConfig {
  /** `leader_api_addr`: the API URL of a node that may be the leader. */
  readonly leaderApiAddr: string;
  /** `leader_ca_cert_file`: the CA that signed the leader's API certificate. */
  readonly leaderCaCertFile: string | undefined;
  /** `leader_client_cert_file`, set together with `leaderClientKeyFile`. */
  readonly leaderClientCertFile: string | undefined;
  /** `leader_client_key_file`, set together with `leaderClientCertFile`. */
  readonly leaderClientKeyFile: string | undefined;
}

/** `listener "tcp" { ... }`. */
export interface ListenerConfig {
  readonly type: 'tcp';
  /** `address` as written, `host:port` (default 127.0.0.1:8200). */
  readonly address: string;
  /** The host of `address`, without brackets for IPv6. */
  readonly host: string;
  /** The port of `address`; 0 lets the OS choose. */
  readonly port: number;
  /** `cluster_address`: where the cluster port binds (default: the API host, port + 1). */
  readonly clusterAddress: string;
  readonly clusterHost: string;
  readonly clusterPort: number;
  /** TLS settings, or `null` when `tls_disable` is true. */
  readonly tls: ListenerTlsConfig | null;
  /**
   * `max_request_size` in bytes (default 32 MiB; 0 also means the default), or `null` for no
   * limit, which Vault spells as a negative number.
   */
  readonly maxRequestSize: number | null;
}

/** The TLS keys of `listener "tcp"`. */
export interface ListenerTlsConfig {
  /** `tls_cert_file`: the server certificate chain, PEM. */
  readonly certFile: string;
  /** `tls_key_file`: the server private key, PEM. */
  readonly keyFile: string;
  /** `tls_client_ca_file`: CAs whose client certificates are requested and verified. */
  readonly clientCaFile: string | undefined;
  /** `tls_require_and_verify_client_cert`: refuse clients without a valid certificate. */
  readonly requireAndVerifyClientCert: boolean;
}

/** Coffer's `cluster_tls { ... }` block; see {@link ServerConfig.clusterTls}. */
export interface ClusterTlsConfig {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** `audit "file" { file_path, mode }`. */
export interface AuditDeviceConfig {
  readonly type: 'file';
  /** `file_path`: an absolute path, or Vault's special values `stdout` and `discard`. */
  readonly filePath: string;
  /** `mode`: the file's permission bits, written as an octal string (default "0600"). */
  readonly mode: number;
}
