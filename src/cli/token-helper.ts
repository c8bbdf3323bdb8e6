/**
 * The token helper: the file `~/.vault-token` holds the token `login` obtained, mode 0600, and
 * every later command sends it unless VAULT_TOKEN is set. HOME comes from the environment the
 * command was given, so tests use a temporary one.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { LocalError } from './errors.js';
import type { Env } from './io.js';

export const TOKEN_HELPER_FILE = '.vault-token';

/** The helper file's path, or undefined when there is no HOME. */
export function tokenHelperPath(env: Env): string | undefined {
  const home = env.HOME ?? env.USERPROFILE;
  return home === undefined || home === '' ? undefined : join(home, TOKEN_HELPER_FILE);
}

/** The stored token, or undefined when there is none. */
export function readTokenHelper(env: Env): string | undefined {
  const path = tokenHelperPath(env);
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalError(`Error reading the token helper file ${path}`, { cause: err });
  }
  const token = text.trim();
  return token === '' ? undefined : token;
}

/**
 * Stores `token` for later commands, readable by the owner only.
 * @throws LocalError when there is no HOME or the file cannot be written.
 */
export function writeTokenHelper(env: Env, token: string): void {
  const path = tokenHelperPath(env);
  if (path === undefined) throw new LocalError('Cannot store the token: HOME is not set');
  try {
    writeFileSync(path, token, { mode: 0o600 });
    // An existing file keeps its mode through writeFileSync.
    chmodSync(path, 0o600);
  } catch (cause) {
    throw new LocalError(`Error writing the token helper file ${path}`, { cause });
  }
}

/** Forgets the stored token, if any. */
export function eraseTokenHelper(env: Env): void {
  const path = tokenHelperPath(env);
  if (path !== undefined) rmSync(path, { force: true });
}
