/**
 * How tokens sit in the token store's view (`sys/token/` behind the barrier). A token id never
 * touches storage: every key is an HMAC-SHA256 under the cluster salt, domain-separated by
 * purpose, so the paths (which the barrier does not encrypt) reveal nothing either.
 *
 * | path                          | value                                  |
 * |-------------------------------|----------------------------------------|
 * | `salt`                        | 32 random bytes, created on first open |
 * | `batch-key`                   | the AES-256 key batch tokens are sealed under |
 * | `id/<hashed id>`              | the {@link TokenEntry}, JSON           |
 * | `accessor/<hashed accessor>`  | `{ accessor, hashedId }`               |
 * | `parent/<parent>/<child>`     | `{}`: one link per child, both hashed ids |
 * | `roles/<name>`                | a token role, JSON                     |
 */
import { createHmac } from 'node:crypto';

import { decodeJson, encodeJson, type Storage, type StorageOp } from '../logical/storage.js';
import { TokenStateCorruptError } from './errors.js';
import type { TokenEntry } from './types.js';

export const SALT_PATH = 'salt';
export const SALT_BYTES = 32;
export const BATCH_KEY_PATH = 'batch-key';
const ID_PREFIX = 'id/';
const ACCESSOR_PREFIX = 'accessor/';
const PARENT_PREFIX = 'parent/';
const VIEW = 'sys/token/';
const EMPTY_LINK = encodeJson({});

/** A token entry with the exact bytes it was read from (for conditional writes). */
export interface StoredEntry {
  readonly entry: TokenEntry;
  readonly bytes: Uint8Array;
}

/** An accessor index record: the accessor in clear (for LIST) and the token it names. */
export interface AccessorRecord {
  readonly accessor: string;
  readonly hashedId: string;
}

/** Reads and writes the records above; knows the salt, nothing else. */
export class TokenRecords {
  constructor(
    readonly storage: Storage,
    private readonly salt: Buffer,
  ) {}

  /** HMAC-SHA256 of a token id under the salt, hex (the same for `hvs.` and `hvb.` tokens). */
  hashId(clientToken: string): string {
    return this.hash('token', clientToken);
  }

  hashAccessor(accessor: string): string {
    return this.hash('accessor', accessor);
  }

  idPath(hashedId: string): string {
    return ID_PREFIX + hashedId;
  }

  accessorPath(accessor: string): string {
    return ACCESSOR_PREFIX + this.hashAccessor(accessor);
  }

  linkPath(parent: string, child: string): string {
    return `${PARENT_PREFIX}${parent}/${child}`;
  }

  /** The entry stored under `hashedId`, or undefined. */
  async read(hashedId: string): Promise<StoredEntry | undefined> {
    if (!/^[0-9a-f]{64}$/.test(hashedId)) return undefined;
    const bytes = await this.storage.get(this.idPath(hashedId));
    return bytes === undefined ? undefined : { entry: this.decode(bytes), bytes };
  }

  /** Decodes an entry, filling fields that records written by older versions lack. */
  decode(bytes: Uint8Array): TokenEntry {
    let raw: Partial<TokenEntry>;
    try {
      raw = decodeJson<Partial<TokenEntry>>(bytes);
    } catch (cause) {
      throw new TokenStateCorruptError(`${VIEW}id/<hashed>`, { cause });
    }
    if (typeof raw.hashedId !== 'string' || !Array.isArray(raw.policies)) {
      throw new TokenStateCorruptError(`${VIEW}id/<hashed>`);
    }
    const creationTime = raw.creationTime ?? 0;
    const ttl = raw.ttl ?? 0;
    return {
      hashedId: raw.hashedId,
      accessor: raw.accessor ?? '',
      policies: raw.policies,
      path: raw.path ?? '',
      meta: raw.meta ?? null,
      displayName: raw.displayName ?? '',
      creationTime,
      creationTtl: raw.creationTtl ?? ttl,
      ttl,
      expireTime: raw.expireTime ?? (ttl > 0 ? (creationTime + ttl) * 1000 : 0),
      lastRenewalTime: raw.lastRenewalTime ?? null,
      explicitMaxTtl: raw.explicitMaxTtl ?? 0,
      period: raw.period ?? 0,
      numUses: raw.numUses ?? 0,
      renewable: raw.renewable ?? false,
      orphan: raw.orphan ?? true,
      parent: raw.parent ?? '',
      type: raw.type ?? 'service',
      role: raw.role ?? '',
      entityId: raw.entityId ?? '',
      boundCidrs: raw.boundCidrs ?? [],
      ...(raw.revoking === true ? { revoking: true } : {}),
      ...(raw.login === undefined ? {} : { login: raw.login }),
    };
  }

