/**
 * Autopilot's health of the cluster, for `sys/storage/raft/autopilot/state` (Vault API docs,
 * "/sys/storage/raft/autopilot", "Get cluster state"). Coffer runs no autopilot of its own (no
 * dead-server cleanup, no stabilisation before promotion); this is only its state report, built
 * from what the leader observes of each server.
 *
 * A follower is healthy while the leader heard from it recently (`lastContactThresholdMs`) and
 * it trails the leader's log by few entries (`maxTrailingLogs`); the defaults are Vault's
 * autopilot defaults (Vault docs, "Integrated storage autopilot", "Default configuration").
 * The cluster is healthy when every voter is. The failure tolerance is how many more voters
 * may fail before the healthy ones no longer make a quorum.
 */

/** What the leader knows of one server, before any judgement of health. */
export interface AutopilotObservation {
  readonly id: string;
  /** The cluster address, `host:port`. */
  readonly address: string;
  readonly status: 'leader' | 'voter' | 'non-voter';
  /** Milliseconds since the leader last heard from the server; 0 for the leader itself. */
  readonly lastContactMs: number;
  /** The term of the last entry the server holds, as far as the leader knows. */
  readonly lastTerm: number;
  /** The last index the server holds, as far as the leader knows (its match index). */
  readonly lastIndex: number;
  readonly version: string;
}

/** One server of the report. */
export interface AutopilotServer extends AutopilotObservation {
  /** `left` once silent for longer than `deadServerLastContactThresholdMs`. */
  readonly nodeStatus: 'alive' | 'left';
  readonly healthy: boolean;
  /** Since when `healthy` has had its current value, as this leader saw it. */
  readonly stableSince: Date;
}

/** The whole report, in Vault's terms. */
export interface AutopilotState {
  /** True when every voter is healthy. */
  readonly healthy: boolean;
  readonly failureTolerance: number;
  /**
   * Vault Enterprise counts non-voters it could promote in place of failed voters. Coffer never
   * promotes a non-voter on a voter's failure, so this equals `failureTolerance`.
   */
  readonly optimisticFailureTolerance: number;
  /** The leader's node id. */
  readonly leader: string;
  /** The voters' ids, the leader included, sorted. */
  readonly voters: readonly string[];
  readonly servers: readonly AutopilotServer[];
}

/** The bounds a server's health is judged by. */
export interface AutopilotLimits {
  /** A server the leader has not heard from for longer is unhealthy. Vault: 10 s. */
  readonly lastContactThresholdMs: number;
  /** A server trailing the leader's last index by more entries is unhealthy. Vault: 1000. */
  readonly maxTrailingLogs: number;
  /** A server silent for longer is reported `left`. Vault: 24 h. */
  readonly deadServerLastContactThresholdMs: number;
}

export const DEFAULT_AUTOPILOT_LIMITS: AutopilotLimits = {
  lastContactThresholdMs: 10_000,
  maxTrailingLogs: 1000,
  deadServerLastContactThresholdMs: 24 * 60 * 60 * 1000,
};

/**
 * Judges servers' health and remembers since when each one's health has held (`stable_since`),
 * across reports. One tracker serves one term of leadership: a new leader starts a new one.
 */
export class AutopilotTracker {
  private readonly stable = new Map<string, { healthy: boolean; since: Date }>();

  /**
   * @param since when observation began (leadership start): the `stable_since` of a server
   *   whose health has not changed since.
   */
  constructor(
    private readonly since: Date,
    private readonly limits: AutopilotLimits = DEFAULT_AUTOPILOT_LIMITS,
  ) {}

  /** The report for `observations` (the leader's among them) as of `now`. */
  assess(observations: readonly AutopilotObservation[], now: Date): AutopilotState {
    const leader = observations.find((o) => o.status === 'leader');
    const leaderIndex = leader?.lastIndex ?? 0;

    const servers = observations.map((o): AutopilotServer => {
      const nodeStatus =
        o.lastContactMs > this.limits.deadServerLastContactThresholdMs ? 'left' : 'alive';
      const healthy =
        o.status === 'leader' ||
        (nodeStatus === 'alive' &&
          o.lastContactMs <= this.limits.lastContactThresholdMs &&
          leaderIndex - o.lastIndex <= this.limits.maxTrailingLogs);
      return { ...o, nodeStatus, healthy, stableSince: this.stableSince(o.id, healthy, now) };
    });
    const present = new Set(observations.map((o) => o.id));
    for (const id of [...this.stable.keys()]) if (!present.has(id)) this.stable.delete(id);

    const voters = servers.filter((s) => s.status !== 'non-voter');
    const healthyVoters = voters.filter((s) => s.healthy).length;
    const failureTolerance = Math.max(0, healthyVoters - quorum(voters.length));
    return {
      healthy: voters.every((s) => s.healthy),
      failureTolerance,
      optimisticFailureTolerance: failureTolerance,
      leader: leader?.id ?? '',
      voters: voters.map((s) => s.id).sort(),
      servers,
    };
  }

  private stableSince(id: string, healthy: boolean, now: Date): Date {
    const known = this.stable.get(id);
    if (known !== undefined && known.healthy === healthy) return known.since;
    // First seen: its health has held, for all this leader knows, since observation began.
    const since = known === undefined ? this.since : now;
    this.stable.set(id, { healthy, since });
    return since;
  }
}

/** The votes a configuration of `voters` needs to decide: a strict majority. */
function quorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * `ms` the way Go prints a `time.Duration`, which is what Vault's `last_contact` holds:
 * `0s`, `850ms`, `1.2s`, `2m5.5s`, `1h0m0s`.
 */
export function formatGoDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = `${(total % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}
