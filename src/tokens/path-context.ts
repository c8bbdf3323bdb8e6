/** What every path group of the token backend shares: the store, the clock, the mount path. */
import { PermissionDeniedError } from '../logical/errors.js';
import type { Request } from '../logical/request.js';
import type { TokenStore } from './token-store.js';
import type { TokenEntry } from './types.js';

export interface TokenPathContext {
  readonly store: TokenStore;
  /** Milliseconds, cluster clock. */
  readonly now: () => number;
  /** Where the backend is mounted, with a trailing `/` (`auth/token/`). */
  readonly mountPath: string;
}

/**
 * The calling token's entry; `PermissionDeniedError` (403) when it has none that is live. A
 * token whose last use this very request spent still counts.
 */
export async function callerEntry(
  context: TokenPathContext,
  request: Request,
): Promise<TokenEntry> {
  const entry = await context.store.lookup(request.clientToken, { inFlight: true });
  if (entry === null) throw new PermissionDeniedError();
  return entry;
}

/** The full path of `request` (`auth/token/create`), for the token's `path` field. */
export function fullPath(context: TokenPathContext, request: Request): string {
  return `${request.mountPoint ?? context.mountPath}${request.path}`;
}
