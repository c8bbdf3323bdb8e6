/**
 * The shapes of the audit log: what the core hands the broker for each request and response
 * (plain objects it fills from the `Request`, the `Response`, the caller's token entry and an
 * error message), the device contract, and the table of enabled devices as `sys/audit` reports it
 * and storage keeps it (vault-api.md §7).
 *
 * The inputs hold values in clear. Each device formats them on its own, because each hashes under
 * its own salt and options; nothing here is ever written anywhere as it is.
 */

/** The caller, as the token lookup and the ACL check saw it. Absent for unauthenticated paths. */
export interface AuditAuthInput {
  readonly clientToken?: string;
  readonly accessor?: string;
  readonly displayName?: string;
  readonly policies?: readonly string[];
  readonly tokenPolicies?: readonly string[];
  readonly identityPolicies?: readonly string[];
  readonly metadata?: Readonly<Record<string, string>> | null;
  readonly entityId?: string;
  /** `service` or `batch`. */
  readonly tokenType?: string;
  /** Seconds; 0 for a token that never expires. */
  readonly tokenTtl?: number;
  /** RFC 3339 time the token was created. */
  readonly tokenIssueTime?: string;
  /** The ACL's verdict; absent when the request never reached the ACL check. */
  readonly policyResults?: {
    readonly allowed: boolean;
    readonly grantingPolicies?: readonly string[];
  };
}

/** The request as the router saw it; `path` is the full path below `/v1/`. */
export interface AuditRequestInput {
  readonly id: string;
  readonly operation: string;
  readonly path: string;
  readonly mountPoint?: string;
  readonly mountType?: string;
  readonly mountAccessor?: string;
  readonly clientToken?: string;
  readonly clientTokenAccessor?: string;
  readonly data?: Readonly<Record<string, unknown>> | null;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  /** Seconds; the `X-Vault-Wrap-TTL` the client asked for. */
  readonly wrapTtl?: number;
  /** The headers the core chose to audit (lower-case names); their values are hashed. */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** The `auth` block of a login or token-creation response. */
export interface AuditResponseAuthInput {
  readonly clientToken: string;
  readonly accessor: string;
  readonly displayName?: string;
  readonly policies?: readonly string[];
  readonly tokenPolicies?: readonly string[];
  readonly identityPolicies?: readonly string[];
  readonly metadata?: Readonly<Record<string, string>> | null;
  readonly entityId?: string;
  readonly tokenType?: string;
  /** Seconds. */
  readonly tokenTtl?: number;
  readonly renewable?: boolean;
  readonly orphan?: boolean;
  readonly numUses?: number;
}

export interface AuditWrapInfoInput {
  readonly token: string;
  readonly accessor: string;
  /** Seconds. */
  readonly ttl: number;
  /** RFC 3339 time. */
  readonly creationTime: string;
  readonly creationPath: string;
  readonly wrappedAccessor?: string;
}

/** What the handler answered. */
export interface AuditResponseInput {
  readonly data?: Readonly<Record<string, unknown>> | null;
  readonly secret?: { readonly leaseId: string };
  readonly auth?: AuditResponseAuthInput;
  readonly warnings?: readonly string[];
  readonly wrapInfo?: AuditWrapInfoInput;
  readonly redirect?: string;
}

/** One request line: written before the handler runs. */
export interface AuditRequestEntry {
  readonly auth?: AuditAuthInput;
  readonly request: AuditRequestInput;
  /** The message of the error that ended the request early (a denied ACL), in clear. */
  readonly error?: string;
}

/** One response line: written after the handler ran, whether it succeeded or not. */
export interface AuditResponseEntry extends AuditRequestEntry {
  readonly response?: AuditResponseInput;
  /** True when this node answered a request a standby forwarded to it. */
  readonly forwarded?: boolean;
}

/**
 * One audit device: a sink for formatted lines.
 *
 * Every method may be called concurrently; a device orders its own writes. A `log*` call resolves
 * once the line is handed to the operating system (written to the file, not fsynced) and rejects
 * when it could not be.
 */
export interface AuditDevice {
  readonly type: string;
  logRequest(entry: AuditRequestEntry): Promise<void>;
  logResponse(entry: AuditResponseEntry): Promise<void>;
  /** `input` as this device would log it: `hmac-sha256:<hex>` under the device's salt. */
  hash(input: string): Promise<string>;
  /** Closes and opens the sink again (log rotation); a no-op for sinks without a file. */
  reopen(): Promise<void>;
  /** Finishes queued writes and releases the sink; later writes reject. */
  close(): Promise<void>;
}

/** What `sys/audit/:path` takes to enable a device. */
export interface AuditEnableConfig {
  readonly type: string;
  readonly description?: string;
  readonly options?: Readonly<Record<string, string>>;
  readonly local?: boolean;
}

/** One enabled device, as stored under `core/audit` and listed by `sys/audit`. */
export interface AuditTableEntry {
  /** With a trailing `/` (`file/`). */
  readonly path: string;
  readonly type: string;
  readonly description: string;
  readonly options: Readonly<Record<string, string>>;
  readonly local: boolean;
  /** Names the device's storage view (its salt); new each time a device is enabled. */
  readonly uuid: string;
}
