/**
 * The child processes a benchmark starts (cluster members, wrk, a build), tracked by PID so that
 * every one of them is stopped at the end, on an error and on SIGINT or SIGTERM: servers get
 * SIGTERM, then SIGKILL after a grace period; commands run to completion under a time limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A long-running process, its output going to a log file. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Whether it has exited (by itself or stopped). */
  exited(): boolean;
  /** Its exit code, or the signal that ended it, once it has exited. */
  exitStatus(): string | null;
}

export interface ServerOptions {
  /** A short name for messages, e.g. `etcd-1`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Where stdout and stderr go (appended). */
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface CommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The command is killed (SIGKILL) once this much time has passed. */
  readonly timeoutMs: number;
}

export interface CommandResult {
  /** The exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the time limit killed it. */
  readonly timedOut: boolean;
}

/**
 * Thrown when a process cannot be started, a cluster member exits early, or a member answers a
 * set-up request unexpectedly.
 */
export class BenchError extends Error {
  readonly code = 'bench_failed';
}

interface Tracked {
  readonly name: string;
  readonly child: ChildProcess;
  readonly done: Promise<void>;
  status: string | null;
}

/**
 * Every process this benchmark has started and not yet seen exit. {@link stopAll} is safe to call
 * more than once and from a signal handler; {@link killAllNow} is the synchronous last resort for
 * `process.on('exit')`.
 */
export class ProcessGroup {
  private readonly tracked = new Map<number, Tracked>();

  /** Starts a server process; its output goes to `options.logFile`. */
  startServer(options: ServerOptions): ServerProcess {
    const log = openSync(options.logFile, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(options.command, [...options.args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    const entry = this.track(options.name, child);
    return {
      name: options.name,
      pid: child.pid!,
      logFile: options.logFile,
      exited: () => entry.status !== null,
      exitStatus: () => entry.status,
    };
  }

  /** Runs a command to completion (or to its time limit) and collects its output. */
  async run(
    name: string,
    command: string,
    args: readonly string[],
    options: CommandOptions,
  ): Promise<CommandResult> {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const entry = this.track(name, child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    try {
      await entry.done;
    } finally {
      clearTimeout(timer);
    }
    return {
      code: child.exitCode,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      timedOut,
    };
  }

  /** Stops one server: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(pid: number, graceMs = 10_000): Promise<void> {
    const entry = this.tracked.get(pid);
    if (entry === undefined) return;
    entry.child.kill('SIGTERM');
    const grace = new Promise<'late'>((resolve) => {
      setTimeout(() => resolve('late'), graceMs).unref();
    });
    if ((await Promise.race([entry.done.then(() => 'done' as const), grace])) === 'late') {
      entry.child.kill('SIGKILL');
      await entry.done;
    }
  }

  /** Stops every process still running, in parallel; resolves once all have exited. */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all([...this.tracked.keys()].map((pid) => this.stop(pid, graceMs)));
  }

  /** SIGKILLs every process still running, synchronously (for `process.on('exit')`). */
  killAllNow(): void {
    for (const [pid, entry] of this.tracked) {
      if (entry.status !== null) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone between its exit and our bookkeeping.
      }
    }
  }

  /** Names and PIDs of the processes still running. */
  running(): string[] {
    return [...this.tracked].map(([pid, entry]) => `${entry.name} (pid ${pid})`);
  }

  private track(name: string, child: ChildProcess): Tracked {
    child.once('error', () => undefined);
    if (child.pid === undefined) {
      // spawn reports ENOENT and the like asynchronously, with no PID assigned.
      throw new BenchError(`could not start ${name} (${child.spawnfile})`);
    }
    const pid = child.pid;
    let markDone!: () => void;
    const done = new Promise<void>((resolve) => (markDone = resolve));
    const entry: Tracked = { name, child, done, status: null };
    child.once('exit', (code, signal) => {
      entry.status = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      this.tracked.delete(pid);
      markDone();
    });
    this.tracked.set(pid, entry);
    return entry;
  }
}

/** The last `lines` lines of a log file, or a note that it is missing. */
export function tailOf(file: string, lines = 20): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  const text = readFileSync(file, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n');
}

/** What a benchmark run holds: its processes, its temporary directory, and how it ends. */
export interface BenchRun {
  readonly group: ProcessGroup;
  readonly tmp: string;
  /** True once SIGINT, SIGTERM or the overall time limit stopped the run. */
  aborted(): boolean;
  /** Stops every process (SIGTERM, then SIGKILL after `graceMs`) and removes `tmp` unless kept. */
  cleanup(graceMs?: number): Promise<void>;
}

/**
 * Starts a benchmark run: a process group, a temporary directory named after `prefix`, and
 * handlers that stop every process and exit on SIGINT, SIGTERM or once `timeoutMs` has passed.
 */
export function startBenchRun(prefix: string, keepTmp: boolean, timeoutMs: number): BenchRun {
  const group = new ProcessGroup();
  const tmp = mkdtempSync(path.join(os.tmpdir(), prefix));
  let cleaned = false;
  let aborting = false;
  const cleanup = async (graceMs = 10_000): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await group.stopAll(graceMs);
    if (keepTmp) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  };
  const abort = (why: string, code: number): void => {
    aborting = true;
    console.error(`\n${why}: stopping ${group.running().join(', ') || 'nothing'} ...`);
    void cleanup(3000).finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  process.once('exit', () => group.killAllNow());
  const overall = `still running after ${timeoutMs / 60_000} minutes`;
  setTimeout(() => abort(overall, 1), timeoutMs).unref();
  return { group, tmp, aborted: () => aborting, cleanup };
}
