/**
 * `certs` (LIST) and `certs/<name>` (read, create/update, delete): the trusted certificates and
 * the constraints of logins with them (Vault's cert auth API, "Create CA certificate role"). A
 * write changes only the fields it carries; `certificate` is required when the role is new.
 */
import {
  InvalidRequestError,
  readTokenFields,
  TOKEN_FIELD_SCHEMAS,
  tokenFieldsData,
  type FieldData,
  type FieldSchemas,
  type PathDefinition,
  type Request,
  type Response,
  type TokenFields,
} from '../../logical/index.js';
import { assertOids, parseRequiredExtension } from './constraints.js';
import { InvalidCertificateError } from './errors.js';
import { listField, NAME_PATTERN, nameField } from './names.js';
import type { CertStore } from './store.js';
import type { CertRole } from './types.js';
import { HANDLED_EXTENSIONS } from './verify.js';
import { ParsedCertificate } from './x509.js';

const glob = (what: string): string =>
  `Globs (comma-separated or a list) one of which ${what} must match; empty allows any.`;

const ROLE_FIELDS: FieldSchemas = {
  name: { type: 'string', description: 'The name of the certificate role.' },
  certificate: { type: 'string', description: 'The PEM certificate: a CA, or a pinned leaf.' },
  display_name: { type: 'string', description: 'The display name of tokens issued.' },
  allowed_names: {
    type: 'string-list',
    description: 'Deprecated: ' + glob('the common name, a DNS or an email SAN'),
  },
  allowed_common_names: { type: 'string-list', description: glob('every common name') },
  allowed_dns_sans: { type: 'string-list', description: glob('a DNS SAN') },
  allowed_email_sans: { type: 'string-list', description: glob('an email SAN') },
  allowed_uri_sans: { type: 'string-list', description: glob('a URI SAN') },
  allowed_organizational_units: { type: 'string-list', description: glob('an OU') },
  required_extensions: {
    type: 'string-list',
    description: 'Extensions the certificate must carry: "<oid>:<glob>" or "hex:<oid>:<glob>".',
  },
  allowed_metadata_extensions: {
    type: 'string-list',
    description: 'OIDs of string extensions copied into the login metadata.',
  },
  ocsp_enabled: { type: 'bool', description: 'Not supported: must be false.' },
  lease: { type: 'int', description: 'Deprecated: use token_ttl.' },
  ttl: { type: 'duration', description: 'Deprecated: use token_ttl.' },
  max_ttl: { type: 'duration', description: 'Deprecated: use token_max_ttl.' },
  ...TOKEN_FIELD_SCHEMAS,
};

export function certPaths(store: CertStore, now: () => number): PathDefinition[] {
  const list = async (): Promise<Response> => ({ data: { keys: await store.roleNames() } });

  const read = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const role = await store.role(nameField(fields));
    return role === undefined ? null : { data: roleData(role) };
  };

  const write = async (_request: Request, fields: FieldData): Promise<null> => {
    const name = nameField(fields);
    const existing = await store.role(name);
    if (fields.has('ocsp_enabled') && fields.bool('ocsp_enabled')) {
      throw new InvalidRequestError('OCSP checking is not supported', { field: 'ocsp_enabled' });
    }

    const certificate = fields.has('certificate')
      ? checkedCertificate(fields.string('certificate'), now())
      : existing?.certificate;
    if (certificate === undefined) {
      throw new InvalidRequestError('missing certificate', { field: 'certificate' });
    }
    const requiredExtensions = listField(
      fields,
      'required_extensions',
      existing?.requiredExtensions,
    );
    requiredExtensions.forEach(parseRequiredExtension);
    const metadataExtensions = listField(
      fields,
      'allowed_metadata_extensions',
      existing?.allowedMetadataExtensions,
    );
    assertOids(metadataExtensions, 'allowed_metadata_extensions');

    const role: CertRole = {
      name,
      certificate,
      displayName: fields.has('display_name')
        ? fields.string('display_name').trim()
        : (existing?.displayName ?? name),
      allowedNames: listField(fields, 'allowed_names', existing?.allowedNames),
      allowedCommonNames: listField(fields, 'allowed_common_names', existing?.allowedCommonNames),
      allowedDnsSans: listField(fields, 'allowed_dns_sans', existing?.allowedDnsSans),
      allowedEmailSans: listField(fields, 'allowed_email_sans', existing?.allowedEmailSans),
      allowedUriSans: listField(fields, 'allowed_uri_sans', existing?.allowedUriSans),
      allowedOrganizationalUnits: listField(
        fields,
        'allowed_organizational_units',
        existing?.allowedOrganizationalUnits,
      ),
      requiredExtensions,
      allowedMetadataExtensions: metadataExtensions,
      token: roleTokenFields(fields, existing?.token),
    };
    await store.putRole(role);
    return null;
  };

  const remove = async (_request: Request, fields: FieldData): Promise<null> => {
    await store.deleteRole(nameField(fields));
    return null;
  };

  return [
    { pattern: 'certs/?', operations: { list }, synopsis: 'List the certificate roles.' },
    {
      pattern: `certs/${NAME_PATTERN}`,
      fields: ROLE_FIELDS,
      operations: { read, update: write, delete: remove },
      existenceCheck: async (_request, fields) =>
        (await store.role(nameField(fields))) !== undefined,
      synopsis: 'Read, write or delete a certificate role.',
    },
  ];
}

