/**
 * Revocation and tidying (vault-api.md §4, "Revoke"; Vault's token docs, "Token hierarchies and
 * orphan tokens"). Revoking a token revokes its whole subtree, deepest first, so a crash part way
 * leaves a smaller tree whose every token still has its parent. The root of the subtree is marked
 * `revoking` first: from then on it answers no lookup and gains no child.
 */
import { StorageConditionFailedError } from '../logical/errors.js';
import type { ExpiryTracker } from '../leases/types.js';
import type { Logger } from '../util/logger.js';
import { TokenContentionError } from './errors.js';
import type { StoredEntry, TokenRecords } from './token-records.js';
import type { TidyResult, TokenEntry } from './types.js';

/** What revocation needs from the store. */
export interface RevokeContext {
  readonly records: TokenRecords;
  readonly logger: Logger;
  readonly expiry?: ExpiryTracker;
  readonly onRevoke?: (entries: readonly TokenEntry[]) => Promise<void>;
}

const MAX_ATTEMPTS = 8;

/** The lease id under which a service token's expiry is tracked. */
export function tokenLeaseId(entry: Pick<TokenEntry, 'path' | 'hashedId'>): string {
  return `${entry.path}/${entry.hashedId}`;
}

/**
 * Revokes the token stored under `hashedId` and its whole subtree; resolves to how many tokens
 * were revoked (0 when the token is already gone).
 */
export async function revokeTree(context: RevokeContext, hashedId: string): Promise<number> {
  const stored = await context.records.read(hashedId);
  if (stored === undefined) return 0;
  await markRevoking(context.records, stored);

  const deepestFirst = (await collectSubtree(context.records, stored.entry)).reverse();
  await context.onRevoke?.(deepestFirst);

  let revoked = 0;
  for (const entry of deepestFirst) revoked += await removeToken(context, entry);
  context.logger.info({ revoked, accessor: stored.entry.accessor }, 'token subtree revoked');
  return revoked;
}

/**
 * Revokes the token stored under `hashedId` alone: its children become orphans first. Resolves
 * to false when the token is already gone.
 */
export async function revokeOrphan(context: RevokeContext, hashedId: string): Promise<boolean> {
  const { records } = context;
  const stored = await records.read(hashedId);
  if (stored === undefined) return false;
  await markRevoking(records, stored);

  for (const child of await records.children(hashedId)) {
    await orphanChild(records, hashedId, child);
  }
  await context.onRevoke?.([stored.entry]);
  await removeToken(context, stored.entry);
  context.logger.info({ accessor: stored.entry.accessor }, 'token revoked, children orphaned');
  return true;
}

/** Removes index records that point at missing tokens, and revokes children of missing parents. */
export async function tidyTokens(context: RevokeContext): Promise<TidyResult> {
  const { records } = context;
  let danglingAccessors = 0;
  let danglingParentLinks = 0;
  let orphanedChildrenRevoked = 0;

  for (const hashedAccessor of await records.hashedAccessors()) {
    const record = await records.readAccessorByHash(hashedAccessor);
    if (record === undefined) continue;
    if ((await records.read(record.hashedId)) !== undefined) continue;
    await records.storage.batch([records.deleteAccessorByHash(hashedAccessor)]);
    danglingAccessors += 1;
  }

  for (const parent of await records.parents()) {
    const parentExists = (await records.read(parent)) !== undefined;
    for (const child of await records.children(parent)) {
      const childExists = (await records.read(child)) !== undefined;
      if (childExists && !parentExists) {
        // Vault revokes a token whose parent is gone: it could never have outlived it.
        orphanedChildrenRevoked += await revokeTree(context, child);
      }
      if (!childExists || !parentExists) {
        await records.storage.batch([{ type: 'delete', path: records.linkPath(parent, child) }]);
        if (!childExists) danglingParentLinks += 1;
      }
    }
  }
  const result = { danglingAccessors, danglingParentLinks, orphanedChildrenRevoked };
  context.logger.info(result, 'token store tidied');
  return result;
}

/** The token and every descendant, breadth first (each level after the one above it). */
async function collectSubtree(records: TokenRecords, root: TokenEntry): Promise<TokenEntry[]> {
  const found: TokenEntry[] = [root];
  const seen = new Set([root.hashedId]);
  for (let next = 0; next < found.length; next += 1) {
    const parent = found[next] as TokenEntry;
    for (const child of await records.children(parent.hashedId)) {
      if (seen.has(child)) continue;
      seen.add(child);
      const stored = await records.read(child);
      if (stored !== undefined) found.push(stored.entry);
    }
  }
  return found;
}

/**
 * Deletes one token's records and forgets its expiry; resolves to the number of tokens removed.
 * A child created under it after the subtree was collected is revoked first.
 */
async function removeToken(context: RevokeContext, entry: TokenEntry): Promise<number> {
  const { records } = context;
  let removed = 0;
  const linkDeletes = [];
  for (const child of await records.children(entry.hashedId)) {
    if ((await records.read(child)) !== undefined) removed += await revokeTree(context, child);
    linkDeletes.push({ type: 'delete' as const, path: records.linkPath(entry.hashedId, child) });
  }
  await records.storage.batch([...linkDeletes, ...records.removalOps(entry)]);
  if (entry.type === 'service' && entry.expireTime !== 0) {
    await context.expiry?.untrack(tokenLeaseId(entry));
  }
  return removed + 1;
}

async function markRevoking(records: TokenRecords, stored: StoredEntry): Promise<void> {
  if (stored.entry.revoking === true) return;
  const marked: TokenEntry = { ...stored.entry, revoking: true };
  await records.storage.put(records.idPath(marked.hashedId), records.encode(marked));
}

/** Makes `child` an orphan, conditionally on the record it was read as. */
async function orphanChild(records: TokenRecords, parent: string, child: string): Promise<void> {
  const link = { type: 'delete' as const, path: records.linkPath(parent, child) };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const stored = await records.read(child);
    if (stored === undefined) {
      await records.storage.batch([link]);
      return;
    }
    const orphaned: TokenEntry = { ...stored.entry, orphan: true, parent: '' };
    try {
      await records.storage.batch([
        {
          type: 'put',
          path: records.idPath(child),
          value: records.encode(orphaned),
          condition: { ifValue: stored.bytes },
        },
        link,
      ]);
      return;
    } catch (err) {
      if (!(err instanceof StorageConditionFailedError)) throw err;
    }
  }
  throw new TokenContentionError('revoke-orphan');
}
