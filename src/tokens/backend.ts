/**
 * The token auth method, mounted by the core at `auth/token/` (vault-api.md §2.2). Paths relative
 * to the mount:
 *
 * | path                                          | operations              |
 * |-----------------------------------------------|-------------------------|
 * | `create`, `create-orphan`, `create/<role>`    | update                  |
 * | `lookup`, `lookup-self`                       | read, update            |
 * | `lookup-accessor`                             | update                  |
 * | `renew`, `renew-self`, `renew-accessor`       | update                  |
 * | `revoke`, `revoke-self`, `revoke-accessor`, `revoke-orphan` | update (204) |
 * | `roles`                                       | list                    |
 * | `roles/<name>`                                | read, update, delete    |
 * | `accessors`                                   | list (sudo)             |
 * | `tidy`                                        | update                  |
 *
 * Every handler finds its caller with `store.lookup(request.clientToken)`; the core has already
 * checked the token and the ACL, and set `request.sudo`.
 */
import { PathBackend, type Backend } from '../logical/backend.js';
import { createPaths } from './path-create.js';
import { lookupPaths } from './path-lookup.js';
import { maintenancePaths } from './path-maintenance.js';
import { renewPaths } from './path-renew.js';
import { revokePaths } from './path-revoke.js';
import { rolePaths } from './path-roles.js';
import type { TokenStore } from './token-store.js';

/** The paths of this backend the core must treat as root-protected (Vault's "sudo" paths). */
export const TOKEN_SUDO_PATHS: readonly string[] = ['revoke-orphan', 'accessors/'];

export interface TokenBackendOptions {
  /** Milliseconds, cluster clock. */
  readonly now: () => number;
  /** Where the backend is mounted, with a trailing `/`; `auth/token/` unless given. */
  readonly mountPath?: string;
}

/** Builds the token auth method over `store`. */
export function createTokenBackend(store: TokenStore, options: TokenBackendOptions): Backend {
  const context = { store, now: options.now, mountPath: options.mountPath ?? 'auth/token/' };
  return new PathBackend([
    ...createPaths(context),
    ...lookupPaths(context),
    ...renewPaths(context),
    ...revokePaths(context),
    ...rolePaths(context),
    ...maintenancePaths(context),
  ]);
}
