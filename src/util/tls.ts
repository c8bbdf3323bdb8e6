/**
 * TLS material for a Coffer cluster: a self-signed cluster CA and the leaf certificates it signs.
 * Every node holds a certificate whose common name is its node id; the cluster transport presents
 * it both as a server and as a client (mutual TLS) and reads the peer's node id back from the
 * verified peer certificate. Tests and the local cluster launcher generate their material here.
 *
 * Keys are RSA 2048 (node-forge encodes only RSA keys) and signatures SHA-256 with PKCS#1 v1.5.
 * forge builds the certificates; key generation and signing run in node:crypto, which is many
 * times faster than forge's pure-JavaScript RSA. Output is PEM.
 */
import {
  X509Certificate,
  constants,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  randomBytes,
} from 'node:crypto';
import { isIP } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import forge from 'node-forge';

/** A certificate and its private key, both PEM-encoded. */
export interface CertificateBundle {
  certPem: string;
  keyPem: string;
}

export interface CaOptions {
  /** Common name of the CA; defaults to `Coffer cluster CA`. */
  commonName?: string;
  /** Validity in days from `now`; defaults to 3650. */
  validDays?: number;
  /** The issuing time; defaults to the current time. */
  now?: Date;
}

/** What a leaf certificate may be used for, as TLS extended key usages. */
export type CertificateUsage = 'server' | 'client';

export interface CertificateOptions {
  commonName: string;
  /** Subject alternative names; each is an IP address (v4 or v6) or a DNS name. */
  subjectAltNames?: string[];
  /** Defaults to both `server` and `client`. */
  usages?: CertificateUsage[];
  /** Validity in days from `now`; defaults to 825. */
  validDays?: number;
  now?: Date;
  /** Reuse this PEM private key (to renew a certificate) instead of generating a new one. */
  keyPem?: string;
}

export interface NodeCertificateOptions {
  /** Becomes the certificate's common name; the cluster transport reads it back as the identity. */
  nodeId: string;
  /** Extra subject alternative names (addresses other nodes dial this node on). */
  subjectAltNames?: string[];
  validDays?: number;
  now?: Date;
  /** Reuse this PEM private key instead of generating a new one. */
  keyPem?: string;
}

/** Thrown when options or PEM input for certificate generation are invalid. */
export class TlsMaterialError extends Error {
  readonly code = 'tls_material_invalid';

  constructor(message: string, readonly fields: Record<string, unknown> = {}) {
    super(message, { cause: fields.cause });
    this.name = 'TlsMaterialError';
  }
}

/** Node ids that may appear as a certificate's common name. */
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Backdating absorbs small clock differences between the issuer and the verifiers. */
const BACKDATE_MS = 5 * 60 * 1000;

/** The DER prefix of a SHA-256 DigestInfo, which PKCS#1 v1.5 signs (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * Generates a self-signed CA for a cluster. Its certificate may sign leaves only (path length 0).
 * The returned key is the cluster's most sensitive TLS secret: whoever holds it can mint node ids.
 */
