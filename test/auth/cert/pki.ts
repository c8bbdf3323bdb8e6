/**
 * A small in-test PKI: P-256 keys from Node, certificates and CRLs built with the RFC 5280
 * schema of `@peculiar/asn1-x509` and signed with `crypto.sign`. Every field a test cares about
 * (serial, names, validity, basic constraints, key usages, extensions) is an option, so a test
 * can build exactly the certificate it needs, including broken ones.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificateList,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  RevokedCertificate,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  TBSCertList,
  Time,
  Validity,
  Version,
} from '@peculiar/asn1-x509';

export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';

export interface KeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

export interface Issued {
  readonly pem: string;
  readonly der: Buffer;
  readonly keys: KeyPair;
  readonly subject: Name;
  readonly subjectKeyId: Buffer;
  readonly serial: bigint;
}

export interface CertificateOptions {
  /** The common name(s), in order. */
  readonly cn?: string | readonly string[];
  readonly ou?: readonly string[];
  /** Signs the certificate; self-signed when absent. */
  readonly issuer?: Issued;
  /** Sign with this key instead of the issuer's (a forged certificate). */
  readonly signingKey?: KeyObject;
  readonly ca?: boolean;
  readonly pathLength?: number;
  readonly serial?: bigint;
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly dns?: readonly string[];
  readonly email?: readonly string[];
  readonly uri?: readonly string[];
  /** KeyUsageFlags; the default is keyCertSign|cRLSign for a CA, digitalSignature otherwise. */
  readonly keyUsage?: number | null;
  /** Extended key usage OIDs; the default is clientAuth for a leaf, none for a CA. */
  readonly extKeyUsage?: readonly string[] | null;
  readonly extensions?: readonly { oid: string; critical?: boolean; value: Uint8Array }[];
  readonly keys?: KeyPair;
}

let nextSerial = 1000n;

/** A fresh P-256 key pair. */
export function newKeys(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** Issues (or self-signs) a certificate as `options` say. */
export function issue(options: CertificateOptions = {}): Issued {
  const keys = options.keys ?? newKeys();
  const ca = options.ca ?? false;
  const serial = options.serial ?? nextSerial++;
  const subject = name(options.cn ?? 'client', options.ou ?? []);
  const spkiDer = keys.publicKey.export({ type: 'spki', format: 'der' });
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  const subjectKeyId = createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();

  const extensions: Extension[] = [];
  const add = (oid: string, critical: boolean, value: unknown): void => {
    extensions.push(extension(oid, critical, Buffer.from(AsnConvert.serialize(value))));
  };
  add(
    id_ce_basicConstraints,
    true,
    new BasicConstraints({ cA: ca, pathLenConstraint: ca ? options.pathLength : undefined }),
  );
  const keyUsage =
    options.keyUsage === undefined
      ? ca
        ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign
        : KeyUsageFlags.digitalSignature
      : options.keyUsage;
  if (keyUsage !== null) add(id_ce_keyUsage, true, new KeyUsage(keyUsage));
  const defaultExtKeyUsage = ca ? null : [CLIENT_AUTH];
  const extKeyUsage =
    options.extKeyUsage === undefined ? defaultExtKeyUsage : options.extKeyUsage;
  if (extKeyUsage !== null) add(id_ce_extKeyUsage, false, new ExtendedKeyUsage([...extKeyUsage]));
  add(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(subjectKeyId));
  const issuerKeyId = options.issuer?.subjectKeyId ?? subjectKeyId;
  add(
    id_ce_authorityKeyIdentifier,
    false,
    new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyId) }),
  );
  const altNames = [
    ...(options.dns ?? []).map((dNSName) => new GeneralName({ dNSName })),
    ...(options.email ?? []).map((rfc822Name) => new GeneralName({ rfc822Name })),
    ...(options.uri ?? []).map((uri) => new GeneralName({ uniformResourceIdentifier: uri })),
  ];
  if (altNames.length > 0) add(id_ce_subjectAltName, false, new SubjectAlternativeName(altNames));
  for (const extra of options.extensions ?? []) {
    extensions.push(extension(extra.oid, extra.critical ?? false, extra.value));
  }

  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: integerBytes(serial),
    signature: algorithm,
    issuer: options.issuer?.subject ?? subject,
    validity: new Validity({
      notBefore: new Date(options.notBefore ?? '2023-01-01T00:00:00Z'),
      notAfter: new Date(options.notAfter ?? '2030-01-01T00:00:00Z'),
    }),
    subject,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  });
  const signingKey = options.signingKey ?? options.issuer?.keys.privateKey ?? keys.privateKey;
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), signingKey);
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: toArrayBuffer(signature),
  });
  const der = Buffer.from(AsnConvert.serialize(certificate));
  return { pem: pem('CERTIFICATE', der), der, keys, subject, subjectKeyId, serial };
}

/** A PEM CRL from `issuer` revoking `revoked` (certificates or serial numbers). */
export function issueCrl(
  issuer: Issued,
  revoked: readonly (Issued | bigint)[],
  options: { thisUpdate?: string; nextUpdate?: string } = {},
): string {
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 });
  const thisUpdate = new Date(options.thisUpdate ?? '2024-01-01T00:00:00Z');
  const entries = revoked.map(
    (item) =>
      new RevokedCertificate({
        userCertificate: integerBytes(typeof item === 'bigint' ? item : item.serial),
        revocationDate: new Time(thisUpdate),
      }),
  );
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: algorithm,
    issuer: issuer.subject,
    thisUpdate: new Time(thisUpdate),
    nextUpdate: new Time(new Date(options.nextUpdate ?? '2024-02-01T00:00:00Z')),
    revokedCertificates: entries.length > 0 ? entries : undefined,
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), issuer.keys.privateKey);
  const list = new CertificateList({
    tbsCertList: tbs,
    signatureAlgorithm: algorithm,
    signature: toArrayBuffer(signature),
  });
  return pem('X509 CRL', Buffer.from(AsnConvert.serialize(list)));
}

/** The DER of a UTF8String, the usual value of a custom string extension. */
export function utf8String(value: string): Buffer {
  return Buffer.from(AsnConvert.serialize(new AttributeValue({ utf8String: value })));
}

export function pem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function name(cn: string | readonly string[], ou: readonly string[]): Name {
  const rdn = (type: string, value: string): RelativeDistinguishedName =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
    ]);
  const cns = typeof cn === 'string' ? [cn] : cn;
  return new Name([
    rdn('2.5.4.10', 'Coffer Tests'),
    ...ou.map((unit) => rdn('2.5.4.11', unit)),
    ...cns.map((common) => rdn('2.5.4.3', common)),
  ]);
}

function extension(oid: string, critical: boolean, value: Uint8Array): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(value) });
}

/** A positive DER INTEGER's content bytes. */
function integerBytes(value: bigint): ArrayBuffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return toArrayBuffer(Buffer.from(hex, 'hex'));
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}
