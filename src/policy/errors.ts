/** The errors of the policy module; names and store rules use the logical classes. */
import { LogicalError } from '../logical/errors.js';

/**
 * Thrown by `parsePolicy` (and so by `PolicyStore.put`) when a policy's text is not valid HCL or
 * JSON, or does not describe a valid policy: an unknown key or capability, a malformed value, a
 * forbidden wildcard (400). The message names the line, as in
 * `policy line 3: unknown capability "reed"`, and `line` holds it when known.
 */
export class InvalidPolicyError extends LogicalError {
  readonly code = 'invalid_policy';
  readonly httpStatus = 400;

  constructor(
    readonly reason: string,
    readonly line: number | undefined,
    options?: { cause?: unknown },
  ) {
    const where = line === undefined ? 'policy' : `policy line ${line}`;
    super(`${where}: ${reason}`, { line }, options);
    this.name = 'InvalidPolicyError';
  }
}
