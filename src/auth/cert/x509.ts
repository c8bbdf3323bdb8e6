/**
 * One X.509 certificate, parsed once into what the cert auth method checks. Signatures and
 * issuer/subject chaining go through Node's `crypto.X509Certificate` (OpenSSL); the fields
 * OpenSSL does not expose in structured form (name attributes, subject alternative names, raw
 * extension values, key usage bits, path length) come from `@peculiar/asn1-x509`, the RFC 5280
 * schema. A certificate is refused when either parser refuses it.
 */
import { createHash, X509Certificate } from 'node:crypto';

import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  type Name,
} from '@peculiar/asn1-x509';

import { InvalidCertificateError } from './errors.js';
import { decodeSinglePem, encodePem } from './pem.js';

const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATIONAL_UNIT = '2.5.4.11';
/** keyCertSign is bit 5 of the KeyUsage BIT STRING (RFC 5280 §4.2.1.3). */
const KEY_CERT_SIGN_BIT = 5;

/** One extension as the certificate carries it. */
export interface CertificateExtension {
  readonly critical: boolean;
  /** The DER inside `extnValue`. */
  readonly value: Buffer;
}

export class ParsedCertificate {
  /** The certificate's bytes exactly as presented: what pinning compares. */
  readonly der: Buffer;
  /** SHA-256 of {@link der}, lower-case hex. */
  readonly fingerprint: string;
  /** The serial number, lower-case hex without leading zeros: what CRLs are matched on. */
  readonly serial: string;
  /** RFC 5280 §7.1-style comparable forms of the names (see {@link nameKey}). */
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** Milliseconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** Basic constraints say `cA: TRUE`. */
  readonly isCa: boolean;
  /** Basic constraints' `pathLenConstraint`, when given. */
  readonly pathLength: number | undefined;
  /** False when a KeyUsage extension is present without keyCertSign. */
  readonly mayIssueCertificates: boolean;
  /** Extended key usage OIDs, or undefined when the extension is absent (any use). */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** Every common name of the subject, in order. */
  readonly commonNames: readonly string[];
  readonly organizationalUnits: readonly string[];
  readonly dnsNames: readonly string[];
  readonly emailAddresses: readonly string[];
  readonly uris: readonly string[];
  /** Key identifiers as colon-separated lower-case hex, or `''`. */
  readonly subjectKeyId: string;
  readonly authorityKeyId: string;
  /** Extensions by OID. */
  readonly extensions: ReadonlyMap<string, CertificateExtension>;

  private constructor(
    readonly native: X509Certificate,
    asn: Certificate,
    der: Buffer,
  ) {
    const tbs = asn.tbsCertificate;
    this.der = der;
    this.fingerprint = createHash('sha256').update(der).digest('hex');
    this.serial = unsignedHex(tbs.serialNumber);
    this.subjectKey = nameKey(tbs.subject);
    this.issuerKey = nameKey(tbs.issuer);
    this.notBefore = tbs.validity.notBefore.getTime().getTime();
    this.notAfter = tbs.validity.notAfter.getTime().getTime();
    this.extensions = extensionMap(asn);
    this.commonNames = attributes(tbs.subject, OID_COMMON_NAME);
    this.organizationalUnits = attributes(tbs.subject, OID_ORGANIZATIONAL_UNIT);

    const constraints = this.decode(id_ce_basicConstraints, BasicConstraints);
    this.isCa = constraints?.cA === true;
    this.pathLength = constraints?.pathLenConstraint;
    const keyUsage = this.decode(id_ce_keyUsage, KeyUsage);
    this.mayIssueCertificates = keyUsage === undefined || hasBit(keyUsage.value, KEY_CERT_SIGN_BIT);
    const extendedKeyUsage = this.decode(id_ce_extKeyUsage, ExtendedKeyUsage);
    this.extendedKeyUsage = extendedKeyUsage === undefined ? undefined : [...extendedKeyUsage];

    const names = [...(this.decode(id_ce_subjectAltName, SubjectAlternativeName) ?? [])];
    this.dnsNames = names.flatMap((name) => name.dNSName ?? []);
    this.emailAddresses = names.flatMap((name) => name.rfc822Name ?? []);
    this.uris = names.flatMap((name) => name.uniformResourceIdentifier ?? []);

    const subjectKeyId = this.decode(id_ce_subjectKeyIdentifier, SubjectKeyIdentifier);
    this.subjectKeyId = subjectKeyId === undefined ? '' : colonHex(subjectKeyId.buffer);
    const authorityKeyId = this.decode(id_ce_authorityKeyIdentifier, AuthorityKeyIdentifier);
    const keyId = authorityKeyId?.keyIdentifier;
    this.authorityKeyId = keyId === undefined ? '' : colonHex(keyId.buffer);
  }

