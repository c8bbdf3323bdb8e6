/**
 * Storage paths: the ones the barrier and the seal reserve for themselves, and the validation
 * every path and prefix passes before it reaches the physical store.
 *
 * Layout of the reserved records (all under `core/`):
 * - `core/root-key`: the root key, AES-256-GCM under the unseal key.
 * - `core/keyring`: the keyring (every data key term), AES-256-GCM under the root key.
 * - `core/seal-config`: the seal's shares and threshold, in plaintext JSON. It is the one record
 *   that is not encrypted, because `sys/seal-status` must report `t` and `n` while sealed and
 *   nothing can be decrypted then. It holds no secret; tampering with it can only make unseal
 *   fail (a wrong threshold combines to a key that does not open `core/root-key`), and an
 *   attacker in control of storage can deny service anyway (reliability.md A4, out of scope).
 *
 * The barrier refuses reads and writes of these paths from above and hides them from listings,
 * so no engine or core code can overwrite the keys by accident.
 */
import { InvalidPathError } from './errors.js';

/** Where the root key, encrypted under the unseal key, is stored. */
export const ROOT_KEY_PATH = 'core/root-key';

/** Where the keyring, encrypted under the root key, is stored. */
export const KEYRING_PATH = 'core/keyring';

/** Where the seal stores its configuration (shares, threshold), in plaintext. */
export const SEAL_CONFIG_PATH = 'core/seal-config';

const RESERVED = new Set([ROOT_KEY_PATH, KEYRING_PATH, SEAL_CONFIG_PATH]);

/** True for the paths the barrier and seal keep for themselves. */
export function isReservedPath(path: string): boolean {
  return RESERVED.has(path);
}

/**
 * Throws `InvalidPathError` unless `path` names a single entry: non-empty, relative (no leading
 * `/`), no trailing `/`, no empty, `.` or `..` segment, no NUL.
 */
export function assertValidPath(path: string): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidPathError(String(path), 'empty path');
  }
  if (path.endsWith('/')) throw new InvalidPathError(path, 'a path may not end with "/"');
  assertSegments(path, path);
}

/**
 * Throws `InvalidPathError` unless `prefix` is usable for `list` or `view`: empty (the root), or
 * relative segments each followed by `/`, with the same segment rules as {@link assertValidPath}.
 */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidPathError(String(prefix), 'not a string');
  if (prefix.length === 0) return;
  if (!prefix.endsWith('/')) throw new InvalidPathError(prefix, 'a prefix must end with "/"');
  assertSegments(prefix.slice(0, -1), prefix);
}

// A lone surrogate would encode to U+FFFD in UTF-8, so two different paths could share the
// same associated data; such paths are refused.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const SLASH = 0x2f;
const DOT = 0x2e;
const NUL_OR_SURROGATE = /[\0\uD800-\uDFFF]/;

function assertSegments(body: string, original: string): void {
  if (plainSegments(body)) return;
  if (body.includes('\0')) throw new InvalidPathError(original, 'NUL character');
  if (LONE_SURROGATE.test(body)) throw new InvalidPathError(original, 'malformed UTF-16');
  if (body.startsWith('/')) throw new InvalidPathError(original, 'absolute paths are refused');
  for (const segment of body.split('/')) {
    if (segment.length === 0) throw new InvalidPathError(original, 'empty segment');
    if (segment === '.' || segment === '..') {
      throw new InvalidPathError(original, `"${segment}" segments are refused`);
    }
  }
}

/**
 * The common case without splitting: true when the checks above cannot refuse `body`. An empty
 * segment needs an empty body, a leading or trailing `/` or a `//`; a `.` or `..` segment starts
 * with a `.` at the start or after a `/`; and a lone surrogate is a surrogate. False only sends
 * `body` through those checks, which decide (`a/.b` or a valid surrogate pair passes there).
 */
function plainSegments(body: string): boolean {
  const first = body.charCodeAt(0);
  return (
    body.length > 0 &&
    first !== SLASH &&
    first !== DOT &&
    body.charCodeAt(body.length - 1) !== SLASH &&
    !body.includes('//') &&
    !body.includes('/.') &&
    !NUL_OR_SURROGATE.test(body)
  );
}
