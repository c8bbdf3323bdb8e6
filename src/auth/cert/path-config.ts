/**
 * `config` (read, update): the mount-wide settings (Vault's cert auth API, "Configure TLS
 * certificate method"). Coffer honours `disable_binding`; the other settings are stored and
 * reported so Vault clients and Terraform can set them, and do nothing yet (types.ts).
 */
import {
  InvalidRequestError,
  type FieldData,
  type PathDefinition,
  type Request,
  type Response,
} from '../../logical/index.js';
import type { CertStore } from './store.js';
import type { CertConfig } from './types.js';

export function configPath(store: CertStore): PathDefinition {
  const read = async (): Promise<Response> => ({ data: configData(await store.config()) });

  /** Changes only the settings the request names. */
  const write = async (_request: Request, fields: FieldData): Promise<null> => {
    const config = await store.config();
    const bool = (name: string, current: boolean): boolean =>
      fields.has(name) ? fields.bool(name) : current;
    const int = (name: string, current: number, min: number): number => {
      if (!fields.has(name)) return current;
      const value = fields.int(name);
      if (value < min) throw new InvalidRequestError(`${name} must be at least ${min}`);
      return value;
    };
    await store.putConfig({
      disableBinding: bool('disable_binding', config.disableBinding),
      enableIdentityAliasMetadata: bool(
        'enable_identity_alias_metadata',
        config.enableIdentityAliasMetadata,
      ),
      enableMetadataOnFailures: bool(
        'enable_metadata_on_failures',
        config.enableMetadataOnFailures,
      ),
      ocspCacheSize: int('ocsp_cache_size', config.ocspCacheSize, 2),
      roleCacheSize: int('role_cache_size', config.roleCacheSize, -1),
    });
    return null;
  };

  return {
    pattern: 'config',
    fields: {
      disable_binding: {
        type: 'bool',
        description: 'Renew tokens without requiring the certificate used at login.',
      },
      enable_identity_alias_metadata: {
        type: 'bool',
        description: 'Store certificate metadata on the identity alias (no effect yet).',
      },
      enable_metadata_on_failures: {
        type: 'bool',
        description: 'Report certificate metadata on failed logins (no effect yet).',
      },
      ocsp_cache_size: { type: 'int', description: 'OCSP cache size (no effect: no OCSP).' },
      role_cache_size: { type: 'int', description: 'Role cache size (no effect; -1 disables).' },
    },
    operations: { read, update: write },
    // The config always exists (it has defaults), so a write is an update for the ACL.
    existenceCheck: async () => true,
    synopsis: 'Configure the TLS certificate auth method.',
  };
}

function configData(config: CertConfig): Record<string, unknown> {
  return {
    disable_binding: config.disableBinding,
    enable_identity_alias_metadata: config.enableIdentityAliasMetadata,
    enable_metadata_on_failures: config.enableMetadataOnFailures,
    ocsp_cache_size: config.ocspCacheSize,
    role_cache_size: config.roleCacheSize,
  };
}
