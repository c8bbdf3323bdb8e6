/**
 * The version Coffer reports. Clients gate features on the Vault version they see (Terraform
 * parses `version` from `sys/seal-status` as semver and expects 1.10 to 1.19, vault-api.md §2.1),
 * so Coffer reports the Vault API level it implements, with its own version as build metadata.
 */

/** The Vault release whose API Coffer follows. */
export const VAULT_API_VERSION = '1.17.0';

/** Coffer's own version. */
export const COFFER_VERSION = '0.1.0';

/** What `version` fields report: semver, so `1.17.0+coffer.0.1.0` parses as 1.17.0. */
export const REPORTED_VERSION = `${VAULT_API_VERSION}+coffer.${COFFER_VERSION}`;
