/**
 * Network partitions between the nodes of a {@link LoopbackCluster}, made with iptables rules on
 * the loopback interface: each node sends and receives from its own 127.0.0.N address, so a rule
 * matching a source and a destination address cuts exactly one direction of one link.
 *
 * Every rule carries the comment `coffer-test-<pid>` and is inserted at the top of the INPUT
 * chain; {@link Firewall.heal} deletes exactly the rules this instance added. Needs root and the
 * `iptables` command (Debian: `apt-get install -y iptables`).
 */
import { spawnSync } from 'node:child_process';

/** The comment prefix of every rule a test run adds; the PID of the run follows it. */
const TAG_PREFIX = 'coffer-test-';

/** How long one iptables command may take (it waits for the xtables lock). */
const IPTABLES_TIMEOUT_MS = 15_000;

/** Thrown when iptables is missing or unusable, or a rule cannot be added or removed. */
export class FirewallError extends Error {
  readonly code = 'firewall_failed';

  constructor(message: string) {
    super(message);
    this.name = 'FirewallError';
  }
}

export class Firewall {
  /** The comment on this instance's rules. */
  readonly tag = `${TAG_PREFIX}${process.pid}`;
  /** The rule specifications added and not yet deleted, oldest first. */
  private readonly added: string[][] = [];

  /**
   * Checks that iptables can be run and changed here (installed, and we are root).
   * @throws FirewallError saying how to fix it.
   */
  static assertAvailable(): void {
    const version = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
    if (version.error !== undefined || version.status !== 0) {
      throw new FirewallError(
        'the partition tests need the iptables command: run `apt-get install -y iptables` ' +
          `(as root) first (${version.error?.message ?? version.stderr.trim()})`,
      );
    }
    if (process.getuid?.() !== 0) {
      throw new FirewallError('the partition tests change iptables rules and must run as root');
    }
    iptables(['-w', '-S', 'INPUT']);
  }

  /**
   * Deletes rules tagged by earlier test runs whose process no longer exists (a run killed before
   * its `after` hook), so that they cannot cut links in this run. Returns how many it deleted.
   */
  static removeStale(): number {
    let removed = 0;
    for (const line of iptables(['-w', '-S', 'INPUT']).split('\n')) {
      const words = line.trim().split(/\s+/);
      const at = words.indexOf('--comment');
      const comment = at < 0 ? '' : (words[at + 1] ?? '');
      if (words[0] !== '-A' || !comment.startsWith(TAG_PREFIX)) continue;
      const pid = Number(comment.slice(TAG_PREFIX.length));
      if (!Number.isSafeInteger(pid) || pid <= 0 || isAlive(pid)) continue;
      iptables(['-w', '-D', ...words.slice(1)]);
      removed++;
    }
    return removed;
  }

  /** Drops every packet between `a` and `b`, both ways. Effective when this returns. */
  cut(a: string, b: string): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /**
   * Drops every packet from `from` to `to`; packets from `to` to `from` still arrive. TCP needs
   * both directions, so no new connection between the two opens either way, while data that
   * `to` writes on an open connection still reaches `from`, unacknowledged.
   */
  cutOneWay(from: string, to: string): void {
    const spec = ['INPUT', '-i', 'lo', '-s', from, '-d', to];
    spec.push('-m', 'comment', '--comment', this.tag, '-j', 'DROP');
    iptables(['-w', '-I', ...spec]);
    this.added.push(spec);
  }

  /**
   * Deletes every rule this instance added. Tries all of them even when one fails.
   * @throws FirewallError naming the rules it could not delete.
   */
  heal(): void {
    const failed: string[] = [];
    while (this.added.length > 0) {
      const spec = this.added.pop()!;
      try {
        iptables(['-w', '-D', ...spec]);
      } catch (err) {
        failed.push(`${spec.join(' ')}: ${(err as Error).message}`);
      }
    }
    if (failed.length > 0) throw new FirewallError(`rules left behind: ${failed.join('; ')}`);
  }

  /** The INPUT rules carrying this instance's tag, as `iptables -S` prints them. */
  ownRules(): string[] {
    return iptables(['-w', '-S', 'INPUT'])
      .split('\n')
      .filter((line) => line.split(/\s+/).includes(this.tag));
  }
}

/** Runs iptables and returns its output. @throws FirewallError when it fails. */
function iptables(args: string[]): string {
  const result = spawnSync('iptables', args, { encoding: 'utf8', timeout: IPTABLES_TIMEOUT_MS });
  if (result.error !== undefined || result.status !== 0) {
    const reason = result.error?.message ?? result.stderr.trim();
    throw new FirewallError(`iptables ${args.join(' ')} failed: ${reason}`);
  }
  return result.stdout;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
