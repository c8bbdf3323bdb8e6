/**
 * The shape of the command line itself, with no server: every command the CLI issue names
 * exists and prints its usage with an example, docs/cli.md shows every command at work, usage
 * errors are one line with exit 1 and never repeat what followed a misspelt flag, and the
 * client commands reach no server code (only `server` loads it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Command } from 'commander';

import { commandPath } from '../../src/cli/command-kit.js';
import { buildProgram } from '../../src/cli/program.js';
import { CliEnv } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every command of the issue, as an operator types it. */
const ISSUE_COMMANDS = [
  'server',
  'status',
  'operator init',
  'operator unseal',
  'operator seal',
  'operator step-down',
  'operator key-status',
  'operator rotate',
  'operator raft join',
  'operator raft list-peers',
  'operator raft remove-peer',
  'operator raft snapshot save',
  'operator raft snapshot restore',
  'operator raft autopilot state',
  'login',
  ...['create', 'lookup', 'renew', 'revoke', 'capabilities'].map((name) => `token ${name}`),
  ...['list', 'read', 'write', 'delete', 'fmt'].map((name) => `policy ${name}`),
  ...['enable', 'disable', 'list', 'move', 'tune'].map((name) => `secrets ${name}`),
  ...['enable', 'disable', 'list', 'tune'].map((name) => `auth ${name}`),
  ...['enable', 'disable', 'list', 'verify'].map((name) => `audit ${name}`),
  ...['lookup', 'renew', 'revoke'].map((name) => `lease ${name}`),
  ...['get', 'put', 'patch', 'delete', 'undelete', 'destroy', 'list'].map((name) => `kv ${name}`),
  ...['get', 'put', 'delete'].map((name) => `kv metadata ${name}`),
  'read',
  'write',
  'list',
  'delete',
  'unwrap',
];

/** The paths of every command that runs something (not the groups). */
function leafCommands(): string[] {
  const program = buildProgram({ io: { stdout: () => {}, stderr: () => {} }, env: {}, status: 0 });
  const leaves: string[] = [];
  const walk = (command: Command): void => {
    if (command.commands.length === 0) leaves.push(commandPath(command));
    command.commands.forEach(walk);
  };
  walk(program);
  return leaves;
}

describe('coffer usage', () => {
  let cli: CliEnv;

  beforeEach(() => {
    // Nothing listens on port 1: none of these commands may reach a server.
    cli = new CliEnv('http://127.0.0.1:1');
  });

  afterEach(() => cli.cleanup());

  it('has every command of the issue, each with -h usage and an example', async () => {
    const leaves = new Set(leafCommands());
    for (const path of ISSUE_COMMANDS) {
      assert.ok(leaves.has(path), `no command "coffer ${path}"`);
      const help = await cli.run([...path.split(' '), '-h']);
      assert.equal(help.status, 0, `${path}: ${help.err}`);
      assert.match(help.out, new RegExp(`^Usage: coffer ${path} `), path);
      assert.match(help.out, new RegExp(`\\nExamples?:\\n {2}\\$ coffer ${path}\\b`), path);
    }
  });

  it('shows every command at work in docs/cli.md', () => {
    const docs = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8').split('\n');
    const examples = docs.filter((line) => line.startsWith('$ '));
    for (const path of leafCommands()) {
      const pattern = new RegExp(`\\bcoffer ${path}( |$)`);
      assert.ok(
        examples.some((line) => pattern.test(line)),
        `docs/cli.md has no "$ coffer ${path}" example`,
      );
    }
  });

  it('names a misspelt flag without the value typed after it, on one line', async () => {
    const typo = await cli.run(['kv', 'put', '-pasword=hunter2', 'secret/app']);
    assert.equal(typo.status, 1);
    assert.equal(typo.out, '');
    assert.equal(typo.err, "error: unknown option '-pasword'\nRun 'coffer kv put -h' for usage.\n");

    const dashes = await cli.run(['kv', 'put', '--pasword=hunter2', 'secret/app']);
    assert.equal(dashes.status, 1);
    assert.match(dashes.err, /^error: unknown option '--pasword'\n/);
    assert.ok(![typo, dashes].some((result) => result.err.includes('hunter2')));

    // Commander's suggestion joins the line, in the dashes the flag was typed with.
    const near = await cli.run(['kv', 'put', '-cass=1', 'secret/app', 'a=1']);
    assert.equal(near.status, 1);
    assert.equal(
      near.err,
      "error: unknown option '-cass' (did you mean -cas?)\nRun 'coffer kv put -h' for usage.\n",
    );
    const nearer = await cli.run(['kv', 'put', '--cass', '1', 'secret/app', 'a=1']);
    assert.match(nearer.err, /^error: unknown option '--cass' \(did you mean --cas\?\)\n/);
  });

  it('answers usage errors with one line, a usage hint and exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [['nope'], /^error: unknown command 'nope'$/],
      [['kv', 'get', 'a', 'b'], /^error: too many arguments for 'get'\./],
      [['operator', 'raft', 'join'], /^error: missing required argument 'leader-api-addr'$/],
      [['status', '-address'], /^error: option '-address <url>' argument missing$/],
      [['kv', 'get', '-version=x', 'a'], /^error: option '-version <n>' argument 'x' is invalid/],
      [['server'], /^error: required option '--config <path>' not specified$/],
      [['token', 'revoke'], /^Give either a token \(or accessor\) or -self$/],
      [['status', '-tls-skip-verify=maybe'], /^error: option '-tls-skip-verify' takes true or/],
    ];
    for (const [argv, first] of cases) {
      const result = await cli.run(argv);
      assert.equal(result.status, 1, `${argv.join(' ')}: ${result.err}`);
      assert.equal(result.out, '');
      const lines = result.err.split('\n');
      assert.equal(lines.length, 3, result.err);
      assert.match(lines[0] ?? '', first);
      assert.match(lines[1] ?? '', /^Run 'coffer [a-z -]*-h' for usage\.$/);
    }
  });

  it('reaches no server code from the client commands: only `server` loads it', () => {
    // Modules outside src/cli that the CLI may load: pure helpers with no server state.
    const allowed = new Set(['src/util/hcl.ts', 'src/vault/version.ts']);
    const seen = new Set<string>();
    const outside: string[] = [];
    const visit = (file: string): void => {
      const rel = relative(ROOT, file).split('\\').join('/');
      if (seen.has(rel)) return;
      seen.add(rel);
      if (!rel.startsWith('src/cli/') && !allowed.has(rel)) outside.push(rel);
      const text = readFileSync(file, 'utf8');
      const specifiers = [
        ...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms),
        ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
      ].map((match) => match[1] ?? '');
      const dynamic = [...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]);
      for (const specifier of specifiers) {
        if (!specifier.startsWith('.')) continue;
        const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
        const targetRel = relative(ROOT, target).split('\\').join('/');
        // The one door to the server: `coffer server`, loaded only when it runs.
        if (rel === 'src/cli/commands/server.ts' && dynamic.includes(specifier)) {
          assert.match(targetRel, /^src\/server\//);
          continue;
        }
        visit(target);
      }
    };
    visit(join(ROOT, 'src', 'cli', 'main.ts'));
    assert.ok(seen.has('src/cli/api-client.ts') && seen.has('src/cli/commands/kv.ts'));
    assert.deepEqual(outside, []);
  });
});
