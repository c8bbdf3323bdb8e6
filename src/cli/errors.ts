/**
 * The CLI's failures. Each carries a stable `code` and the exit status Vault's CLI uses for its
 * kind: 1 for usage and local errors (a bad flag, a missing argument, an unreadable file), 2 for
 * anything the server refused or could not be reached for. Messages never include a secret value
 * or a token: they name paths, flags and files only.
 */

/** Exit status for success. */
export const EXIT_OK = 0;
/** Exit status for usage and local errors. */
export const EXIT_USAGE = 1;
/** Exit status for server errors (and `status` on a sealed node, as Vault does). */
export const EXIT_SERVER = 2;

export abstract class CliError extends Error {
  abstract readonly code: string;
  abstract readonly exitStatus: number;
}

/** Thrown when the command line itself is wrong: a bad flag value or argument. */
export class UsageError extends CliError {
  readonly code = 'cli_usage';
  readonly exitStatus = EXIT_USAGE;
}

/** Thrown when something on this machine fails: a file to read or write, the token helper. */
export class LocalError extends CliError {
  readonly code = 'cli_local';
  readonly exitStatus = EXIT_USAGE;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown when the server could not be reached, or its TLS handshake failed. */
export class ConnectionError extends CliError {
  readonly code = 'cli_connection';
  readonly exitStatus = EXIT_SERVER;

  constructor(method: string, url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${method} ${url}: ${reason}`, { cause });
  }
}

/** Thrown when the server answers with an error status; rendered the way Vault's CLI does. */
export class ApiError extends CliError {
  readonly code = 'cli_api';
  readonly exitStatus = EXIT_SERVER;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly errors: readonly string[],
  ) {
    const list = errors.map((error) => `* ${error}`).join('\n');
    super(
      `Error making API request.\n\nURL: ${method} ${url}\nCode: ${status}. Errors:\n\n${list}`,
    );
  }
}

/** Thrown when a command ran but has nothing to show, such as a read of a missing path. */
export class NotFoundError extends CliError {
  readonly code = 'cli_not_found';
  readonly exitStatus = EXIT_SERVER;
}
