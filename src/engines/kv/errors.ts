/** Errors of the KV engine that carry more than the shared logical classes do. */
import { NotFoundError } from '../../logical/index.js';
import type { VersionReport } from './types.js';

/**
 * Thrown inside a write when the version it builds on is deleted or destroyed. Handlers catch it
 * and answer Vault's 404 that still carries the version's metadata; escaping, it is a plain 404
 * (its `code` is `not_found`).
 */
export class VersionGoneError extends NotFoundError {
  constructor(readonly report: VersionReport) {
    super('', { version: report.version });
    this.name = 'VersionGoneError';
  }
}
