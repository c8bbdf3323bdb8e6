/**
 * What the token backend answers with: Vault's `auth` block for creation and renewal, and its
 * lookup data (vault-api.md §2.2, `lookup-self`).
 */
import type { AuthInfo } from '../logical/response.js';
import { remainingSeconds } from './token-ttl.js';
import type { TokenEntry } from './types.js';

/**
 * The `auth` block for `entry` as just created or renewed; `clientToken` is `''` where Vault
 * hides it (renew-accessor). `lease_duration` is the TTL granted, not the seconds left: time spent
 * committing the entry must not turn a `ttl=1h` into 3599, as Vault's own answer never does.
 */
export function authInfo(clientToken: string, entry: TokenEntry): AuthInfo {
  return {
    clientToken,
    accessor: entry.accessor,
    policies: entry.policies,
    tokenPolicies: entry.policies,
    metadata: entry.meta,
    leaseDuration: entry.expireTime === 0 ? 0 : entry.ttl,
    renewable: entry.renewable,
    entityId: entry.entityId,
    tokenType: entry.type,
    orphan: entry.orphan,
    numUses: Math.max(0, entry.numUses),
  };
}

/**
 * Vault's lookup data for `entry`. `id` is the token itself when the caller presented it, `''`
 * for a lookup by accessor.
 */
export function lookupData(id: string, entry: TokenEntry, now: number): Record<string, unknown> {
  const data: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: entry.creationTime,
    creation_ttl: entry.creationTtl,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireTime === 0 ? null : new Date(entry.expireTime).toISOString(),
    explicit_max_ttl: entry.explicitMaxTtl,
    id,
    issue_time: new Date(entry.creationTime * 1000).toISOString(),
    meta: entry.meta,
    num_uses: Math.max(0, entry.numUses),
    orphan: entry.orphan,
    path: entry.path,
    policies: entry.policies,
    renewable: entry.renewable,
    ttl: remainingSeconds(entry.expireTime, now),
    type: entry.type,
  };
  if (entry.period > 0) data.period = entry.period;
  if (entry.role !== '') data.role = entry.role;
  if (entry.boundCidrs.length > 0) data.bound_cidrs = entry.boundCidrs;
  if (entry.lastRenewalTime !== null) {
    data.last_renewal_time = Math.floor(entry.lastRenewalTime / 1000);
    data.last_renewal = new Date(entry.lastRenewalTime).toISOString();
  }
  return data;
}
