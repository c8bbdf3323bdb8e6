/** The TLS certificate auth method. */
export { CERT_MOUNT_TYPE, createCertBackend } from './backend.js';
export { InvalidCertificateError, RenewalRefusedError } from './errors.js';
export type { CertConfig, CertLoginInternal, CertRole } from './types.js';
