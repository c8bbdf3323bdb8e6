/**
 * Tidying the lease storage (`sys/leases/tidy`): whatever a crash of an older version, a manual
 * edit or damage left behind. Records that do not parse are deleted (they could never be
 * revoked or renewed, and they would trip every scan); index entries whose record is gone or
 * names another owner are deleted; a valid record whose index entry is missing gets it back, so
 * revoking its token still finds it.
 */
import type { Storage } from '../logical/storage.js';
import { encodeJson } from '../logical/storage.js';
import {
  decodeSegment,
  indexPath,
  listLeaseIds,
  readLease,
  recordPath,
  TOKEN_INDEX_PREFIX,
} from './lease-store.js';

/** What a tidy found and changed. */
export interface TidySummary {
  /** Lease records examined. */
  readonly leases: number;
  /** Records deleted because they were not well-formed. */
  readonly removedRecords: number;
  /** Index entries deleted because no matching record exists. */
  readonly removedIndexEntries: number;
  /** Index entries written back for records that had lost theirs. */
  readonly restoredIndexEntries: number;
}

/**
 * Tidies the lease storage in `storage` (see the module comment). Safe to run beside the
 * manager: every change it makes is one a consistent store would not notice.
 */
export async function tidyLeaseStorage(storage: Storage): Promise<TidySummary> {
  let leases = 0;
  let removedRecords = 0;
  let restoredIndexEntries = 0;

  for (const id of await listLeaseIds(storage)) {
    const stored = await readLease(storage, id);
    if (stored === undefined) continue;
    leases += 1;
    const record = stored.record;
    if (record === null) {
      await storage.delete(recordPath(id));
      removedRecords += 1;
      continue;
    }
    if (record.ownerToken === null) continue;
    const entry = indexPath(record.ownerToken, id);
    if ((await storage.get(entry)) === undefined) {
      await storage.put(entry, encodeJson(id));
      restoredIndexEntries += 1;
    }
  }

  let removedIndexEntries = 0;
  for (const folder of await storage.list(TOKEN_INDEX_PREFIX)) {
    if (!folder.endsWith('/')) {
      // A stray leaf directly under the index: never written by the manager.
      await storage.delete(TOKEN_INDEX_PREFIX + folder);
      removedIndexEntries += 1;
      continue;
    }
    const owner = decodeSegment(folder.slice(0, -1));
    for (const key of await storage.list(TOKEN_INDEX_PREFIX + folder)) {
      if (key.endsWith('/')) continue; // the manager never nests deeper; leave it be
      const stored = await readLease(storage, decodeSegment(key));
      if (stored?.record?.ownerToken === owner) continue;
      await storage.delete(TOKEN_INDEX_PREFIX + folder + key);
      removedIndexEntries += 1;
    }
  }

  return { leases, removedRecords, removedIndexEntries, restoredIndexEntries };
}
