/**
 * Picks the role a client certificate chain logs in with (vault-api.md §2.3, "Cert login
 * matching"): pinned roles first, then CA roles, each group by name; the first role whose
 * certificate trusts the chain (verify.ts) and whose constraints the leaf meets
 * (constraints.ts) wins.
 */
import { InternalError } from '../../logical/index.js';
import { constraintFailure, requiredExtensionOids } from './constraints.js';
import { HANDLED_EXTENSIONS, verifyPinned, verifyToAnchor, type VerifyContext } from './verify.js';
import type { CertRole } from './types.js';
import { ParsedCertificate } from './x509.js';

export interface CertMatch {
  readonly role: CertRole;
  /** The verified chain, leaf first, the role's certificate excluded. */
  readonly chain: readonly ParsedCertificate[];
}

export type MatchResult =
  | { readonly match: CertMatch }
  | { readonly match: null; readonly reason: string };

/**
 * Matches `presented` (leaf first, then any intermediates) against `roles`.
 *
 * @throws InternalError when a stored role certificate cannot be parsed (it was checked when it
 *   was written, so storage is damaged).
 */
export function matchRoles(
  roles: readonly CertRole[],
  presented: readonly ParsedCertificate[],
  context: VerifyContext,
): MatchResult {
  const [leaf, ...intermediates] = presented;
  if (leaf === undefined) return { match: null, reason: 'no client certificate' };

  const candidates = roles
    .map((role) => ({ role, certificate: storedCertificate(role) }))
    .sort((a, b) => {
      if (a.certificate.isCa !== b.certificate.isCa) return a.certificate.isCa ? 1 : -1;
      return a.role.name < b.role.name ? -1 : a.role.name > b.role.name ? 1 : 0;
    });

  const reasons: string[] = [];
  for (const { role, certificate } of candidates) {
    const leafHandled = new Set([...HANDLED_EXTENSIONS, ...requiredExtensionOids(role)]);
    const verification = certificate.isCa
      ? verifyToAnchor(leaf, intermediates, certificate, context, leafHandled)
      : verifyPinned(leaf, certificate, context, leafHandled);
    if (!verification.ok) {
      reasons.push(`${role.name}: ${verification.reason}`);
      continue;
    }
    const failure = constraintFailure(role, leaf);
    if (failure !== null) {
      reasons.push(`${role.name}: ${failure}`);
      continue;
    }
    return { match: { role, chain: verification.chain } };
  }
  return { match: null, reason: reasons.length > 0 ? reasons.join('; ') : 'no roles' };
}

function storedCertificate(role: CertRole): ParsedCertificate {
  try {
    return ParsedCertificate.fromPem(role.certificate, 'certificate');
  } catch (error) {
    throw new InternalError('stored role certificate is unreadable', { role: role.name }, {
      cause: error,
    });
  }
}
