/**
 * The constraints a role puts on the client certificate once its chain is trusted: the
 * `allowed_*` name globs and `required_extensions` (Vault's cert auth API, "Create CA
 * certificate role"). An empty list constrains nothing.
 */
import { InvalidRequestError } from '../../logical/index.js';
import type { CertRole } from './types.js';
import type { ParsedCertificate } from './x509.js';

/**
 * Vault's glob: `*` matches any run of characters, dots included, and everything else matches
 * itself, case-sensitively. A pattern without `*` is an exact match.
 */
export function globMatch(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  if (parts.length === 1) return pattern === value;
  const last = parts[parts.length - 1] ?? '';
  const end = value.length - last.length;
  if (!value.startsWith(first) || !value.endsWith(last) || end < first.length) return false;

  // Leftmost matching of each middle part is optimal for `*`-only globs.
  let position = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = value.indexOf(part, position);
    if (found === -1 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}

/** One `required_extensions` entry. */
export interface RequiredExtension {
  readonly oid: string;
  /** Match the glob against the hex of the extension's DER value, not its string. */
  readonly hex: boolean;
  readonly pattern: string;
}

const OID = /^[0-2](\.(0|[1-9]\d*))+$/u;

/**
 * Parses `oid:glob` or `hex:oid:glob`.
 *
 * @throws InvalidRequestError (400) for an entry without a value or with a malformed OID.
 */
export function parseRequiredExtension(entry: string): RequiredExtension {
  const hex = entry.startsWith('hex:');
  const rest = hex ? entry.slice('hex:'.length) : entry;
  const colon = rest.indexOf(':');
  const oid = colon === -1 ? '' : rest.slice(0, colon);
  if (!OID.test(oid)) {
    throw new InvalidRequestError(
      `invalid required_extensions entry "${entry}": expected "<oid>:<value>" or ` +
        '"hex:<oid>:<value>"',
      { field: 'required_extensions' },
    );
  }
  const pattern = rest.slice(colon + 1);
  return { oid, hex, pattern: hex ? pattern.toLowerCase() : pattern };
}

/** Checks that `oids` are all well-formed OIDs, for `allowed_metadata_extensions`. */
export function assertOids(oids: readonly string[], field: string): void {
  const bad = oids.find((oid) => !OID.test(oid));
  if (bad !== undefined) {
    throw new InvalidRequestError(`invalid ${field} entry "${bad}": expected an OID`, { field });
  }
}

/** Why `leaf` fails `role`'s constraints, or null when it meets them all. */
export function constraintFailure(role: CertRole, leaf: ParsedCertificate): string | null {
  const anyMatches = (patterns: readonly string[], values: readonly string[]): boolean =>
    values.some((value) => patterns.some((pattern) => globMatch(pattern, value)));

  const names = [...leaf.commonNames, ...leaf.dnsNames, ...leaf.emailAddresses];
  if (role.allowedNames.length > 0 && !anyMatches(role.allowedNames, names)) {
    return 'no name matches allowed_names';
  }
  // Every common name must match: a second CN attribute must not be able to hide a first.
  const commonNames = role.allowedCommonNames;
  if (
    commonNames.length > 0 &&
    (leaf.commonNames.length === 0 ||
      !leaf.commonNames.every((name) => anyMatches(commonNames, [name])))
  ) {
    return 'common name does not match allowed_common_names';
  }
  const sans: [readonly string[], readonly string[], string][] = [
    [role.allowedDnsSans, leaf.dnsNames, 'allowed_dns_sans'],
    [role.allowedEmailSans, leaf.emailAddresses, 'allowed_email_sans'],
    [role.allowedUriSans, leaf.uris, 'allowed_uri_sans'],
    [role.allowedOrganizationalUnits, leaf.organizationalUnits, 'allowed_organizational_units'],
  ];
  for (const [patterns, values, field] of sans) {
    if (patterns.length > 0 && !anyMatches(patterns, values)) return `no value matches ${field}`;
  }
  for (const entry of role.requiredExtensions) {
    if (!hasExtension(leaf, parseRequiredExtension(entry))) {
      return `required extension ${entry} not met`;
    }
  }
  return null;
}

/**
 * The login metadata `allowed_metadata_extensions` asks for: each extension the leaf carries as
 * a string, under its OID with `-` for `.` (so ACL templates can name it).
 */
export function extensionMetadata(role: CertRole, leaf: ParsedCertificate): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const oid of role.allowedMetadataExtensions) {
    const value = leaf.stringExtension(oid);
    if (value !== undefined) metadata[oid.replaceAll('.', '-')] = value;
  }
  return metadata;
}

/** The OIDs a role's `required_extensions` name, which a leaf may carry as critical. */
export function requiredExtensionOids(role: CertRole): Set<string> {
  return new Set(role.requiredExtensions.map((entry) => parseRequiredExtension(entry).oid));
}

function hasExtension(leaf: ParsedCertificate, required: RequiredExtension): boolean {
  if (required.hex) {
    const extension = leaf.extensions.get(required.oid);
    return extension !== undefined && globMatch(required.pattern, extension.value.toString('hex'));
  }
  const value = leaf.stringExtension(required.oid);
  return value !== undefined && globMatch(required.pattern, value);
}
