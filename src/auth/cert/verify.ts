/**
 * Whether a client certificate is trusted by one role's certificate. This is where Coffer is
 * stricter than Vault's history (CVE-2024-2048, CVE-2025-6037: a pinned certificate matched on a
 * few fields):
 *
 * - a pinned (non-CA) role certificate matches only the byte-identical certificate;
 * - a CA role certificate matches only a leaf whose chain it anchors: each link's issuer name
 *   and key identifiers agree and its signature verifies, each issuer is a CA allowed to sign
 *   certificates, and path length constraints hold;
 * - every certificate involved (leaf, intermediates, the role's) must be valid at `now`, not
 *   revoked by a CRL of its issuer, usable for client authentication (RFC 5280 §4.2.1.12) and
 *   free of critical extensions this code does not understand (RFC 5280 §4.2).
 */
import {
  anyExtendedKeyUsage,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
} from '@peculiar/asn1-x509';

import type { RevocationList } from './crl.js';
import type { ParsedCertificate } from './x509.js';

/** The most certificates a chain may hold, the role's excluded; it bounds the search. */
export const MAX_CHAIN_LENGTH = 10;

/** The extensions this method acts on, so they may be critical. */
export const HANDLED_EXTENSIONS: ReadonlySet<string> = new Set([
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_extKeyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
]);

export interface VerifyContext {
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly revocations: RevocationList;
}

export type Verification =
  | { readonly ok: true; readonly chain: readonly ParsedCertificate[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Why `certificate` cannot take part in a login as a leaf or as an issuer, or null when it can.
 * `handled` are the extension OIDs it may carry as critical.
 */
export function certificateFailure(
  certificate: ParsedCertificate,
  position: 'leaf' | 'issuer',
  context: VerifyContext,
  handled: ReadonlySet<string> = HANDLED_EXTENSIONS,
): string | null {
  if (context.now < certificate.notBefore) return 'is not yet valid';
  if (context.now > certificate.notAfter) return 'has expired';
  if (context.revocations.isRevoked(certificate)) return 'is revoked';
  for (const [oid, extension] of certificate.extensions) {
    if (extension.critical && !handled.has(oid)) return `has unsupported critical extension ${oid}`;
  }
  const usages = certificate.extendedKeyUsage;
  if (usages !== undefined && !usages.includes(id_kp_clientAuth)) {
    if (!usages.includes(anyExtendedKeyUsage)) return 'is not for client authentication';
  }
  if (position === 'issuer' && !certificate.isCa) return 'is not a CA';
  // OpenSSL's issuer check refuses this as well; saying it here names the reason.
  if (position === 'issuer' && !certificate.mayIssueCertificates) {
    return 'may not sign certificates';
  }
  return null;
}

/** Matches `leaf` against a pinned role certificate: the same bytes, and usable now. */
export function verifyPinned(
  leaf: ParsedCertificate,
  pinned: ParsedCertificate,
  context: VerifyContext,
  leafHandled: ReadonlySet<string>,
): Verification {
  if (!leaf.der.equals(pinned.der)) return fail('is not the pinned certificate');
  const failure = certificateFailure(leaf, 'leaf', context, leafHandled);
  return failure === null ? { ok: true, chain: [leaf] } : fail(`client certificate ${failure}`);
}

/**
 * Searches a chain from `leaf` through some of `intermediates` (in any order, unused ones
 * ignored) to `anchor`, the role's CA certificate, and checks it. The search is breadth-first
 * and visits each intermediate once, so its cost stays quadratic in the chain's length whatever
 * a client sends (certificates sharing one name and key all "issue" each other). A revoked or
 * unusable intermediate is skipped, so a client may offer alternatives (an old and a new
 * intermediate). The chain returned runs from the leaf to the last intermediate; the anchor is
 * not in it.
 */
export function verifyToAnchor(
  leaf: ParsedCertificate,
  intermediates: readonly ParsedCertificate[],
  anchor: ParsedCertificate,
  context: VerifyContext,
  leafHandled: ReadonlySet<string>,
): Verification {
  // A self-signed CA used as the client certificate itself (OpenSSL's `req -x509` marks its
  // certificates CA:TRUE): byte-identical to the role's, which is as strong as pinning.
  if (leaf.der.equals(anchor.der)) return verifyPinned(leaf, anchor, context, leafHandled);
  const anchorFailure = certificateFailure(anchor, 'issuer', context);
  if (anchorFailure !== null) return fail(`role certificate ${anchorFailure}`);
  const leafFailure = certificateFailure(leaf, 'leaf', context, leafHandled);
  if (leafFailure !== null) return fail(`client certificate ${leafFailure}`);

  let reason = 'client certificate does not chain to the role certificate';
  const visited = new Set([leaf.fingerprint, anchor.fingerprint]);
  const paths: (readonly ParsedCertificate[])[] = [[leaf]];
  for (let next = 0; next < paths.length; next++) {
    const path = paths[next] as readonly ParsedCertificate[];
    const current = path[path.length - 1] as ParsedCertificate;
    if (current.isIssuedBy(anchor)) {
      const lengthFailure = pathLengthFailure([...path, anchor]);
      if (lengthFailure === null) return { ok: true, chain: path };
      reason = lengthFailure;
    }
    if (path.length >= MAX_CHAIN_LENGTH) continue;
    for (const candidate of intermediates) {
      if (visited.has(candidate.fingerprint) || !current.isIssuedBy(candidate)) continue;
      visited.add(candidate.fingerprint);
      const failure = certificateFailure(candidate, 'issuer', context);
      if (failure === null) paths.push([...path, candidate]);
      else reason = `intermediate certificate ${failure}`;
    }
  }
  return fail(reason);
}

/**
 * Why `chain` (leaf first, anchor last) breaks a basic constraints path length (RFC 5280
 * §4.2.1.9: how many intermediates may follow), or null. Self-issued intermediates count too,
 * which is stricter than the RFC.
 */
function pathLengthFailure(chain: readonly ParsedCertificate[]): string | null {
  for (let index = 1; index < chain.length; index++) {
    const limit = chain[index]?.pathLength;
    const below = index - 1;
    if (limit !== undefined && below > limit) {
      return `chain is longer than the path length constraint ${limit} allows`;
    }
  }
  return null;
}

function fail(reason: string): Verification {
  return { ok: false, reason };
}
