/**
 * Which role a role_id names, remembered in memory so that `loginAlias` (which the core calls
 * synchronously, before the login) can name the role a login is for, and the core can refuse a
 * locked-out role without running the login.
 *
 * It is a hint, never an authority: every login still resolves the role_id from storage, and
 * corrects the hint. A role_id this node has not seen yet (after a restart, a leader change or
 * any change of the auth table, which rebuilds the backends) has no hint, so its first login
 * attempt here is not refused in advance; it still runs, a failure is counted, and before a
 * success becomes a token the core checks the lockout of the role the login resolved.
 */
import { createHash } from 'node:crypto';

/** Enough for every role of a large mount; the oldest hints are dropped past it. */
const DEFAULT_CAPACITY = 4096;

export class RoleIdAliases {
  // Keyed by a hash of the role_id, so the map holds no credential and bounded-size keys.
  private readonly names = new Map<string, string>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** The role name last seen for `roleId`, or null. */
  lookup(roleId: unknown): string | null {
    if (typeof roleId !== 'string' || roleId.length === 0) return null;
    return this.names.get(keyOf(roleId)) ?? null;
  }

  remember(roleId: string, name: string): void {
    const key = keyOf(roleId);
    this.names.delete(key);
    this.names.set(key, name);
    if (this.names.size > this.capacity) {
      const oldest = this.names.keys().next();
      if (oldest.done !== true) this.names.delete(oldest.value);
    }
  }

  forget(roleId: string): void {
    this.names.delete(keyOf(roleId));
  }
}

function keyOf(roleId: string): string {
  return createHash('sha256').update(roleId, 'utf8').digest('hex');
}
