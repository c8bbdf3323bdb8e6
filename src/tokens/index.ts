/** The token store and the token auth method (`auth/token/`). */
export { createTokenBackend, TOKEN_SUDO_PATHS, type TokenBackendOptions } from './backend.js';
export { TokenContentionError, TokenStateCorruptError } from './errors.js';
export { defaultRole, roleName, TokenRoleStore } from './role-store.js';
export { DEFAULT_POLICY, ROOT_POLICY, sanitizePolicies } from './token-policies.js';
export { authInfo, lookupData } from './token-response.js';
export { tokenLeaseId } from './token-revoke.js';
export { DEFAULT_MAX_TTL_SECONDS, TokenStore, type LookupOptions } from './token-store.js';
export {
  LAST_USE_SPENT,
  type CreatedToken,
  type CreateTokenParams,
  type LoginRecord,
  type LoginRenewalTerms,
  type LoginTokenParams,
  type RoleTokenType,
  type TidyResult,
  type TokenEntry,
  type TokenRole,
  type TokenStoreOptions,
  type TokenType,
  type TokenUse,
} from './types.js';
