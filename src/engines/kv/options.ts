/** The `options` block of KV v2 data writes: today only `cas`. */
import { InvalidRequestError, isPlainObject } from '../../logical/index.js';
import type { KeyMetadata, KvConfig } from './types.js';

/**
 * The `cas` option of a write, or undefined when absent. It must be a non-negative integer (a
 * JSON number, or a string of digits as form bodies send it); 400 otherwise.
 */
export function casOption(options: Record<string, unknown>): number | undefined {
  if (!isPlainObject(options) || !Object.hasOwn(options, 'cas')) return undefined;
  const raw = options.cas;
  if (raw === null || raw === undefined) return undefined;
  const cas = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
  if (typeof cas !== 'number' || !Number.isSafeInteger(cas) || cas < 0) {
    throw new InvalidRequestError('invalid value for "options.cas": expected an integer >= 0');
  }
  return cas;
}

/**
 * Enforces check-and-set against the key's current version: `cas` 0 writes only a key with no
 * version yet, `cas` N only when N is the current version. Throws the 400s Vault answers with.
 */
export function checkAndSet(cas: number | undefined, meta: KeyMetadata, config: KvConfig): void {
  if (cas === undefined) {
    if (config.cas_required || meta.cas_required) {
      throw new InvalidRequestError('check-and-set parameter required for this call');
    }
    return;
  }
  if (cas !== meta.current_version) {
    throw new InvalidRequestError('check-and-set parameter did not match the current version', {
      cas,
      current: meta.current_version,
    });
  }
}
