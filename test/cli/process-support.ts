/**
 * `coffer` run as a real process, the way an operator's shell runs it: `node --import tsx
 * src/cli/main.ts` (what bin/coffer.js runs once `make build` has compiled it), with only the
 * environment given (plus PATH), an optional stdin, and a bound on its run time.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

/** How one process ended and what it wrote. */
export interface ProcessResult {
  /** The exit status; -1 when it was killed (timeout) or could not start. */
  status: number;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  /** What the process reads on stdin (an empty, closed stdin when absent). */
  stdin?: string;
  /** Killed after this long; default 30 s. */
  timeoutMs?: number;
}

/** Runs `coffer <args>` with exactly `env` (and PATH) and resolves once it has exited. */
export function coffer(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      // From the checkout, where `--import tsx` finds its package.
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: options.timeoutMs ?? 30_000,
      },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ status, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

/** A shell session: a temporary HOME (for `~/.vault-token`) and the variables it exports. */
export class Shell {
  readonly home = mkdtempSync(join(tmpdir(), 'coffer-shell-'));
  readonly env: Record<string, string>;

  constructor(exports: Readonly<Record<string, string>>) {
    this.env = { HOME: this.home, ...exports };
  }

  /** `coffer <args>` in this session. */
  run(args: readonly string[], options?: ProcessOptions): Promise<ProcessResult> {
    return coffer(args, this.env, options);
  }

  /** `coffer <args>` with some variables changed for this one command. */
  runWith(
    changes: Readonly<Record<string, string>>,
    args: readonly string[],
    options?: ProcessOptions,
  ): Promise<ProcessResult> {
    return coffer(args, { ...this.env, ...changes }, options);
  }

  cleanup(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** A failing command's output, for an assertion message. */
export function shown(result: ProcessResult): string {
  return `exit ${result.status}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}
