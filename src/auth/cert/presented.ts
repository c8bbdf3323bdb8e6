/** The client certificate chain of a connection, parsed. */
import type { ConnectionInfo } from '../../logical/index.js';
import { InvalidCertificateError } from './errors.js';
import { MAX_CHAIN_LENGTH } from './verify.js';
import { ParsedCertificate } from './x509.js';

/** Why a connection's chain cannot be used at all; the message is safe to show the client. */
export class PresentedChainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PresentedChainError';
  }
}

/**
 * The certificates the TLS handshake received, leaf first. The HTTP layer (or, for a forwarded
 * request, the follower whose handshake verified them) fills `peerCertificates`; this method
 * checks them itself whatever `peerCertificateVerified` says.
 *
 * @throws PresentedChainError when there is no certificate, too many, or one does not parse.
 */
export function presentedChain(connection: ConnectionInfo): ParsedCertificate[] {
  const pems = connection.peerCertificates;
  if (pems.length === 0) throw new PresentedChainError('a client certificate is required');
  if (pems.length > MAX_CHAIN_LENGTH) {
    throw new PresentedChainError('the client certificate chain is too long');
  }
  try {
    return pems.map((pem) => ParsedCertificate.fromPem(pem, 'client certificate'));
  } catch (error) {
    if (!(error instanceof InvalidCertificateError)) throw error;
    throw new PresentedChainError('the client certificate is not a valid X.509 certificate', {
      cause: error,
    });
  }
}

/** `certificates` without repeats (by fingerprint), in first-seen order. */
export function distinct(certificates: Iterable<ParsedCertificate>): ParsedCertificate[] {
  const seen = new Map<string, ParsedCertificate>();
  for (const certificate of certificates) {
    if (!seen.has(certificate.fingerprint)) seen.set(certificate.fingerprint, certificate);
  }
  return [...seen.values()];
}
