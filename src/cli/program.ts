/**
 * The `coffer` command line: Vault's commands, flags and environment variables, so a runbook
 * written for `vault` works with `coffer` after a rename. Every command but `server` reaches the
 * server only through the `/v1` HTTP API (api-client.ts).
 *
 * Vault's commands take single-dash long flags (`-address=...`, `-format json`), Go's flag style;
 * commander expects two dashes, so single-dash long flags are rewritten before parsing and both
 * spellings work. Exit statuses: 0 success, 1 usage or local errors, 2 server errors (and
 * `status` on a sealed node); `server` ends with whatever the node ended with.
 */
import { Command, CommanderError } from 'commander';

import { COFFER_VERSION } from '../vault/version.js';
import { commandPath, type Runtime } from './command-kit.js';
import { registerAudit } from './commands/audit.js';
import { parseGoBool } from './commands/flags.js';
import { registerGeneric } from './commands/generic.js';
import { registerKv } from './commands/kv.js';
import { registerLease } from './commands/lease.js';
import { registerLogin } from './commands/login.js';
import { registerAuth, registerSecrets } from './commands/mounts.js';
import { registerOperator } from './commands/operator.js';
import { registerPolicy } from './commands/policy.js';
import { registerRaft } from './commands/raft.js';
import { registerServer } from './commands/server.js';
import { registerStatus } from './commands/status.js';
import { registerToken } from './commands/token.js';
import { EXIT_USAGE } from './errors.js';
import { processIo, type CliIo, type Env } from './io.js';

export { EXIT_USAGE } from './errors.js';
export type { CliIo, Env } from './io.js';

/**
 * Runs `coffer` with `argv` (without the node and script paths) and resolves to the exit status.
 * `io` and `env` default to the process's own; tests pass captured output, a scripted stdin and
 * an environment with a temporary HOME.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo(),
  env: Env = process.env,
): Promise<number> {
  const runtime: Runtime = { io, env, status: 0 };
  const program = buildProgram(runtime);
  const typed = singleDashFlags(argv);
  const everyCommand = (command: Command): void => {
    command.configureOutput({ outputError: (text, write) => write(usageErrorText(text, typed)) });
    command.commands.forEach(everyCommand);
  };
  everyCommand(program);
  try {
    await program.parseAsync(goBooleans(program, normaliseFlags(argv)), { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Help and version asked for end with 0; anything else commander refused is a usage error.
    return err.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  return runtime.status;
}

/** The whole command tree, bound to `runtime`. */
export function buildProgram(runtime: Runtime): Command {
  const { io } = runtime;
  const program = new Command('coffer')
    .description(
      'A clustered secrets store with a Vault-compatible HTTP API.\n' +
        'Flags take one dash or two: -address=https://127.0.0.1:8200 or --address ...',
    )
    .version(COFFER_VERSION, '-v, --version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  registerServer(program, runtime);
  registerStatus(program, runtime);

  const operator = program.command('operator').description('Operate the cluster: seal, keys, raft');
  registerOperator(operator, runtime);
  registerRaft(operator.command('raft').description('Integrated storage (Raft)'), runtime);

  registerLogin(program, runtime);
  registerToken(program.command('token').description('Create and manage tokens'), runtime);
  registerPolicy(program.command('policy').description('Manage ACL policies'), runtime);
  registerSecrets(program.command('secrets').description('Manage secrets engines'), runtime);
  registerAuth(program.command('auth').description('Manage auth methods'), runtime);
  registerAudit(program.command('audit').description('Manage and verify audit devices'), runtime);
  registerLease(program.command('lease').description('Look up, renew and revoke leases'), runtime);
  registerKv(program.command('kv').description('Read and write key/value secrets'), runtime);
  registerGeneric(program, runtime);
  program
    .command('version')
    .description('Print the version of this command')
    .action(() => io.stdout(`Coffer v${COFFER_VERSION}\n`));

  // Every command answers a usage error with one line and where to find its usage.
  const hint = (command: Command): void => {
    const path = commandPath(command);
    command.showHelpAfterError(`Run 'coffer ${path === '' ? '' : `${path} `}-h' for usage.`);
    command.commands.forEach(hint);
  };
  hint(program);
  return program;
}

/**
 * `-name` and `-name=value` become `--name` and `--name=value`; single-letter flags, values and
 * everything after `--` are left alone.
 */
export function normaliseFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (arg === '--') rest = true;
    out.push(!rest && /^-[A-Za-z][A-Za-z0-9_-]+(=|$)/.test(arg) ? `-${arg}` : arg);
  }
  return out;
}

/**
 * Go's boolean flags also take a value (`-tls-skip-verify=true`, `-non-voter=false`), commander's
 * take none. For the command `argv` runs, a boolean flag's `--name=<bool>` becomes the bare flag
 * when true and is left out when false (a boolean flag is off unless given).
 * @throws CommanderError (a usage error, already printed) for a value that is not a boolean.
 */
export function goBooleans(program: Command, argv: readonly string[]): string[] {
  let command = program;
  const out: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (arg === '--') rest = true;
    const child = rest ? undefined : command.commands.find((sub) => sub.name() === arg);
    if (child !== undefined) command = child;
    const match = rest ? null : /^(--[A-Za-z][A-Za-z0-9_-]*)=(.*)$/s.exec(arg);
    const flag = match?.[1];
    const option = command.options.find((known) => flag !== undefined && known.long === flag);
    if (match === null || option === undefined || option.required || option.optional) {
      out.push(arg);
      continue;
    }
    const value = parseGoBool(match[2] ?? '');
    if (value === undefined) command.error(`error: option '${flag}' takes true or false`);
    if (value) out.push(flag ?? arg);
  }
  return out;
}

/**
 * A usage error of commander's as the user should read it, on one line: flags named as they
 * were typed (`-nope`, not the `--nope` commander parsed), and an unknown flag named without
 * what followed its `=`, which may be a secret typed after a misspelt flag name.
 */
export function usageErrorText(text: string, singleDash: ReadonlySet<string>): string {
  const asTyped = (flag: string): string => {
    const name = flag.replace(/^--/, '');
    return flag.startsWith('--') && singleDash.has(name) ? `-${name}` : flag;
  };
  const unknown = "error: unknown option '";
  if (text.startsWith(unknown)) {
    const flag = /^-{1,2}[A-Za-z0-9_-]*/.exec(text.slice(unknown.length))?.[0] ?? '';
    const shown = asTyped(flag);
    // Commander puts its suggestion on a line of its own: `(Did you mean --cas?)`.
    const similar = /\n\(Did you mean ((?:one of )?--[A-Za-z0-9_, -]+)\?\)\n$/.exec(text)?.[1];
    const hint =
      similar === undefined
        ? ''
        : ` (did you mean ${shown.startsWith('--') ? similar : similar.replace(/--/g, '-')}?)`;
    return `${unknown}${shown}'${hint}\n`;
  }
  // `'--nope'`, `'--address <url>'`.
  return text.replace(/'(--[A-Za-z][A-Za-z0-9_-]+)( [^']*)?'/g, (_quoted, flag: string, rest) =>
    `'${asTyped(flag)}${typeof rest === 'string' ? rest : ''}'`,
  );
}

/** The names of the flags `argv` spells with a single dash (`-nope=1` gives `nope`). */
function singleDashFlags(argv: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const arg of argv) {
    if (arg === '--') break;
    const match = /^-([A-Za-z][A-Za-z0-9_-]+)(=|$)/.exec(arg);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return names;
}