export function generateCa(options: CaOptions = {}): CertificateBundle {
  const keyPem = generateKeyPem();
  const cert = forge.pki.createCertificate();
  const subject = [{ name: 'commonName', value: options.commonName ?? 'Coffer cluster CA' }];

  cert.publicKey = publicKeyOf(keyPem);
  cert.serialNumber = randomSerial();
  setValidity(cert, options.now, options.validDays ?? 3650);
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(signerFor(keyPem), forge.md.sha256.create());

  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/**
 * Issues a leaf certificate signed by `ca`. Used directly for API server and client
 * certificates; node certificates go through {@link issueNodeCertificate}.
 *
 * @throws TlsMaterialError when the CA PEM cannot be parsed or a SAN is empty.
 */
export function issueCertificate(
  ca: CertificateBundle,
  options: CertificateOptions,
): CertificateBundle {
  const caCert = parseCertificate(ca.certPem);
  const keyPem = options.keyPem ?? generateKeyPem();
  const cert = forge.pki.createCertificate();
  const usages = options.usages ?? ['server', 'client'];

  cert.publicKey = publicKeyOf(keyPem);
  cert.serialNumber = randomSerial();
  setValidity(cert, options.now, options.validDays ?? 825);
  cert.setSubject([{ name: 'commonName', value: options.commonName }]);
  cert.setIssuer(caCert.subject.attributes);

  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    {
      name: 'extKeyUsage',
      serverAuth: usages.includes('server'),
      clientAuth: usages.includes('client'),
    },
    { name: 'subjectKeyIdentifier' },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ];
  const altNames = (options.subjectAltNames ?? []).map(toAltName);
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  cert.sign(signerFor(ca.keyPem), forge.md.sha256.create());

  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/**
 * Issues a node's cluster certificate: CN = `nodeId`, SANs 127.0.0.1, localhost and any extras,
 * usable both to serve and to dial (serverAuth and clientAuth).
 *
 * @throws TlsMaterialError when `nodeId` is not a valid node id.
 */
export function issueNodeCertificate(
  ca: CertificateBundle,
  options: NodeCertificateOptions,
): CertificateBundle {
  if (!isValidNodeId(options.nodeId)) {
    throw new TlsMaterialError('invalid node id for a certificate', { nodeId: options.nodeId });
  }
  const sans = ['127.0.0.1', 'localhost', ...(options.subjectAltNames ?? [])];
  return issueCertificate(ca, {
    commonName: options.nodeId,
    subjectAltNames: [...new Set(sans)],
    usages: ['server', 'client'],
    validDays: options.validDays,
    now: options.now,
    keyPem: options.keyPem,
  });
}

/** True when `id` may be used as a node id (and so as a node certificate's common name). */
export function isValidNodeId(id: string): boolean {
  return NODE_ID_PATTERN.test(id);
}

/**
 * The single common name of a certificate, or null when it has none or several. Accepts what
 * `TLSSocket.getPeerCertificate()` returns, a `X509Certificate`, or a PEM string.
 */
export function certificateCommonName(
  cert: PeerCertificate | X509Certificate | string,
): string | null {
  if (typeof cert === 'string') return certificateCommonName(new X509Certificate(cert));
  if (cert instanceof X509Certificate) {
    const names = cert.subject
      .split('\n')
      .filter((line) => line.startsWith('CN='))
      .map((line) => line.slice(3));
    return names.length === 1 ? (names[0] ?? null) : null;
  }
  const cn: unknown = cert.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : null;
}

/**
 * The node id a connected TLS peer authenticated as: the CN of its certificate, provided the
 * handshake verified that certificate against the configured CA. Null otherwise, or when the
 * CN is not a valid node id.
 */
export function peerNodeId(socket: TLSSocket): string | null {
  if (!socket.authorized) return null;
  const cert = socket.getPeerCertificate();
  if (cert === null || Object.keys(cert).length === 0) return null;
  const cn = certificateCommonName(cert);
  return cn !== null && isValidNodeId(cn) ? cn : null;
}

function setValidity(cert: forge.pki.Certificate, now: Date | undefined, days: number): void {
  const start = (now ?? new Date()).getTime();
  cert.validity.notBefore = new Date(start - BACKDATE_MS);
  cert.validity.notAfter = new Date(start + days * DAY_MS);
}

/** A positive 128-bit serial (RFC 5280 §4.1.2.2 asks for a positive integer, at most 20 bytes). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function toAltName(name: string): { type: number; value?: string; ip?: string } {
  if (name.length === 0) throw new TlsMaterialError('empty subject alternative name');
  // GeneralName tags from RFC 5280 §4.2.1.6: 2 is dNSName, 7 is iPAddress.
  return isIP(name) !== 0 ? { type: 7, ip: name } : { type: 2, value: name };
}

function parseCertificate(pem: string): forge.pki.Certificate {
  try {
    return forge.pki.certificateFromPem(pem);
  } catch (cause) {
    throw new TlsMaterialError('failed to parse CA certificate', { cause });
  }
}

function generateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function publicKeyOf(keyPem: string): forge.pki.rsa.PublicKey {
  try {
    const publicPem = createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
    return forge.pki.publicKeyFromPem(publicPem);
  } catch (cause) {
    throw new TlsMaterialError('failed to read RSA private key', { cause });
  }
}

/**
 * A stand-in for a forge private key whose `sign` runs in node:crypto. forge's certificate
 * signing only calls `key.sign(md)` with the finished digest and expects the PKCS#1 v1.5
 * signature back as a binary string.
 */
function signerFor(keyPem: string): forge.pki.rsa.PrivateKey {
  const sign = (md: forge.md.MessageDigest): string => {
    const digest = Buffer.from(md.digest().getBytes(), 'binary');
    const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, digest]);
    try {
      const signature = privateEncrypt(
        { key: keyPem, padding: constants.RSA_PKCS1_PADDING },
        digestInfo,
      );
      return signature.toString('binary');
    } catch (cause) {
      throw new TlsMaterialError('failed to sign with CA private key', { cause });
    }
  };
  return { sign } as unknown as forge.pki.rsa.PrivateKey;
}
