/**
 * The records KV v2 keeps in its mount's storage, and the shapes of its answers.
 *
 * Layout, relative to the mount (each record JSON, encrypted by the barrier like everything):
 * - `config`: the mount-wide settings ({@link KvConfig}).
 * - `metadata/<key>`: one {@link KeyMetadata} per key, with the state of every version held.
 *   Keys keep their slashes, so listing `metadata/<folder>/` lists a folder.
 * - `versions/<sha256 of key>/<n>`: the data of version n ({@link StoredVersion}). Hashing the
 *   key keeps version records out of the metadata tree, whatever the key is called.
 *
 * A write changes a version record and the key's metadata in one storage batch conditioned on
 * the metadata read before, so a concurrent writer on any node makes the batch fail and the
 * write is retried against the new metadata; that is what makes check-and-set exact.
 *
 * Invariant: a destroyed version has no record under `versions/`; a version pruned by
 * `max_versions` has neither a record nor an entry in `KeyMetadata.versions`.
 */

/** The mount's `config` endpoint. Zero values mean "use the default". */
export interface KvConfig {
  /** Versions kept per key; 0 means {@link DEFAULT_MAX_VERSIONS}. */
  max_versions: number;
  /** Require `options.cas` on every data write. */
  cas_required: boolean;
  /**
   * Seconds after which a new version is soft-deleted; 0 means never, and
   * {@link DELETE_AFTER_DISABLED} turns the keys' own settings off too (Vault's negative value).
   */
  delete_version_after: number;
}

export const DEFAULT_MAX_VERSIONS = 10;

/** The config's `delete_version_after` once a negative duration was written: off for every key. */
export const DELETE_AFTER_DISABLED = -1;

export const DEFAULT_CONFIG: KvConfig = {
  max_versions: 0,
  cas_required: false,
  delete_version_after: 0,
};

/** The state of one version, as Vault reports it under `versions` and `metadata`. */
export interface VersionMetadata {
  /** RFC 3339. */
  created_time: string;
  /** RFC 3339 once deleted (or scheduled to be), else `''`. */
  deletion_time: string;
  destroyed: boolean;
}

export interface KeyMetadata {
  key: string;
  /** The versions still held, by number (as a string, the JSON key). */
  versions: Record<string, VersionMetadata>;
  current_version: number;
  /** The oldest version held once old ones were pruned; 0 before any was. */
  oldest_version: number;
  /** Per-key override of the mount's `max_versions`; 0 means the mount's. */
  max_versions: number;
  cas_required: boolean;
  /** Seconds; 0 means the mount's setting. */
  delete_version_after: number;
  custom_metadata: Record<string, string> | null;
  created_time: string;
  updated_time: string;
}

/** What `versions/<hash>/<n>` holds. */
export interface StoredVersion {
  data: Record<string, unknown>;
}

/** The `metadata` block of a data read, and the `data` of a data write. */
export interface VersionReport {
  created_time: string;
  custom_metadata: Record<string, string> | null;
  deletion_time: string;
  destroyed: boolean;
  version: number;
}

/** A version of a key as Vault reports it: its metadata joined with the key's. */
export function versionReport(meta: KeyMetadata, version: number): VersionReport {
  const state = meta.versions[String(version)];
  return {
    created_time: state?.created_time ?? '',
    custom_metadata: meta.custom_metadata,
    deletion_time: state?.deletion_time ?? '',
    destroyed: state?.destroyed ?? false,
    version,
  };
}

/** True when `state` is destroyed, or deleted with a deletion time already reached. */
export function isVersionGone(state: VersionMetadata, nowMs: number): boolean {
  if (state.destroyed) return true;
  return state.deletion_time !== '' && Date.parse(state.deletion_time) <= nowMs;
}

/** How many versions `meta`'s key keeps: its own setting, else the mount's, else 10. */
export function effectiveMaxVersions(meta: KeyMetadata, config: KvConfig): number {
  return meta.max_versions || config.max_versions || DEFAULT_MAX_VERSIONS;
}

/**
 * Seconds after which a new version of `meta`'s key is soft-deleted, 0 for never: the smaller of
 * the key's and the mount's settings where both are set (the API docs for `metadata`: a key
 * cannot outlast the mount), unless the mount disabled the feature.
 */
export function effectiveDeleteAfter(meta: KeyMetadata, config: KvConfig): number {
  const mount = config.delete_version_after;
  if (mount === DELETE_AFTER_DISABLED) return 0;
  const own = meta.delete_version_after;
  if (own > 0 && mount > 0) return Math.min(own, mount);
  return own > 0 ? own : Math.max(mount, 0);
}