  /**
   * Parses DER.
   *
   * @throws InvalidCertificateError when the bytes are not one well-formed X.509 certificate,
   *   or an extension appears twice (RFC 5280 §4.2) or cannot be decoded.
   */
  static fromDer(der: Uint8Array, field: string): ParsedCertificate {
    const bytes = Buffer.from(der);
    try {
      const native = new X509Certificate(bytes);
      const asn = AsnConvert.parse(bytes, Certificate);
      return new ParsedCertificate(native, asn, bytes);
    } catch (error) {
      if (error instanceof InvalidCertificateError) throw error;
      throw new InvalidCertificateError(`${field}: not a valid X.509 certificate`, { field }, {
        cause: error,
      });
    }
  }

  /** Parses a PEM text holding exactly one `CERTIFICATE` block. */
  static fromPem(pem: string, field: string): ParsedCertificate {
    return ParsedCertificate.fromDer(decodeSinglePem(pem, 'CERTIFICATE', field), field);
  }

  /** The certificate as a canonical PEM block. */
  toPem(): string {
    return encodePem('CERTIFICATE', this.der);
  }

  /** True when `now` (ms) lies within notBefore..notAfter, both inclusive (RFC 5280 §4.1.2.5). */
  isValidAt(now: number): boolean {
    return this.notBefore <= now && now <= this.notAfter;
  }

  /**
   * True when `issuer` issued this certificate: OpenSSL's issuer check (the issuer's subject is
   * this certificate's issuer, key identifiers agree, key usage allows signing certificates) and
   * this certificate's signature verifies under the issuer's public key.
   */
  isIssuedBy(issuer: ParsedCertificate): boolean {
    return this.native.checkIssued(issuer.native) && this.native.verify(issuer.native.publicKey);
  }

  /** The serial number in decimal, as Vault reports it in login metadata. */
  serialDecimal(): string {
    return BigInt(`0x${this.serial}`).toString(10);
  }

  /**
   * The extension `oid` decoded as an ASN.1 character string (UTF8String, PrintableString,
   * IA5String, TeletexString, BMPString or UniversalString), or undefined when it is absent or
   * holds something else.
   */
  stringExtension(oid: string): string | undefined {
    const extension = this.extensions.get(oid);
    if (extension === undefined) return undefined;
    try {
      const value = AsnConvert.parse(extension.value, AttributeValue);
      if (value.anyValue !== undefined) return undefined;
      return value.ia5String ?? value.toString();
    } catch {
      return undefined;
    }
  }

  private decode<T>(oid: string, type: new () => T): T | undefined {
    const extension = this.extensions.get(oid);
    if (extension === undefined) return undefined;
    try {
      return AsnConvert.parse(extension.value, type);
    } catch (error) {
      throw new InvalidCertificateError(`certificate extension ${oid} is malformed`, { oid }, {
        cause: error,
      });
    }
  }
}

/**
 * A comparable form of a distinguished name: each attribute as `oid=value`, the value trimmed,
 * its inner white space folded and lower-cased (a simplification of RFC 5280 §7.1), attributes of
 * one RDN sorted and joined by `+`, RDNs joined by `,`. CRLs are bound to their issuer with it.
 */
export function nameKey(name: Name): string {
  return name
    .map((rdn) =>
      rdn
        .map((attribute) => {
          const value = attribute.value.toString().trim().replace(/\s+/gu, ' ').toLowerCase();
          return `${attribute.type}=${value}`;
        })
        .sort()
        .join('+'),
    )
    .join(',');
}

/** Big-endian bytes as lower-case hex without leading zeros (`'0'` for zero). */
export function unsignedHex(bytes: ArrayBuffer | Uint8Array): string {
  const hex = Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))
    .toString('hex')
    .replace(/^0+/u, '');
  return hex.length === 0 ? '0' : hex;
}

function extensionMap(asn: Certificate): Map<string, CertificateExtension> {
  const map = new Map<string, CertificateExtension>();
  for (const extension of asn.tbsCertificate.extensions ?? []) {
    if (map.has(extension.extnID)) {
      throw new InvalidCertificateError(
        `certificate carries extension ${extension.extnID} twice`,
        { oid: extension.extnID },
      );
    }
    map.set(extension.extnID, {
      critical: extension.critical,
      value: Buffer.from(extension.extnValue.buffer),
    });
  }
  return map;
}

function attributes(name: Name, oid: string): string[] {
  return name.flatMap((rdn) =>
    rdn.filter((attribute) => attribute.type === oid).map((a) => a.value.toString()),
  );
}

function hasBit(bits: ArrayBuffer, index: number): boolean {
  const octet = new Uint8Array(bits)[index >> 3] ?? 0;
  return ((octet >> (7 - (index & 7))) & 1) === 1;
}

function colonHex(bytes: ArrayBuffer): string {
  return (Buffer.from(bytes).toString('hex').match(/../gu) ?? []).join(':');
}
