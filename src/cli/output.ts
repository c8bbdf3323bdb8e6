/**
 * Printing results in the three formats Vault's CLI offers. `table` is for people; `json` and
 * `yaml` print the API's answer the way Vault's CLI does (for a secret, the envelope in the Go
 * client's field order with maps sorted); `-field=<name>` prints one value bare, with no newline
 * unless standard output is a terminal, so `$(coffer kv get -field=password ...)` is exact.
 */
import { stringify as toYaml } from 'yaml';

import type { Secret } from './api-client.js';
import { UsageError } from './errors.js';
import { formatValue, humanDuration, keyValueTable, sortedEntries, table } from './format.js';
import type { CliIo } from './io.js';
import type { OutputFormat } from './settings.js';

export class Output {
  constructor(
    readonly io: CliIo,
    readonly format: OutputFormat,
    readonly field?: string,
  ) {}

  /** Writes `text` as is. */
  write(text: string): void {
    this.io.stdout(text);
  }

  /** Writes one line of prose (success messages), whatever the format. */
  line(text: string): void {
    this.io.stdout(`${text}\n`);
  }

  /**
   * Prints a result: `-field` picks from `fields` (default: `data` when it is an object), json
   * and yaml serialise `data`, table writes what `renderTable` returns.
   * @throws UsageError when `-field` names a field that is not there.
   */
  print(data: unknown, renderTable: () => string, fields?: Record<string, unknown>): void {
    if (this.field !== undefined) {
      this.printField(fields ?? (isObject(data) ? data : {}));
    } else if (this.format === 'table') {
      this.write(renderTable());
    } else {
      this.serialised(data);
    }
  }

  /** Prints `data` as json or yaml, whatever table would show. */
  serialised(data: unknown): void {
    if (this.format === 'yaml') this.write(toYaml(data));
    else this.write(`${JSON.stringify(data, null, 2)}\n`);
  }

  /** Prints a secret envelope as Vault's CLI does for `read` and most commands. */
  secret(secret: Secret): void {
    this.print(vaultEnvelope(secret), () => secretTable(secret), secretFields(secret));
  }

  /** Prints the keys of a LIST answer: a `Keys` column, or the bare array in json and yaml. */
  list(secret: Secret): void {
    const keys = Array.isArray(secret.data?.keys) ? (secret.data.keys as unknown[]) : [];
    this.print(
      keys,
      () => table(['Keys'], keys.map((key) => [String(key)])),
      secretFields(secret),
    );
  }

  private printField(fields: Record<string, unknown>): void {
    const name = this.field ?? '';
    if (!(name in fields)) throw new UsageError(`Field "${name}" not present in secret`);
    const value = fields[name];
    let text: string;
    if (this.format === 'yaml') text = toYaml(value).trimEnd();
    else if (typeof value === 'string' && this.format === 'table') text = value;
    else text = JSON.stringify(value ?? null);
    this.write(this.io.stdoutIsTty === true ? `${text}\n` : text);
  }
}

/** The envelope with the Go client's field order, `auth` and `wrap_info` only when set. */
export function vaultEnvelope(secret: Secret): Record<string, unknown> {
  const envelope: Record<string, unknown> = {
    request_id: secret.request_id ?? '',
    lease_id: secret.lease_id ?? '',
    lease_duration: secret.lease_duration ?? 0,
    renewable: secret.renewable ?? false,
    data: sortDeep(secret.data ?? null),
    warnings: secret.warnings ?? null,
  };
  if (secret.auth) envelope.auth = secret.auth;
  if (secret.wrap_info) envelope.wrap_info = secret.wrap_info;
  if (secret.mount_type !== undefined) envelope.mount_type = secret.mount_type;
  return envelope;
}

/** The rows a secret's table shows, which are also the names `-field` accepts. */
export function secretFields(secret: Secret): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const leaseDuration = secret.lease_duration ?? 0;
  if (leaseDuration > 0) {
    if (secret.lease_id) {
      fields.lease_id = secret.lease_id;
      fields.lease_duration = humanDuration(leaseDuration);
      fields.lease_renewable = secret.renewable ?? false;
    } else {
      fields.refresh_interval = humanDuration(leaseDuration);
    }
  }
  const { auth } = secret;
  if (auth) {
    fields.token = auth.client_token;
    fields.token_accessor = auth.accessor;
    fields.token_duration = auth.lease_duration > 0 ? humanDuration(auth.lease_duration) : '∞';
    fields.token_renewable = auth.renewable;
    fields.token_policies = auth.token_policies ?? [];
    fields.identity_policies = auth.identity_policies ?? [];
    fields.policies = auth.policies ?? [];
    for (const [key, value] of sortedEntries(auth.metadata ?? {})) {
      fields[`token_meta_${key}`] = value;
    }
  }
  const wrap = secret.wrap_info;
  if (wrap) {
    fields.wrapping_token = wrap.token;
    fields.wrapping_accessor = wrap.accessor;
    fields.wrapping_token_ttl = humanDuration(Number(wrap.ttl ?? 0));
    fields.wrapping_token_creation_time = wrap.creation_time;
    fields.wrapping_token_creation_path = wrap.creation_path;
    if (wrap.wrapped_accessor) fields.wrapped_accessor = wrap.wrapped_accessor;
  }
  for (const [key, value] of sortedEntries(secret.data ?? {})) fields[key] = value;
  return fields;
}

/** A secret as people read it: warnings first, then the Key/Value table. */
export function secretTable(secret: Secret): string {
  // Vault prints the auth block's policy lists as JSON arrays, data lists as `[a b]`.
  const jsonLists = secret.auth ? AUTH_POLICY_ROWS : new Set<string>();
  const rows = Object.entries(secretFields(secret)).map(
    ([key, value]) => [key, jsonLists.has(key) ? policyList(value) : value] as const,
  );
  return `${warningsText(secret.warnings)}${rows.length === 0 ? '' : keyValueTable(rows)}`;
}

const AUTH_POLICY_ROWS = new Set(['token_policies', 'identity_policies', 'policies']);

/** Vault's block of server warnings, or nothing. */
export function warningsText(warnings: readonly string[] | null | undefined): string {
  if (!warnings || warnings.length === 0) return '';
  const items = warnings.map((warning) => `  * ${warning}`).join('\n');
  return `WARNING! The following warnings were returned from Vault:\n\n${items}\n\n`;
}

/** Policies print as a JSON array (`["default" "admin"]` would be ambiguous). */
function policyList(value: unknown): string {
  return Array.isArray(value) ? JSON.stringify(value) : formatValue(value);
}

/** A copy with every object's keys sorted, as Go marshals maps. */
export function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (isObject(value)) {
    return Object.fromEntries(sortedEntries(value).map(([key, item]) => [key, sortDeep(item)]));
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
