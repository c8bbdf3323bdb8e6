/**
 * Where and how a command reaches the server, from its flags and the environment: Vault's
 * `VAULT_*` variables, each of which may also be spelled `COFFER_*` (the `COFFER_` spelling
 * wins when both are set), then the flag, which wins over both.
 */
import { readFileSync } from 'node:fs';

import { LocalError, UsageError } from './errors.js';
import type { Env } from './io.js';
import { readTokenHelper } from './token-helper.js';

/** Vault's default address, which Coffer's listener also uses. */
export const DEFAULT_ADDRESS = 'https://127.0.0.1:8200';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The connection and output flags every API command takes (commander's option names). */
export interface ClientFlags {
  readonly address?: string;
  readonly caCert?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly tlsSkipVerify?: boolean;
  readonly format?: string;
  readonly field?: string;
  readonly wrapTtl?: string;
}

export interface ClientSettings {
  /** Scheme, host and port, without a trailing slash. */
  readonly address: string;
  /** PEM text of the CA to trust, the client certificate and its key, read from their files. */
  readonly ca?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly skipVerify: boolean;
  /** The token to send, from VAULT_TOKEN or the token helper file; undefined for none. */
  readonly token?: string;
  /** `root` when VAULT_NAMESPACE names it, sent as `X-Vault-Namespace`. */
  readonly namespace?: string;
  readonly format: OutputFormat;
  readonly field?: string;
  /** Ask the server to wrap responses for this long (`-wrap-ttl`, VAULT_WRAP_TTL): `5m`, `300`. */
  readonly wrapTtl?: string;
}

/** `COFFER_<name>` if set, else `VAULT_<name>`; empty values count as unset. */
export function envValue(env: Env, name: string): string | undefined {
  for (const key of [`COFFER_${name}`, `VAULT_${name}`]) {
    const value = env[key];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** The output format alone, for commands that never reach the server. */
export function resolveFormat(flags: ClientFlags, env: Env): OutputFormat {
  const format = (flags.format ?? envValue(env, 'FORMAT') ?? 'table').toLowerCase();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`Invalid output format: ${format} (use table, json or yaml)`);
  }
  return format as OutputFormat;
}

/**
 * The settings for one command. Reads the CA and client certificate files named, so a missing
 * file fails before any request is sent.
 * @throws UsageError for a bad format, namespace or VAULT_SKIP_VERIFY value.
 * @throws LocalError when a named file cannot be read.
 */
export function resolveSettings(flags: ClientFlags, env: Env): ClientSettings {
  const address = (flags.address ?? envValue(env, 'ADDR') ?? DEFAULT_ADDRESS).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(address)) {
    throw new UsageError(`Invalid address "${address}": expected http(s)://host:port`);
  }

  const namespace = envValue(env, 'NAMESPACE');
  if (namespace !== undefined && namespace.replace(/\/+$/, '') !== 'root') {
    throw new UsageError(
      'Coffer has only the root namespace: VAULT_NAMESPACE must be "" or "root"',
    );
  }

  const skipVerify = flags.tlsSkipVerify === true || parseBool(envValue(env, 'SKIP_VERIFY'));
  const caPath = flags.caCert ?? envValue(env, 'CACERT');
  const certPath = flags.clientCert ?? envValue(env, 'CLIENT_CERT');
  const keyPath = flags.clientKey ?? envValue(env, 'CLIENT_KEY');
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new UsageError('A client certificate needs its key, and a key its certificate');
  }

  return {
    address,
    ca: caPath === undefined ? undefined : readPem(caPath, 'CA certificate'),
    clientCert: certPath === undefined ? undefined : readPem(certPath, 'client certificate'),
    clientKey: keyPath === undefined ? undefined : readPem(keyPath, 'client key'),
    skipVerify,
    token: envValue(env, 'TOKEN') ?? readTokenHelper(env),
    namespace: namespace === undefined ? undefined : 'root',
    format: resolveFormat(flags, env),
    field: flags.field,
    wrapTtl: flags.wrapTtl ?? envValue(env, 'WRAP_TTL'),
  };
}

/** Go's `strconv.ParseBool`, which Vault uses for VAULT_SKIP_VERIFY. */
function parseBool(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new UsageError(`Could not parse VAULT_SKIP_VERIFY "${value}" as a boolean`);
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new LocalError(`Error reading the ${what} file ${path}`, { cause });
  }
}
