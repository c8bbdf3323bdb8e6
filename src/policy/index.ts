/** ACL policies: parsing, the ACL check, and the policy store (vault-api.md §3). */
export { Acl, ROOT_POLICY } from './acl.js';
export { DEFAULT_POLICY, DEFAULT_POLICY_NAME } from './default-policy.js';
export { InvalidPolicyError } from './errors.js';
export { parsePolicy } from './parse.js';
export {
  RESPONSE_WRAPPING_POLICY,
  RESPONSE_WRAPPING_POLICY_NAME,
} from './response-wrapping-policy.js';
export { globbedStringsMatch } from './parameters.js';
export { normalizePolicyName, PolicyStore, type PolicyStoreOptions } from './policy-store.js';
export {
  CAPABILITIES,
  LEGACY_POLICIES,
  type AclCheck,
  type AclDecision,
  type Capability,
  type GrantingPolicy,
  type ParameterMap,
  type PathRule,
  type Policy,
} from './types.js';
