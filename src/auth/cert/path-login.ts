/**
 * `login` (update, no token needed): logs in with the connection's client certificate
 * (vault-api.md §2.3). `name` limits the match to one role. The response carries a
 * `LoginAuth`; the core turns it into an orphan token. Every refusal is a `LoginFailedError`
 * with the same message, so a client learns nothing about the roles; the reason is logged.
 */
import {
  LoginFailedError,
  type FieldData,
  type LoginAuth,
  type PathDefinition,
  type Request,
  type Response,
} from '../../logical/index.js';
import type { Logger } from '../../util/logger.js';
import { extensionMetadata } from './constraints.js';
import { RevocationList } from './crl.js';
import { matchRoles, type CertMatch } from './matcher.js';
import { PresentedChainError, presentedChain } from './presented.js';
import type { CertStore } from './store.js';
import type { CertLoginInternal, CertRole } from './types.js';
import type { ParsedCertificate } from './x509.js';

const REFUSED = 'invalid certificate or no trusted certificate role matches it';

export function loginPath(store: CertStore, now: () => number, logger: Logger): PathDefinition {
  const login = async (request: Request, fields: FieldData): Promise<Response> => {
    const alias = loginName(fields.has('name') ? fields.string('name') : undefined);
    const refuse = (reason: string): never => {
      logger.debug({ role: alias, reason }, 'cert login refused');
      throw new LoginFailedError(REFUSED, alias, { reason });
    };

    let presented: ParsedCertificate[] = [];
    try {
      presented = presentedChain(request.connection);
    } catch (error) {
      if (!(error instanceof PresentedChainError)) throw error;
      refuse(error.message);
    }
    const roles = alias === null ? await store.roles() : await oneRole(store, alias);
    const context = { now: now(), revocations: new RevocationList(await store.crls()) };
    const result = matchRoles(roles, presented, context);
    if (result.match === null) return refuse(result.reason);
    return { login: loginAuth(result.match) };
  };

  return {
    pattern: 'login',
    fields: { name: { type: 'string', description: 'The certificate role to log in with.' } },
    operations: { update: login },
    synopsis: 'Log in with the TLS client certificate.',
  };
}

/** The role a login names, lower-cased, or null when it names none. */
export function loginName(name: unknown): string | null {
  if (typeof name !== 'string') return null;
  const trimmed = name.trim().toLowerCase();
  return trimmed.length === 0 ? null : trimmed;
}

/** What a matched login hands the core (Vault's metadata, plus what renewal needs). */
export function loginAuth(match: CertMatch): LoginAuth {
  const { role, chain } = match;
  const leaf = chain[0] as ParsedCertificate;
  const internal: CertLoginInternal = {
    role: role.name,
    fingerprint: leaf.fingerprint,
    chain: chain.map((certificate) => certificate.der.toString('base64')),
    displayName: role.displayName.length > 0 ? role.displayName : role.name,
  };
  return {
    alias: role.name,
    displayName: internal.displayName,
    token: role.token,
    metadata: {
      ...extensionMetadata(role, leaf),
      cert_name: role.name,
      // Go's x509 keeps the last common name of the subject; Vault reports that one.
      common_name: leaf.commonNames[leaf.commonNames.length - 1] ?? '',
      serial_number: leaf.serialDecimal(),
      subject_key_id: leaf.subjectKeyId,
      authority_key_id: leaf.authorityKeyId,
    },
    internal: { ...internal },
  };
}

async function oneRole(store: CertStore, name: string): Promise<CertRole[]> {
  const role = await store.role(name);
  return role === undefined ? [] : [role];
}
