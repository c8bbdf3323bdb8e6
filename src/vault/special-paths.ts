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
 * | `sys/seal`                            |          |              | yes             |          |
 * | `sys/storage/raft/snapshot[-force]`   |          |              |                 | yes      |
 *
 * Never forwarded means the node answers for itself, leader or not: its own seal state, its own
 * view of the leader, its own seal (sealing a standby must not seal the leader), and a join,
 * which a node makes precisely because it has no leader yet.
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
}

const NONE: PathTraits = {
  unauthenticated: false,
  worksSealed: false,
  localOnly: false,
  rawBody: false,
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
  ['sys/seal', { ...NONE, localOnly: true }],
  ['sys/storage/raft/snapshot', { ...NONE, rawBody: true }],
  ['sys/storage/raft/snapshot-force', { ...NONE, rawBody: true }],
]);

/** The traits of `path` (below `/v1/`, decoded); a trailing `/` does not change them. */
export function pathTraits(path: string): PathTraits {
  const bare = path.endsWith('/') ? path.slice(0, -1) : path;
  return EXACT.get(bare) ?? NONE;
}
