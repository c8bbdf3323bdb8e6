/**
 * The `response-wrapping` policy: the only policy of a wrapping token (src/vault/wrapping.ts).
 * It is built in and cannot be written, deleted or given to a token by a caller. It lets the
 * token do the one thing it exists for: hand over the response kept in its cubbyhole, through
 * `sys/wrapping/unwrap` or by reading `cubbyhole/response` (the older way, which Vault keeps).
 */

export const RESPONSE_WRAPPING_POLICY_NAME = 'response-wrapping';

export const RESPONSE_WRAPPING_POLICY = `# The wrapped response, read directly.
path "cubbyhole/response" {
  capabilities = ["create", "read"]
}

# The wrapped response, through the unwrap endpoint.
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}
`;
