/**
 * The audit log's errors. A bad device configuration is the client's to fix and is reported with
 * the shared `InvalidRequestError` (400); what is left is the fail-closed rule itself.
 */
import { LogicalError } from '../logical/errors.js';

/**
 * Thrown by the broker when devices are enabled and none of them could write the line: the
 * request must then fail rather than go unaudited (500). `fields.devices` names the devices that
 * failed; each failure is in `cause` (an `AggregateError`).
 */
export class AuditFailedError extends LogicalError {
  readonly code = 'audit_failed';
  readonly httpStatus = 500;

  constructor(
    kind: 'request' | 'response',
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`no audit backend succeeded in logging the ${kind}`, fields, options);
    this.name = 'AuditFailedError';
  }
}
