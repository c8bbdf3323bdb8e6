/**
 * Thrown when a server configuration cannot be read or is invalid: a syntax error, an unknown or
 * unsupported key, a value of the wrong type or out of range, a missing required key, or
 * settings that contradict each other. The message names the file, the line when there is one,
 * and the key: `cluster/node1.hcl:7: unknown key "tls_cert" in listener "tcp" (did you mean
 * "tls_cert_file"?)`. `reason` is the message without the location prefix.
 */
export class ConfigError extends Error {
  readonly code = 'config_invalid';

  constructor(
    readonly file: string,
    readonly line: number | undefined,
    /** The offending key's path, as in `listener.tcp[0].tls_cert`, when one key is at fault. */
    readonly key: string | undefined,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${reason}`, options);
    this.name = 'ConfigError';
  }
}
