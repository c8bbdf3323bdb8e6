/**
 * Hashing a JSON structure for the log: every string, at any depth, is replaced by its HMAC, and
 * everything else (numbers, booleans, null, the shape itself, object keys) is kept, so an
 * operator can still see which fields a request touched without seeing their values
 * (vault-api.md §7, "HMAC").
 */

/** Turns one string into what the log shows for it (its HMAC, or itself with `log_raw`). */
export type StringHasher = (value: string) => string;

/**
 * A copy of `value` with `hasher` applied to every string in it. Objects are copied into objects
 * without a prototype, because property names are request data: a key named `__proto__` must
 * stay an ordinary key, not reach `Object.prototype`. Values JSON cannot hold are dropped as
 * `JSON.stringify` would drop them; a `bigint` is kept as its decimal digits, like a number.
 *
 * @throws TypeError when `value` contains itself (it came from somewhere other than JSON).
 */
export function hashStrings(value: unknown, hasher: StringHasher): unknown {
  return copy(value, hasher, new Set());
}

function copy(value: unknown, hasher: StringHasher, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
      return hasher(value);
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return null;

  // A Date or anything else with toJSON is logged as what it serializes to.
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return copy(json.call(value), hasher, ancestors);

  if (ancestors.has(value)) throw new TypeError('cannot audit a structure that contains itself');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item) => copy(item, hasher, ancestors) ?? null);
    }
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value)) {
      const item = copy((value as Record<string, unknown>)[key], hasher, ancestors);
      if (item !== undefined) out[key] = item;
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}
