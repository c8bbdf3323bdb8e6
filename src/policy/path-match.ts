/**
 * Policy path patterns and the order that picks one of them for a request path (vault-api.md §3,
 * "Matching"; Vault's acl.go). A pattern is one of:
 *
 * - exact: `secret/app` matches only `secret/app`;
 * - prefix: `secret/app*` (a `*` only as the last character) matches every path starting with
 *   `secret/app`, including `secret/apple` and `secret/app/x/y`;
 * - segment: any segment is exactly `+`, which matches one whole segment (`secret/+/config`);
 *   such a pattern may also end in `*` (`secret/+/conf*`), the last segment then matching as a
 *   prefix of the rest of the path.
 *
 * A `*` anywhere but at the end is a literal character, as in Vault.
 *
 * An exact rule always wins. Among the glob patterns that match, only the highest-priority one
 * applies; see {@link outranks}.
 */

export type PatternKind = 'exact' | 'prefix' | 'segment';

/** A prefix or segment pattern, ready to match. */
export interface GlobPattern {
  /** The pattern as written (with any trailing `*`), its identity within an ACL. */
  readonly pattern: string;
  /** The pattern without its trailing `*`. */
  readonly stem: string;
  readonly isPrefix: boolean;
  /** The stem split on `/`, for segment patterns; undefined for a plain prefix. */
  readonly segments: readonly string[] | undefined;
  /** Offset of the first `+` (segment patterns) or of the `*` (plain prefixes). */
  readonly firstWildcard: number;
  /** How many segments are `+`. */
  readonly wildcards: number;
}

/** Which of the three kinds `pattern` is. */
export function patternKind(pattern: string): PatternKind {
  const stem = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
  if (stem.split('/').includes('+')) return 'segment';
  return pattern.endsWith('*') ? 'prefix' : 'exact';
}

/** Compiles a prefix or segment pattern; an exact pattern compiles to a prefix-free stem. */
export function compileGlob(pattern: string): GlobPattern {
  const isPrefix = pattern.endsWith('*');
  const stem = isPrefix ? pattern.slice(0, -1) : pattern;
  if (patternKind(pattern) !== 'segment') {
    const firstWildcard = stem.length;
    return { pattern, stem, isPrefix, segments: undefined, firstWildcard, wildcards: 0 };
  }
  const segments = stem.split('/');
  return {
    pattern,
    stem,
    isPrefix,
    segments,
    firstWildcard: pattern.indexOf('+'),
    wildcards: segments.filter((segment) => segment === '+').length,
  };
}

/** Whether `glob` matches the whole of `path`. */
export function globMatches(glob: GlobPattern, path: string): boolean {
  if (glob.segments === undefined) return path.startsWith(glob.stem);

  const parts = path.split('/');
  const segments = glob.segments;
  if (parts.length < segments.length) return false;
  if (!glob.isPrefix && parts.length !== segments.length) return false;
  const last = segments.length - 1;
  return segments.every((segment, index) => {
    const part = parts[index] as string;
    if (segment === '+' || segment === part) return true;
    // The trailing `*` makes the last segment a prefix of the rest of the path.
    return glob.isPrefix && index === last && part.startsWith(segment);
  });
}

/**
 * Whether `a` takes priority over `b` when both match a path. Vault's rules, in order, each
 * deciding only when the earlier ones tie:
 *
 * 1. the pattern whose first wildcard (`+` or `*`) comes later wins;
 * 2. a pattern not ending in `*` beats one that does;
 * 3. fewer `+` segments win;
 * 4. the longer pattern wins;
 * 5. the lexically greater pattern wins (an arbitrary but stable last resort).
 */
export function outranks(a: GlobPattern, b: GlobPattern): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard > b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return !a.isPrefix;
  if (a.wildcards !== b.wildcards) return a.wildcards < b.wildcards;
  if (a.stem.length !== b.stem.length) return a.stem.length > b.stem.length;
  return a.stem > b.stem;
}

/** The value of the highest-priority glob among `candidates` that matches `path`. */
export function bestMatch<T>(
  candidates: Iterable<{ readonly glob: GlobPattern; readonly value: T }>,
  path: string,
): T | undefined {
  let best: { readonly glob: GlobPattern; readonly value: T } | undefined;
  for (const candidate of candidates) {
    if (!globMatches(candidate.glob, path)) continue;
    if (best === undefined || outranks(candidate.glob, best.glob)) best = candidate;
  }
  return best?.value;
}
