/**
 * Certificate revocation lists (RFC 5280 §5), parsed with `@peculiar/asn1-x509` into what a
 * login checks: the issuer's name and the revoked serial numbers. A CRL revokes a serial only
 * for certificates whose issuer name is the CRL's issuer, so a CRL of one CA never refuses
 * another CA's certificate that happens to share a serial number.
 *
 * A CRL's signature is not checked: an operator writes it through an authenticated, ACL-checked
 * path, and a CRL can only ever refuse logins, never allow one.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';

import { InvalidCertificateError } from './errors.js';
import { decodeSinglePem, encodePem } from './pem.js';
import type { StoredCrl } from './types.js';
import { nameKey, unsignedHex, type ParsedCertificate } from './x509.js';

/**
 * Parses the PEM `X509 CRL` in `pem` into what is stored under `name`.
 *
 * @throws InvalidCertificateError when `pem` is not exactly one well-formed CRL.
 */
export function parseCrl(name: string, pem: string): StoredCrl {
  const der = decodeSinglePem(pem, 'X509 CRL', 'crl');
  let list: CertificateList;
  try {
    list = AsnConvert.parse(der, CertificateList);
  } catch (error) {
    throw new InvalidCertificateError('crl: not a valid X.509 CRL', { field: 'crl' }, {
      cause: error,
    });
  }
  const tbs = list.tbsCertList;
  const serials = (tbs.revokedCertificates ?? []).map((entry) =>
    unsignedHex(entry.userCertificate),
  );
  return {
    name,
    crl: encodePem('X509 CRL', der),
    issuerKey: nameKey(tbs.issuer),
    serials: [...new Set(serials)].sort(),
    thisUpdate: tbs.thisUpdate.getTime().toISOString(),
    nextUpdate: tbs.nextUpdate?.getTime().toISOString() ?? null,
  };
}

/** Answers whether a certificate is revoked by any of a set of CRLs. */
export class RevocationList {
  private readonly revoked = new Map<string, Set<string>>();

  constructor(crls: Iterable<StoredCrl>) {
    for (const crl of crls) {
      const serials = this.revoked.get(crl.issuerKey) ?? new Set<string>();
      for (const serial of crl.serials) serials.add(serial);
      this.revoked.set(crl.issuerKey, serials);
    }
  }

  /** True when a CRL of `certificate`'s issuer lists its serial number. */
  isRevoked(certificate: ParsedCertificate): boolean {
    return this.revoked.get(certificate.issuerKey)?.has(certificate.serial) === true;
  }
}
