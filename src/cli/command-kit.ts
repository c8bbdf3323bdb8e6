/**
 * How each `coffer` command is declared and run. A command is a {@link CommandSpec}: its usage
 * line, a summary, real examples (printed by `-h`), its own flags, and a `run` function that
 * gets a {@link CommandContext} (the API client, the output printer, the io and environment).
 * Every API command also takes Vault's connection and output flags. Failures are printed the
 * way Vault's CLI prints them, and mapped to its exit statuses (errors.ts).
 */
import { InvalidArgumentError, type Command } from 'commander';

import { ApiClient } from './api-client.js';
import { ApiError, CliError, ConnectionError, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
import { PromptInterruptedError, type CliIo, type Env } from './io.js';
import { Output } from './output.js';
import { resolveFormat, resolveSettings, type ClientFlags } from './settings.js';

/** What a whole `runCli` call shares: io, environment, and the status the command set. */
export interface Runtime {
  readonly io: CliIo;
  readonly env: Env;
  status: number;
}

export interface CommandContext {
  readonly io: CliIo;
  readonly env: Env;
  readonly out: Output;
  /** The API client; resolving its settings may throw a usage or local error. */
  readonly client: ApiClient;
}

/** A positional argument as commander hands it over: variadic ones are arrays. */
export type ArgValue = string | string[] | undefined;

export interface CommandSpec<O extends object = Record<string, never>> {
  /** The name and arguments, in commander's syntax: `get <path>`, `put <path> [data...]`. */
  readonly usage: string;
  readonly summary: string;
  /** Command lines (without `$ `) that work against a local node. */
  readonly examples: readonly string[];
  /** Adds the command's own flags. */
  readonly options?: (command: Command) => void;
  /** False for commands that never reach the server (no connection flags). */
  readonly api?: boolean;
  /** The prefix of an API error: `Error reading secret/app`. */
  readonly errorContext?: (args: readonly ArgValue[]) => string;
  /** Runs the command; resolves to its exit status (0 when nothing is returned). */
  readonly run: (
    ctx: CommandContext,
    args: readonly ArgValue[],
    options: O & ClientFlags,
  ) => Promise<number | void>;
}

/** Adds `spec` as a subcommand of `parent`, to run within `runtime`. */
export function defineCommand<O extends object>(
  parent: Command,
  runtime: Runtime,
  spec: CommandSpec<O>,
): Command {
  const command = parent.command(spec.usage).description(spec.summary).helpOption('-h, --help');
  spec.options?.(command);
  if (spec.api !== false) addClientOptions(command);
  else addOutputOptions(command);
  const heading = spec.examples.length === 1 ? 'Example' : 'Examples';
  const lines = spec.examples.map((example) => `  $ ${example}`).join('\n');
  command.addHelpText('after', `\n${heading}:\n${lines}\n`);

  command.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    const args = self.processedArgs as ArgValue[];
    const options = self.opts<O & ClientFlags>();
    runtime.status = await runGuarded(runtime, commandPath(self), async () => {
      const ctx = makeContext(runtime, options, spec.api !== false);
      return (await spec.run(ctx, args, options)) ?? EXIT_OK;
    }, spec.errorContext?.(args));
  });
  return command;
}

/** The connection flags (`-address`, `-ca-cert`, ..., `-wrap-ttl`) and the output flags. */
function addClientOptions(command: Command): void {
  command
    .option('--address <url>', 'server address, like https://127.0.0.1:8200 (VAULT_ADDR)')
    .option('--ca-cert <file>', 'PEM file of the CA that signed the server (VAULT_CACERT)')
    .option('--client-cert <file>', 'PEM client certificate to present (VAULT_CLIENT_CERT)')
    .option('--client-key <file>', 'PEM key of the client certificate (VAULT_CLIENT_KEY)')
    .option('--tls-skip-verify', 'do not verify the server certificate (VAULT_SKIP_VERIFY)')
    .option('--wrap-ttl <ttl>', 'have the response wrapped for this long (VAULT_WRAP_TTL)');
  addOutputOptions(command);
}

function addOutputOptions(command: Command): void {
  command
    .option('--format <format>', 'output format: table, json or yaml (VAULT_FORMAT)')
    .option('--field <name>', 'print only this field, bare, with no trailing newline');
}

function makeContext(runtime: Runtime, flags: ClientFlags, api: boolean): CommandContext {
  const { io, env } = runtime;
  // API commands resolve their settings up front, so a bad flag fails before any request.
  const settings = api ? resolveSettings(flags, env) : undefined;
  const out = new Output(io, settings?.format ?? resolveFormat(flags, env), flags.field);
  let client: ApiClient | undefined;
  return {
    io,
    env,
    out,
    get client(): ApiClient {
      client ??= new ApiClient(settings ?? resolveSettings(flags, env));
      return client;
    },
  };
}

/**
 * Runs a command body and turns its failures into Vault's messages and exit statuses. Errors
 * that are not the CLI's own are bugs: they propagate (main.ts prints them).
 */
async function runGuarded(
  runtime: Runtime,
  path: string,
  body: () => Promise<number>,
  errorContext: string | undefined,
): Promise<number> {
  try {
    return await body();
  } catch (err) {
    const { io } = runtime;
    if (err instanceof PromptInterruptedError) {
      io.stderr('Interrupted.\n');
      return EXIT_USAGE;
    }
    if (!(err instanceof CliError)) throw err;
    if (err instanceof ApiError || err instanceof ConnectionError) {
      io.stderr(`${errorContext ?? 'Error'}: ${err.message}\n`);
    } else if (err instanceof UsageError) {
      io.stderr(`${err.message}\nRun 'coffer ${path} -h' for usage.\n`);
    } else {
      io.stderr(`${err.message}\n`);
    }
    return err.exitStatus;
  }
}

/** `kv metadata get`, from a command up to (not including) the program. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** A required single argument. */
export function argString(args: readonly ArgValue[], index: number): string {
  const value = args[index];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** An optional single argument. */
export function argOptional(args: readonly ArgValue[], index: number): string | undefined {
  const value = args[index];
  return Array.isArray(value) ? value[0] : value;
}

/** A variadic argument (empty when absent). */
export function argList(args: readonly ArgValue[], index: number): string[] {
  const value = args[index];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Commander's parser for an integer flag value. */
export function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected an integer');
  return Number(value);
}

/** Commander's parser for a flag that may be given several times. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').filter((item) => item !== '')];
}

/** `key=value` flag values (`-metadata`, `-options`) collected into an object. */
export function keyValueOption(
  value: string,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected key=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** Reads a secret the operator did not pass: a hidden prompt on a terminal, else stdin. */
export async function readSecretInput(io: CliIo, question: string): Promise<string> {
  if (io.stdinIsTty === true && io.promptHidden !== undefined) {
    return (await io.promptHidden(question)).trim();
  }
  return ((await io.readStdin?.())?.toString('utf8') ?? '').trim();
}