/**
 * The canonical PEM of a role certificate, once it is known to be usable.
 *
 * @throws InvalidCertificateError when it is not exactly one certificate, has expired, carries a
 *   critical extension logins would refuse, or is a CA not allowed to sign certificates.
 */
function checkedCertificate(pem: string, now: number): string {
  const certificate = ParsedCertificate.fromPem(pem, 'certificate');
  const refuse = (problem: string): never => {
    throw new InvalidCertificateError(`certificate: ${problem}`, { field: 'certificate' });
  };
  if (now > certificate.notAfter) refuse('the certificate has expired');
  for (const [oid, extension] of certificate.extensions) {
    if (extension.critical && !HANDLED_EXTENSIONS.has(oid)) {
      refuse(`unsupported critical extension ${oid}`);
    }
  }
  if (certificate.isCa && !certificate.mayIssueCertificates) {
    refuse('a CA certificate whose key usage does not allow signing certificates');
  }
  return certificate.toPem();
}

/** The shared token fields, with Vault's older `lease`, `ttl` and `max_ttl` spellings. */
function roleTokenFields(fields: FieldData, current: TokenFields | undefined): TokenFields {
  const token = readTokenFields(fields, current);
  let { ttl, maxTtl } = token;
  if (!fields.has('token_ttl') && fields.has('ttl')) ttl = fields.duration('ttl');
  else if (!fields.has('token_ttl') && fields.has('lease')) ttl = fields.int('lease');
  if (!fields.has('token_max_ttl') && fields.has('max_ttl')) maxTtl = fields.duration('max_ttl');
  if (ttl < 0) throw new InvalidRequestError('lease cannot be negative', { field: 'lease' });
  if (maxTtl > 0 && ttl > maxTtl) {
    throw new InvalidRequestError('token_ttl cannot be greater than token_max_ttl');
  }
  return { ...token, ttl, maxTtl };
}

/** Vault's read shape of a role. */
function roleData(role: CertRole): Record<string, unknown> {
  return {
    certificate: role.certificate,
    display_name: role.displayName,
    allowed_names: [...role.allowedNames],
    allowed_common_names: [...role.allowedCommonNames],
    allowed_dns_sans: [...role.allowedDnsSans],
    allowed_email_sans: [...role.allowedEmailSans],
    allowed_uri_sans: [...role.allowedUriSans],
    allowed_organizational_units: [...role.allowedOrganizationalUnits],
    required_extensions: [...role.requiredExtensions],
    allowed_metadata_extensions: [...role.allowedMetadataExtensions],
    ocsp_enabled: false,
    ...tokenFieldsData(role.token),
  };
}
