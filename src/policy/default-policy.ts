/**
 * The `default` policy: what every token gets unless it was created with `no_default_policy`
 * (vault-api.md §3, "Built-in policies"). It lets a token manage itself and its cubbyhole, use
 * response wrapping and the hashing tool, and renew or look up leases whose ids it knows. The
 * store writes it on first open; operators may edit it but not delete it.
 *
 * Vault's version also has identity-templated paths (`{{identity.entity.id}}`) and the OIDC
 * provider's authorize path; Coffer has neither an identity store nor templating, so they are
 * left out.
 */

export const DEFAULT_POLICY_NAME = 'default';

export const DEFAULT_POLICY = `# A token may read its own properties.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

# A token may extend its own TTL.
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# A token may revoke itself.
path "auth/token/revoke-self" {
  capabilities = ["update"]
}

# A token may ask which capabilities it has on a path.
path "sys/capabilities-self" {
  capabilities = ["update"]
}

# A token may read the ACL its policies add up to (used by UIs).
path "sys/internal/ui/resultant-acl" {
  capabilities = ["read"]
}

# Renewing and looking up a lease take its id in the body; knowing the id is the credential.
path "sys/leases/renew" {
  capabilities = ["update"]
}

path "sys/leases/lookup" {
  capabilities = ["update"]
}

# Every token has a private cubbyhole.
path "cubbyhole/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping: wrap a value, inspect a wrapping token, unwrap one.
path "sys/wrapping/wrap" {
  capabilities = ["update"]
}

path "sys/wrapping/lookup" {
  capabilities = ["update"]
}

path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}

# The hashing tool, with or without an algorithm in the path.
path "sys/tools/hash" {
  capabilities = ["update"]
}

path "sys/tools/hash/*" {
  capabilities = ["update"]
}
`;