  encode(entry: TokenEntry): Uint8Array {
    return encodeJson(entry);
  }

  /** The accessor record for `accessor`, or undefined. */
  async readAccessor(accessor: string): Promise<AccessorRecord | undefined> {
    const bytes = await this.storage.get(this.accessorPath(accessor));
    if (bytes === undefined) return undefined;
    return this.decodeAccessor(bytes);
  }

  decodeAccessor(bytes: Uint8Array): AccessorRecord {
    try {
      const record = decodeJson<AccessorRecord>(bytes);
      if (typeof record.accessor === 'string' && typeof record.hashedId === 'string') {
        return record;
      }
    } catch (cause) {
      throw new TokenStateCorruptError(`${VIEW}accessor/<hashed>`, { cause });
    }
    throw new TokenStateCorruptError(`${VIEW}accessor/<hashed>`);
  }

  /** The hashed ids of `parent`'s children. */
  async children(parent: string): Promise<string[]> {
    const keys = await this.storage.list(`${PARENT_PREFIX}${parent}/`);
    return keys.filter((key) => !key.endsWith('/'));
  }

  /** The hashed ids of every token that has (or had) children. */
  async parents(): Promise<string[]> {
    const keys = await this.storage.list(PARENT_PREFIX);
    return keys.filter((key) => key.endsWith('/')).map((key) => key.slice(0, -1));
  }

  /** Every accessor record's storage key suffix (the hashed accessor). */
  async hashedAccessors(): Promise<string[]> {
    return this.storage.list(ACCESSOR_PREFIX);
  }

  async readAccessorByHash(hashedAccessor: string): Promise<AccessorRecord | undefined> {
    const bytes = await this.storage.get(ACCESSOR_PREFIX + hashedAccessor);
    return bytes === undefined ? undefined : this.decodeAccessor(bytes);
  }

  deleteAccessorByHash(hashedAccessor: string): StorageOp {
    return { type: 'delete', path: ACCESSOR_PREFIX + hashedAccessor };
  }

  /** The writes that create a service token: its entry, accessor record and parent link. */
  creationOps(entry: TokenEntry): StorageOp[] {
    const ops: StorageOp[] = [
      {
        type: 'put',
        path: this.idPath(entry.hashedId),
        value: this.encode(entry),
        condition: { ifAbsent: true },
      },
      {
        type: 'put',
        path: this.accessorPath(entry.accessor),
        value: encodeJson({ accessor: entry.accessor, hashedId: entry.hashedId }),
        condition: { ifAbsent: true },
      },
    ];
    if (entry.parent !== '') {
      const path = this.linkPath(entry.parent, entry.hashedId);
      ops.push({ type: 'put', path, value: EMPTY_LINK });
    }
    return ops;
  }

  /** The deletes that remove a service token's records (its own children's links excepted). */
  removalOps(entry: TokenEntry): StorageOp[] {
    const ops: StorageOp[] = [{ type: 'delete', path: this.idPath(entry.hashedId) }];
    if (entry.accessor !== '') {
      ops.push({ type: 'delete', path: this.accessorPath(entry.accessor) });
    }
    if (entry.parent !== '') {
      ops.push({ type: 'delete', path: this.linkPath(entry.parent, entry.hashedId) });
    }
    return ops;
  }

  /** HMAC-SHA256 under the salt, domain-separated by `purpose`, as hex. */
  private hash(purpose: string, value: string): string {
    const hmac = createHmac('sha256', this.salt).update(`${purpose}:`);
    return hmac.update(value, 'utf8').digest('hex');
  }
}
