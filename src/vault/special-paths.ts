/**
 * The traits of request paths that the pipeline and the HTTP layer decide on before any
 * handler runs (vault-api.md §2.1, "Special paths"):
 *
 * | path (below `/v1/`)                   | no token | while sealed | never forwarded | raw body |
 * |---------------------------------------|----------|--------------|-----------------|----------|
 * | `sys/init`                            | yes      | yes          |                 |          |
 * | `sys/seal-status`, `sys/unseal`, `sys/health`, `sys/leader` | yes | yes | yes     |          |
 * | `sys/storage/raft/join`               | yes      | yes          | yes             |          |
 * | `sys/storage/raft/bootstrap/*`        | yes      |              |                 |          |
 * | `sys/wrapping/lookup`                 | yes      |              |                 |          |
 * | `sys/seal`                            |          |              | yes             |          |
 * | `sys/storage/raft/snapshot[-force]`   |          |              |                 | yes      |
 * | `sys/storage/raft/autopilot/state`    |          |              | leader only     |          |
 *
 * Never forwarded means the node answers for itself, leader or not: its own seal state, its own
 * view of the leader, its own seal (sealing a standby must not seal the leader), and a join,
 * which a node makes precisely because it has no leader yet.
 *
 * Leader only is the opposite: a follower forwards even a read of it, because the answer is the
 * leader's own observation of the cluster (last contact, match index per server), which a
 * follower's read-only view of storage does not hold.
 */

export interface PathTraits {
  /** Served without a token. */
  readonly unauthenticated: boolean;
  /** Served while this node is sealed (or not initialised). */
  readonly worksSealed: boolean;
  /** Always answered by the node that received it, never by the leader. */
  readonly localOnly: boolean;
  /** Takes its body as bytes rather than JSON. */
  readonly rawBody: boolean;
  /** Answered by the leader even for a read: a follower forwards it rather than serve it. */
  readonly leaderOnly: boolean;
}

const NONE: PathTraits = {
  unauthenticated: false,
  worksSealed: false,
  localOnly: false,
  rawBody: false,
  leaderOnly: false,
};

const STATUS: PathTraits = { ...NONE, unauthenticated: true, worksSealed: true, localOnly: true };

const EXACT: ReadonlyMap<string, PathTraits> = new Map([
  ['sys/init', { ...NONE, unauthenticated: true, worksSealed: true }],
  ['sys/seal-status', STATUS],
  ['sys/unseal', STATUS],
  ['sys/health', STATUS],
  ['sys/leader', STATUS],
  ['sys/storage/raft/join', STATUS],
  ['sys/storage/raft/bootstrap/challenge', { ...NONE, unauthenticated: true }],
  ['sys/storage/raft/bootstrap/answer', { ...NONE, unauthenticated: true }],
  ['sys/wrapping/lookup', { ...NONE, unauthenticated: true }],
  ['sys/seal', { ...NONE, localOnly: true }],
  ['sys/storage/raft/snapshot', { ...NONE, rawBody: true }],
  ['sys/storage/raft/snapshot-force', { ...NONE, rawBody: true }],
  ['sys/storage/raft/autopilot/state', { ...NONE, leaderOnly: true }],
]);

/** The traits of `path` (below `/v1/`, decoded); a trailing `/` does not change them. */
export function pathTraits(path: string): PathTraits {
  const bare = path.endsWith('/') ? path.slice(0, -1) : path;
  return EXACT.get(bare) ?? NONE;
}

/**
 * Root-protected paths (vault-api.md §2.1 "Sudo", §2.2): a caller needs the `sudo` capability
 * on them besides the operation's own. A pattern ending in `*` covers every path it prefixes.
 */
const SUDO_PATTERNS: readonly string[] = [
  'sys/auth/*',
  'sys/audit',
  'sys/audit/*',
  'sys/remount',
  'sys/raw',
  'sys/raw/*',
  'sys/rotate',
  'sys/rotate/*',
  'sys/seal',
  'sys/step-down',
  'sys/config/cors',
  'sys/config/auditing/*',
  'sys/plugins/catalog/*',
  'sys/leases/lookup/*',
  'sys/leases/revoke-prefix/*',
  'sys/leases/revoke-force/*',
  'sys/revoke-prefix/*',
  'sys/revoke-force/*',
  'auth/token/revoke-orphan',
  'auth/token/accessors',
  'auth/token/accessors/*',
];

/** True when `path` (below `/v1/`, decoded) needs `sudo`; a trailing `/` does not change it. */
export function requiresSudo(path: string): boolean {
  const bare = path.endsWith('/') ? path.slice(0, -1) : path;
  return SUDO_PATTERNS.some((pattern) =>
    pattern.endsWith('*') ? bare.startsWith(pattern.slice(0, -1)) : bare === pattern,
  );
}
