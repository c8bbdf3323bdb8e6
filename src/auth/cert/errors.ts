/** Errors of the cert auth method that say more than the shared logical classes. */
import { InvalidRequestError } from '../../logical/index.js';

/**
 * Thrown when a PEM certificate or CRL cannot be used: not PEM, not DER inside, not a
 * well-formed X.509 structure, or one the method refuses to trust (400). The message names the
 * field and the problem, never the submitted bytes.
 */
export class InvalidCertificateError extends InvalidRequestError {
  constructor(
    message: string,
    fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, fields, options);
    this.name = 'InvalidCertificateError';
  }
}

/**
 * Thrown by a token renewal the method refuses (400): the role is gone, the certificate no longer
 * verifies or matches, the renewal came with another certificate, or the role's policies
 * changed since the login.
 */
export class RenewalRefusedError extends InvalidRequestError {
  constructor(message: string, fields: Record<string, unknown> = {}) {
    super(message, fields);
    this.name = 'RenewalRefusedError';
  }
}
