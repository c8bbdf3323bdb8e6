/** The folding rule `Storage.list` shares with the physical store, as a pure function. */

/**
 * Folds `keys` into the immediate children of `prefix`: the part after the prefix up to and
 * including its first `/` (a folder, once) or whole (a leaf), sorted by UTF-16 code units.
 */
export function listChildren(keys: Iterable<string>, prefix: string): string[] {
  const children = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix) || key.length === prefix.length) continue;
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...children].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
