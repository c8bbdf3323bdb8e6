/**
 * Re-checks a cert login as its token is renewed (`AuthMethod.renewLogin`). The renewal is
 * refused unless the role still exists with the same policies, and the certificate of the login
 * still verifies and meets the role at the time of the renewal: not expired, not revoked by a
 * CRL written since, still trusted by the role's (possibly replaced) certificate. Unless
 * `config` sets `disable_binding`, the renewal must also come over a connection presenting the
 * login's certificate, as in Vault.
 */
import type { ConnectionInfo, LoginRenewal, TokenFields } from '../../logical/index.js';
import { RevocationList } from './crl.js';
import { RenewalRefusedError } from './errors.js';
import { matchRoles } from './matcher.js';
import { distinct, PresentedChainError, presentedChain } from './presented.js';
import type { CertStore } from './store.js';
import type { CertLoginInternal } from './types.js';
import { ParsedCertificate } from './x509.js';

export function certRenewal(
  store: CertStore,
  now: () => number,
): (renewal: LoginRenewal, connection: ConnectionInfo) => Promise<TokenFields> {
  return async (renewal, connection) => {
    const internal = readInternal(renewal.internal);
    const role = await store.role(internal.role);
    if (role === undefined) {
      throw new RenewalRefusedError('the certificate role no longer exists', {
        role: internal.role,
      });
    }
    const [leaf, ...intermediates] = internal.chain.map((der) =>
      ParsedCertificate.fromDer(Buffer.from(der, 'base64'), 'login certificate'),
    );
    if (leaf === undefined || leaf.fingerprint !== internal.fingerprint) {
      throw new RenewalRefusedError('the token was not issued by a certificate login');
    }

    let chain = [leaf, ...intermediates];
    if (!(await store.config()).disableBinding) {
      const presented = boundChain(connection, internal.fingerprint);
      // The client may now send other intermediates (a reissued one); offer both sets.
      chain = [leaf, ...distinct([...presented.slice(1), ...intermediates])];
    }

    const context = { now: now(), revocations: new RevocationList(await store.crls()) };
    const result = matchRoles([role], chain, context);
    if (result.match === null) {
      throw new RenewalRefusedError('the login certificate no longer matches the role', {
        role: role.name,
        reason: result.reason,
      });
    }
    if (!equivalentPolicies(role.token.policies, renewal.policies)) {
      throw new RenewalRefusedError('policies have changed, not renewing', { role: role.name });
    }
    return role.token;
  };
}

/** The connection's chain, which must start with the login's certificate. */
function boundChain(connection: ConnectionInfo, fingerprint: string): ParsedCertificate[] {
  let presented: ParsedCertificate[];
  try {
    presented = presentedChain(connection);
  } catch (error) {
    if (!(error instanceof PresentedChainError)) throw error;
    presented = [];
  }
  if (presented[0]?.fingerprint !== fingerprint) {
    throw new RenewalRefusedError('the renewal must present the certificate used to log in');
  }
  return presented;
}

function readInternal(internal: Readonly<Record<string, unknown>>): CertLoginInternal {
  const { role, fingerprint, chain, displayName } = internal;
  const valid =
    typeof role === 'string' &&
    typeof fingerprint === 'string' &&
    Array.isArray(chain) &&
    chain.length > 0 &&
    chain.every((item) => typeof item === 'string');
  if (!valid) throw new RenewalRefusedError('the token was not issued by a certificate login');
  return {
    role,
    fingerprint,
    chain: chain as string[],
    displayName: typeof displayName === 'string' ? displayName : role,
  };
}

/** Equal sets, `default` aside (the core may add it to every token). */
function equivalentPolicies(a: readonly string[], b: readonly string[]): boolean {
  const normal = (list: readonly string[]): string =>
    [...new Set(list.filter((policy) => policy !== 'default'))].sort().join(',');
  return normal(a) === normal(b);
}
