/**
 * The keys each section of the server configuration accepts. `vaultOnly` lists Vault settings
 * that Coffer recognises but does not implement, so a Vault config that uses one gets a clearer
 * message than "unknown key"; the lists follow Vault's server configuration documentation.
 */
import type { SectionKeys } from './config-reader.js';
import type { LogLevel } from './config-types.js';

export const TOP_LEVEL: SectionKeys = {
  known: [
    'storage',
    'listener',
    'api_addr',
    'cluster_addr',
    'cluster_name',
    'ui',
    'log_level',
    'disable_mlock',
    'default_lease_ttl',
    'max_lease_ttl',
    'pid_file',
    'cluster_tls',
    'audit',
    'user_lockout',
  ],
  vaultOnly: [
    'backend',
    'ha_storage',
    'ha_backend',
    'seal',
    'telemetry',
    'service_registration',
    'plugin_directory',
    'plugin_file_uid',
    'plugin_file_permissions',
    'cache_size',
    'disable_cache',
    'disable_clustering',
    'disable_performance_standby',
    'disable_sealwrap',
    'disable_printable_check',
    'raw_storage_endpoint',
    'introspection_endpoint',
    'default_max_request_duration',
    'log_format',
    'log_file',
    'log_rotate_duration',
    'log_rotate_bytes',
    'log_rotate_max_files',
    'log_requests_level',
    'license_path',
    'entropy',
    'enable_response_header_hostname',
    'enable_response_header_raft_node_id',
    'detect_deadlocks',
    'experiments',
    'imprecise_lease_role_tracking',
    'administrative_namespace_path',
  ],
};

export const RAFT_STORAGE: SectionKeys = {
  known: [
    'path',
    'node_id',
    'performance_multiplier',
    'snapshot_threshold',
    'snapshot_interval',
    'trailing_logs',
    'retry_join',
  ],
  vaultOnly: [
    'retry_join_as_non_voter',
    'max_entry_size',
    'autopilot_reconcile_interval',
    'autopilot_update_interval',
    'max_mount_and_namespace_table_entry_size',
    'raft_wal',
    'raft_log_verifier_enabled',
    'raft_log_verification_interval',
  ],
};

export const RETRY_JOIN: SectionKeys = {
  known: [
    'leader_api_addr',
    'leader_ca_cert_file',
    'leader_client_cert_file',
    'leader_client_key_file',
  ],
  vaultOnly: [
    'auto_join',
    'auto_join_scheme',
    'auto_join_port',
    'leader_tls_servername',
    'leader_ca_cert',
    'leader_client_cert',
    'leader_client_key',
  ],
};

export const TCP_LISTENER: SectionKeys = {
  known: [
    'address',
    'cluster_address',
    'tls_disable',
    'tls_cert_file',
    'tls_key_file',
    'tls_client_ca_file',
    'tls_require_and_verify_client_cert',
    'max_request_size',
  ],
  vaultOnly: [
    'tls_min_version',
    'tls_max_version',
    'tls_cipher_suites',
    'tls_prefer_server_cipher_suites',
    'tls_disable_client_certs',
    'http_idle_timeout',
    'http_read_header_timeout',
    'http_read_timeout',
    'http_write_timeout',
    'max_request_duration',
    'proxy_protocol_behavior',
    'proxy_protocol_authorized_addrs',
    'x_forwarded_for_authorized_addrs',
    'x_forwarded_for_hop_skips',
    'x_forwarded_for_reject_not_authorized',
    'x_forwarded_for_reject_not_present',
    'telemetry',
    'profiling',
    'inflight_requests_logging',
    'custom_response_headers',
    'redact_addresses',
    'redact_cluster_name',
    'redact_version',
    'chroot_namespace',
    'disable_replication_status_endpoints',
  ],
};

export const CLUSTER_TLS: SectionKeys = { known: ['ca_file', 'cert_file', 'key_file'] };

/** `user_lockout "all" { ... }`: login lockout (src/vault/lockout.ts). */
export const USER_LOCKOUT: SectionKeys = {
  known: ['lockout_threshold', 'lockout_duration', 'lockout_counter_reset', 'disable_lockout'],
  vaultOnly: [],
};

export const FILE_AUDIT: SectionKeys = {
  known: ['file_path', 'mode'],
  vaultOnly: [
    'log_raw',
    'hmac_accessor',
    'format',
    'prefix',
    'elide_list_responses',
    'fallback',
    'filter',
  ],
};

/** Vault's spellings of log levels, mapped to Coffer's. */
export const LOG_LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = {
  notice: 'info',
  warning: 'warn',
  err: 'error',
};

/** Raft node ids appear in logs, metrics and file names, so they keep to a plain alphabet. */
export const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
