/** User records in the mount's storage, and the rules for user names. */
import {
  ConflictError,
  decodeJson,
  encodeJson,
  getJson,
  InvalidRequestError,
  StorageConditionFailedError,
  type Storage,
  type StorageCondition,
} from '../../logical/index.js';
import { USER_PREFIX, type StoredUser } from './types.js';

/** How often an edit is retried when a concurrent write lands between its read and its write. */
const EDIT_ATTEMPTS = 5;

/**
 * The canonical form of a user name, used for storage, logins and the lockout alias alike: lower
 * case, so case variants are one user (reliability.md, CVE-2025-6004).
 */
export function canonicalUserName(name: string): string {
  return name.toLowerCase();
}

// Vault's documented rule: letters, digits, `_`, `-` and `.`; no leading `-`, no leading or
// trailing `.` (Vault API docs, userpass "Create/Update user").
const USER_NAME = /^(?![-.])[a-z0-9_.-]+(?<!\.)$/u;

/** True for a canonical name a user may have. */
export function isValidUserName(canonical: string): boolean {
  return USER_NAME.test(canonical);
}

/** Throws `InvalidRequestError` (400) unless `canonical` is a name a user may have. */
export function assertValidUserName(canonical: string): void {
  if (!isValidUserName(canonical)) {
    throw new InvalidRequestError(
      'invalid username: use letters, digits, "_", "-" and "."; it may not begin with "-" ' +
        'or begin or end with "."',
      { field: 'username' },
    );
  }
}

export class UserStore {
  constructor(private readonly storage: Storage) {}

  /** The user named `canonical`, or undefined. */
  get(canonical: string): Promise<StoredUser | undefined> {
    return getJson<StoredUser>(this.storage, USER_PREFIX + canonical);
  }

  /** Every user name, sorted. */
  async list(): Promise<string[]> {
    const children = await this.storage.list(USER_PREFIX);
    return children.filter((name) => !name.endsWith('/'));
  }

  delete(canonical: string): Promise<void> {
    return this.storage.delete(USER_PREFIX + canonical);
  }

  /**
   * Stores what `change` makes of the current record (undefined when there is none) and resolves
   * to it. The write is conditional on the record read, so a concurrent edit is never lost: the
   * edit is re-run on the newer record. `change` may throw to refuse the edit.
   *
   * @throws ConflictError (409) when concurrent writes keep winning.
   */
  async edit(
    canonical: string,
    change: (current: StoredUser | undefined) => StoredUser,
  ): Promise<StoredUser> {
    const path = USER_PREFIX + canonical;
    for (let attempt = 0; attempt < EDIT_ATTEMPTS; attempt++) {
      const bytes = await this.storage.get(path);
      const next = change(bytes === undefined ? undefined : decodeJson<StoredUser>(bytes));
      const condition: StorageCondition =
        bytes === undefined ? { ifAbsent: true } : { ifValue: bytes };
      try {
        await this.storage.batch([{ type: 'put', path, value: encodeJson(next), condition }]);
        return next;
      } catch (err) {
        if (!(err instanceof StorageConditionFailedError)) throw err;
      }
    }
    throw new ConflictError('the user was changed concurrently; retry', { user: canonical });
  }
}
