/**
 * Parameter constraints of a rule (vault-api.md §3, "Parameters"): how the maps of several
 * policies merge, and whether a request's data passes them.
 *
 * - `required_parameters`: each must be present.
 * - `denied_parameters`: a listed parameter with a listed value denies (an empty list: any
 *   value); the name `*` denies every request that carries data. Denial wins over allowance.
 * - `allowed_parameters`: when set, every parameter must be listed (or `*` must be, which
 *   admits unlisted names) and, when its list is not empty, take a listed value.
 *
 * Values compare as Vault's do: strings by {@link globbedStringsMatch}, anything else by deep
 * equality, so the string `"1"` and the number `1` differ.
 */
import type { ParameterMap } from './types.js';

/** Mutable parameter map used while building an ACL. */
export type MutableParameterMap = Map<string, unknown[]>;

/** What an ACL keeps per pattern for parameter checks. */
export interface ParameterRules {
  readonly required: readonly string[];
  readonly allowed: ParameterMap | undefined;
  readonly denied: ParameterMap | undefined;
}

/**
 * Merges `incoming` into `existing` (either may be undefined) as Vault merges the stanzas of one
 * pattern across policies: lists of the same name are concatenated, except that an empty list
 * (any value) absorbs the other.
 */
export function mergeParameterMaps(
  existing: MutableParameterMap | undefined,
  incoming: ParameterMap | undefined,
): MutableParameterMap | undefined {
  if (incoming === undefined || incoming.size === 0) return existing;
  const out = existing ?? new Map<string, unknown[]>();
  for (const [name, values] of incoming) {
    const before = out.get(name);
    if (before === undefined) out.set(name, [...values]);
    else out.set(name, before.length === 0 || values.length === 0 ? [] : [...values, ...before]);
  }
  return out;
}

/**
 * Checks `data` against `rules`; returns why it fails, or undefined when it passes. Names are
 * looked up lower-cased.
 */
export function checkParameters(
  rules: ParameterRules,
  data: Readonly<Record<string, unknown>>,
): string | undefined {
  for (const name of rules.required) {
    if (!Object.hasOwn(data, name.toLowerCase())) return `required parameter "${name}" is missing`;
  }

  const entries = Object.entries(data);
  if (entries.length === 0) return undefined;

  const denied = rules.denied;
  if (denied !== undefined && denied.size > 0) {
    if (denied.has('*')) return 'every parameter is denied';
    for (const [name, value] of entries) {
      const values = denied.get(name.toLowerCase());
      if (values !== undefined && valueInList(value, values)) {
        return `parameter "${name}" is denied`;
      }
    }
  }

  const allowed = rules.allowed;
  if (allowed === undefined || allowed.size === 0) return undefined;
  const allowAll = allowed.has('*');
  if (allowAll && allowed.size === 1) return undefined;
  for (const [name, value] of entries) {
    const values = allowed.get(name.toLowerCase());
    if (values === undefined) {
      if (!allowAll) return `parameter "${name}" is not allowed`;
    } else if (!valueInList(value, values)) {
      return `value of parameter "${name}" is not allowed`;
    }
  }
  return undefined;
}

/** True when `list` is empty (any value) or holds an item that matches `value`. */
export function valueInList(value: unknown, list: readonly unknown[]): boolean {
  if (list.length === 0) return true;
  return list.some((item) => {
    if (typeof item === 'string' && typeof value === 'string') {
      return globbedStringsMatch(item, value);
    }
    return deepEqual(item, value);
  });
}

/**
 * Whether `value` matches `item`, where `item` may start and/or end with `*`: `*x` is a suffix,
 * `x*` a prefix, `*x*` a substring. An item shorter than two characters (a bare `*`) matches only
 * itself, as in Vault's strutil.GlobbedStringsMatch.
 */
export function globbedStringsMatch(item: string, value: string): boolean {
  if (item.length < 2) return item === value;
  const leading = item.startsWith('*');
  const trailing = item.endsWith('*');
  if (leading && trailing) return value.includes(item.slice(1, -1));
  if (leading) return value.endsWith(item.slice(1));
  if (trailing) return value.startsWith(item.slice(0, -1));
  return value === item;
}

/** Structural equality of JSON-like values; `null` and `undefined` equal only themselves. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => deepEqual(item, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && deepEqual(left[key], right[key]));
}
