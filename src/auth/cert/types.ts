/**
 * What the cert auth method keeps in its mount's storage (all JSON):
 *
 * | path            | holds                                   |
 * |-----------------|-----------------------------------------|
 * | `certs/<name>`  | a {@link CertRole}                      |
 * | `crls/<name>`   | a {@link StoredCrl}                     |
 * | `config`        | the {@link CertConfig}; absent = defaults |
 *
 * Role and CRL names are lower-cased before they are used, as Vault does.
 */
import type { TokenFields } from '../../logical/index.js';

/** A trusted certificate (a CA, or a pinned leaf) and the constraints logins with it must meet. */
export interface CertRole {
  readonly name: string;
  /** One certificate, canonical PEM. A CA certificate anchors chains; any other is pinned. */
  readonly certificate: string;
  readonly displayName: string;
  /** Deprecated in Vault: globs matched against the common name, DNS and email SANs. */
  readonly allowedNames: readonly string[];
  readonly allowedCommonNames: readonly string[];
  readonly allowedDnsSans: readonly string[];
  readonly allowedEmailSans: readonly string[];
  readonly allowedUriSans: readonly string[];
  readonly allowedOrganizationalUnits: readonly string[];
  /** `oid:glob` (string value) or `hex:oid:glob` (hex of the DER value), all required. */
  readonly requiredExtensions: readonly string[];
  /** OIDs whose string values a login copies into its metadata. */
  readonly allowedMetadataExtensions: readonly string[];
  readonly token: TokenFields;
}

/** A CRL as written, with what logins need from it already extracted. */
export interface StoredCrl {
  readonly name: string;
  /** Canonical PEM. */
  readonly crl: string;
  /** The issuer's name in `nameKey` form. */
  readonly issuerKey: string;
  /** Revoked serial numbers, lower-case hex without leading zeros, sorted. */
  readonly serials: readonly string[];
  /** RFC 3339. */
  readonly thisUpdate: string;
  readonly nextUpdate: string | null;
}

/** The mount-wide settings of `config` (Vault's "Configure TLS certificate method"). */
export interface CertConfig {
  /** Renew tokens without checking the renewal is made with the login's certificate. */
  readonly disableBinding: boolean;
  /** Stored for compatibility; Coffer has no identity store to put alias metadata in yet. */
  readonly enableIdentityAliasMetadata: boolean;
  /** Stored for compatibility; failed logins carry no metadata. */
  readonly enableMetadataOnFailures: boolean;
  /** Stored for compatibility; Coffer does no OCSP. */
  readonly ocspCacheSize: number;
  /** Stored for compatibility; roles are read from storage on every login. */
  readonly roleCacheSize: number;
}

export const DEFAULT_CERT_CONFIG: CertConfig = {
  disableBinding: false,
  enableIdentityAliasMetadata: false,
  enableMetadataOnFailures: false,
  ocspCacheSize: 100,
  roleCacheSize: 200,
};

/** What a login keeps in `LoginAuth.internal`, so renewal can check the certificate again. */
export interface CertLoginInternal {
  readonly role: string;
  /** SHA-256 of the client leaf's DER, hex. */
  readonly fingerprint: string;
  /** The verified chain below the role's certificate, leaf first, base64 DER. */
  readonly chain: readonly string[];
  /** The role's display name (LoginAuth has no field for it yet). */
  readonly displayName: string;
}
