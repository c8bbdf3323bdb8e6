/** What the API listener knows about a client connection, for logical requests. */
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

import type { FastifyRequest } from 'fastify';

import type { ConnectionInfo } from '../logical/request.js';
import { tlsSocketOf } from './list-method/index.js';

/** The longest client certificate chain passed on; a longer one is cut (the leaf comes first). */
const MAX_CHAIN = 10;

/** The client's address and, over TLS, the certificate chain it presented. */
export function connectionOf(request: FastifyRequest): ConnectionInfo {
  const socket = tlsSocketOf(request.raw.socket);
  return {
    remoteAddress: request.socket.remoteAddress ?? '',
    remotePort: request.socket.remotePort,
    tls: socket !== null,
    peerCertificates: socket === null ? [] : peerChain(socket),
    peerCertificateVerified: socket?.authorized ?? false,
  };
}

/** The peer's chain as PEM, leaf first, following issuers until a self-signed one. */
function peerChain(socket: TLSSocket): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw !== undefined && chain.length < MAX_CHAIN && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(toPem(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
