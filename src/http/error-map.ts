/**
 * The one table from error `code` to HTTP status and public message (DESIGN.md "Contracts that
 * cannot change lightly"). Every error class of every layer that can reach a client has a row;
 * the status is decided by `code` alone, never by message text.
 *
 * A 4xx echoes the error's own message, which every class words for clients. A 5xx never
 * echoes: it answers with the row's fixed message, and only 500s are "internal" (logged at
 * error with their cause). An error with no row (a `TypeError`, a code nobody mapped) is an
 * internal 500.
 */

interface ErrorRow {
  readonly status: number;
  /** The message clients see, for 5xx rows. */
  readonly message?: string;
  /** Seconds for `Retry-After`. */
  readonly retryAfter?: number;
}

const INTERNAL: ErrorRow = { status: 500, message: 'internal error' };
const SEALED: ErrorRow = { status: 503, message: 'Vault is sealed' };

export const ERROR_TABLE: Readonly<Record<string, ErrorRow>> = {
  // src/logical/errors.ts
  invalid_request: { status: 400 },
  permission_denied: { status: 403 },
  not_found: { status: 404 },
  unsupported_path: { status: 404 },
  unsupported_operation: { status: 405 },
  conflict: { status: 409 },
  storage_condition_failed: { status: 409 },
  precondition_failed: { status: 412 },
  rate_limited: { status: 429 },
  internal: INTERNAL,
  vault_sealed: SEALED,
  no_active_node: { status: 503, message: 'no active node is known; retry later', retryAfter: 1 },

  // src/logical/auth-method.ts
  login_failed: { status: 400 },

  // src/policy/errors.ts
  invalid_policy: { status: 400 },

  // src/audit/errors.ts
  audit_failed: { status: 500, message: 'no audit backend succeeded in logging the request' },

  // src/vault/errors.ts
  cluster_unsupported: { status: 400 },
  invalid_init_options: { status: 400 },
  core_state_corrupt: INTERNAL,
  forward_required: { status: 503, message: 'no active node is known; retry later', retryAfter: 1 },

  // src/barrier/errors.ts
  sealed: SEALED,
  barrier_invalid_key: { status: 400 },
  already_initialized: { status: 400 },
  not_initialized: { status: 400 },
  invalid_path: { status: 400 },
  keyring_conflict: { status: 409 },
  barrier_condition_failed: { status: 409 },
  barrier_integrity: INTERNAL,

  // src/seal/errors.ts
  invalid_seal_config: { status: 400 },
  invalid_unseal_key: { status: 400 },
  duplicate_unseal_key: { status: 400 },
  unseal_failed: { status: 400 },
  seal_config_corrupt: INTERNAL,

  // src/physical/errors.ts
  physical_invalid_key: { status: 400 },
  physical_condition_failed: { status: 409 },
  physical_unavailable: {
    status: 503,
    message: 'storage is unavailable; retry later',
    retryAfter: 1,
  },

  // src/http/list-method/errors.ts
  invalid_list_parameter: { status: 400 },
  HPE_HEADER_OVERFLOW: { status: 431 },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408 },
  ERR_HTTP_BAD_FRAMING: { status: 400 },

  // src/http/errors.ts
  unsupported_media_type: { status: 415 },
  method_not_allowed: { status: 405 },
  forwarding_failed: {
    status: 503,
    message: 'failed to forward the request to the active node',
    retryAfter: 1,
  },

  // fastify's own request errors (node_modules/fastify/lib/errors.js)
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400 },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415 },
  FST_ERR_BAD_URL: { status: 400 },
  FST_ERR_INVALID_URL: { status: 400 },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414 },
};

/** How an error is answered. */
export interface ErrorReply {
  readonly status: number;
  /** The `errors` array of the body; empty for a bare 404. */
  readonly errors: string[];
  /** Seconds for `Retry-After`, when the client should come back. */
  readonly retryAfter?: number;
  /** True when the error is a failure of ours: log it at error with its cause. */
  readonly internal: boolean;
  /** The error's code, or undefined when it had none. */
  readonly code?: string;
}

/** The stable code of `err`, if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** How to answer `err`, from its code's row. */
export function describeError(err: unknown): ErrorReply {
  const code = errorCode(err);
  const row = code === undefined ? undefined : ERROR_TABLE[code];
  if (row === undefined) {
    return { status: 500, errors: [INTERNAL.message as string], internal: true, code };
  }
  const retryAfter = retryAfterOf(err) ?? row.retryAfter;
  let errors: string[];
  if (row.status >= 500) errors = [row.message ?? 'internal error'];
  else {
    const message = err instanceof Error ? err.message : '';
    errors = message === '' ? [] : [message];
  }
  return { status: row.status, errors, retryAfter, internal: row.status === 500, code };
}

/** An error's own `retryAfterSeconds`, when it carries one. */
function retryAfterOf(err: unknown): number | undefined {
  const value = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof value === 'number' && value > 0 ? value : undefined;
}
