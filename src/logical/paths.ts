/**
 * Request path rules. A path is checked once it is percent-decoded and before anything routes on
 * it, so `..`, `%2e%2e` and `//` can never reach a mount other than the one they spell
 * (reliability.md, "Security bad-input matrix").
 */
import { InvalidRequestError } from './errors.js';

/**
 * Throws `InvalidRequestError` (400) unless `path` (below `/v1/`, decoded) is acceptable: no NUL,
 * no leading `/`, no empty segment (`a//b`), no `.` or `..` segment. A single trailing `/` is
 * allowed (list requests have one) and `''` is allowed (it routes nowhere).
 */
export function assertRequestPath(path: string): void {
  if (path.length === 0) return;
  if (path.includes('\0')) throw new InvalidRequestError('invalid request path: NUL character');
  const body = path.endsWith('/') ? path.slice(0, -1) : path;
  for (const segment of body.split('/')) {
    if (segment.length === 0) throw new InvalidRequestError('invalid request path: empty segment');
    if (segment === '.' || segment === '..') {
      throw new InvalidRequestError(`invalid request path: "${segment}" segment`);
    }
  }
}

/** `path` with one trailing `/` (list requests are made on folders). */
export function asFolder(path: string): string {
  return path.endsWith('/') || path.length === 0 ? path : `${path}/`;
}
