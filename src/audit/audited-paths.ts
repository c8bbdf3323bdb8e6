/**
 * Which requests are audited: all but the few that run before or around unsealing and the
 * health probes, as in Vault (vault-api.md §7, "Not audited"). Those carry no token to
 * attribute, may arrive while the node is sealed (when no device is open), and the probes would
 * drown the log.
 */

const NOT_AUDITED = new Set([
  'sys/init',
  'sys/seal-status',
  'sys/seal',
  'sys/unseal',
  'sys/leader',
  'sys/health',
  'sys/storage/raft/join',
  'sys/storage/raft/bootstrap',
]);

/**
 * False for the request paths (below `/v1/`) that are never audited: init, seal-status, seal,
 * unseal, leader, health, and raft join and bootstrap (with its `challenge` and `answer`). A
 * leading `/` and a trailing `/` do not matter.
 */
export function isAuditedPath(path: string): boolean {
  const bare = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (NOT_AUDITED.has(bare)) return false;
  return !bare.startsWith('sys/storage/raft/bootstrap/');
}
