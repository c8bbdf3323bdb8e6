/**
 * How leases sit in storage (the `sys/expire/` view the core hands the manager):
 *
 * - `id/<encoded lease id>`: the {@link LeaseRecord} as JSON.
 * - `token/<encoded owner>/<encoded lease id>`: one index entry per lease a token owns, so
 *   revoking a token finds its leases without a scan. The value is the lease id.
 *
 * Lease ids contain `/` (`database/creds/app/h3Kx…`), and each must fit in one storage segment,
 * so `%` and `/` are percent-encoded. The encoding works character by character, which keeps it
 * reversible and readable in a storage dump. A record and its index entry are always written
 * and deleted in one `Storage.batch`, so a reader never sees one without the other (tidy repairs
 * what an older bug or a manual edit may have left).
 */
import { InvalidRequestError } from '../logical/errors.js';
import { decodeJson, encodeJson, type Storage, type StorageOp } from '../logical/storage.js';
import type { LeaseKind, LeaseRecord } from './types.js';

export const RECORD_PREFIX = 'id/';
export const TOKEN_INDEX_PREFIX = 'token/';

/** `text` as one storage segment: `%` and `/` percent-encoded, a lone `.` or `..` escaped. */
export function encodeSegment(text: string): string {
  const encoded = text.replace(/%/g, '%25').replace(/\//g, '%2F');
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

/** The text {@link encodeSegment} encoded. */
export function decodeSegment(segment: string): string {
  return segment.replace(/%(25|2F|2E)/g, (_match, code: string) =>
    code === '25' ? '%' : code === '2F' ? '/' : '.',
  );
}

export function recordPath(id: string): string {
  return RECORD_PREFIX + encodeSegment(id);
}

export function indexFolder(ownerToken: string): string {
  return `${TOKEN_INDEX_PREFIX}${encodeSegment(ownerToken)}/`;
}

export function indexPath(ownerToken: string, id: string): string {
  return indexFolder(ownerToken) + encodeSegment(id);
}

/** The ops that store `record` (and its index entry), dropping a previous owner's entry. */
export function putOps(record: LeaseRecord, previousOwner: string | null = null): StorageOp[] {
  const ops: StorageOp[] = [
    { type: 'put', path: recordPath(record.id), value: encodeJson(record) },
  ];
  if (previousOwner !== null && previousOwner !== record.ownerToken) {
    ops.push({ type: 'delete', path: indexPath(previousOwner, record.id) });
  }
  if (record.ownerToken !== null) {
    const path = indexPath(record.ownerToken, record.id);
    ops.push({ type: 'put', path, value: encodeJson(record.id) });
  }
  return ops;
}

/** The ops that delete `record` and its index entry. */
export function deleteOps(record: Pick<LeaseRecord, 'id' | 'ownerToken'>): StorageOp[] {
  const ops: StorageOp[] = [{ type: 'delete', path: recordPath(record.id) }];
  if (record.ownerToken !== null) {
    ops.push({ type: 'delete', path: indexPath(record.ownerToken, record.id) });
  }
  return ops;
}

/** A record as read, with the bytes it was read from (for a conditional write back). */
export interface StoredLease {
  /** Null when the bytes are not a well-formed record of the id (damage, a manual edit). */
  readonly record: LeaseRecord | null;
  readonly bytes: Uint8Array;
}

/** What is stored for lease `id`, or undefined when nothing is. */
export async function readLease(storage: Storage, id: string): Promise<StoredLease | undefined> {
  const bytes = await storage.get(recordPath(id));
  return bytes === undefined ? undefined : { record: parseRecord(bytes, id), bytes };
}

/** Every lease id that has a record, in storage order. */
export async function listLeaseIds(storage: Storage): Promise<string[]> {
  const keys = await storage.list(RECORD_PREFIX);
  return keys.filter((key) => !key.endsWith('/')).map(decodeSegment);
}

/** `bytes` as the record of `id`, or null when they are not one. */
export function parseRecord(bytes: Uint8Array, id: string): LeaseRecord | null {
  let value: unknown;
  try {
    value = decodeJson<unknown>(bytes);
  } catch {
    return null;
  }
  return isLeaseRecord(value) && value.id === id ? value : null;
}

const KINDS: ReadonlySet<LeaseKind> = new Set(['secret', 'token']);

function isLeaseRecord(value: unknown): value is LeaseRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    KINDS.has(r.kind as LeaseKind) &&
    typeof r.path === 'string' &&
    isTime(r.issueTime) &&
    isTime(r.expireTime) &&
    (r.lastRenewalTime === null || isTime(r.lastRenewalTime)) &&
    typeof r.renewable === 'boolean' &&
    (r.ownerToken === null || (typeof r.ownerToken === 'string' && r.ownerToken.length > 0)) &&
    typeof r.internal === 'object' &&
    r.internal !== null &&
    Number.isSafeInteger(r.revokeAttempts) &&
    (r.irrevocable === null || typeof r.irrevocable === 'string') &&
    (r.maxExpireTime === undefined || isTime(r.maxExpireTime)) &&
    (r.nextAttemptTime === undefined || isTime(r.nextAttemptTime))
  );
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Throws `InvalidRequestError` unless `id` can name a lease: non-empty, no NUL, no leading or
 * trailing `/`, no empty segment.
 */
export function assertLeaseId(id: string): void {
  if (
    typeof id !== 'string' ||
    id.length === 0 ||
    id.includes('\0') ||
    id.startsWith('/') ||
    id.endsWith('/') ||
    id.includes('//')
  ) {
    throw new InvalidRequestError('invalid lease ID', { leaseId: id });
  }
}

