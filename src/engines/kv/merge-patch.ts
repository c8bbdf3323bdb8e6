/** JSON Merge Patch (RFC 7386), as KV v2's PATCH applies it to a secret's data. */
import { isPlainObject } from '../../logical/index.js';

/**
 * `target` with `patch` merged in: an object patch changes only the keys it names, a `null`
 * removes a key, anything else replaces the target. Neither input is modified. Keys are defined
 * as own data properties, so a `__proto__` key in client JSON stays plain data.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      Object.defineProperty(result, key, {
        value: mergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return result;
}
