/**
 * Real Coffer clusters for the end-to-end tests: each node is a `coffer server` process
 * (`node --import tsx src/cli/main.ts server -config=<file>`) on 127.0.0.1, with free ports picked
 * per cluster, its data, configuration, TLS material and log under one temporary directory, and
 * a tiny HTTPS client that talks to it as an operator would.
 *
 * Every process is tracked by PID; {@link TestCluster.destroy} kills what is left and removes the
 * directory, so an `after` hook that calls it leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateCa, issueNodeCertificate, type CertificateBundle } from '../../src/util/tls.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

/** Polls `probe` until it returns a value other than null/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== false) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last === '' ? '' : ` (last: ${last})`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A port the OS just handed out on 127.0.0.1, free again once this resolves. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown> | null;
}

export interface InitResult {
  readonly keys_base64: string[];
  readonly root_token: string;
}

export interface TestNode {
  readonly id: string;
  readonly api: string;
  readonly apiPort: number;
  readonly clusterPort: number;
  readonly dataDir: string;
  readonly configFile: string;
  readonly logFile: string;
  process: ChildProcess | null;
  /**
   * A libfaketime offset for the node's wall clock (`"-1h"`, `"+30m"`), applied at each start;
   * undefined runs it on the real clock. See {@link faketimeLibrary}.
   */
  clockOffset?: string;
}

/**
 * When the cluster's certificates say they were issued: two hours ago when some node runs on a
 * late clock, which would otherwise find them not yet valid and never complete a handshake.
 */
function certificateTime(options: ClusterOptions): Date | undefined {
  const skewed = Object.keys(options.clockOffsets ?? {}).length > 0;
  return skewed ? new Date(Date.now() - 2 * 3600 * 1000) : undefined;
}

/** Where Debian's `faketime` package puts the library its `faketime` binary preloads. */
const FAKETIME_LIBRARIES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

/**
 * The libfaketime library, or null when it is not installed. A node with a clock offset is run
 * with it preloaded, as `faketime -f <offset>` would run it, but without that binary in between:
 * it forks and does not pass signals on, so the node's PID would not be the one we stop.
 */
export function faketimeLibrary(): string | null {
  return FAKETIME_LIBRARIES.find((file) => existsSync(file)) ?? null;
}

/** Settings every node of a {@link TestCluster} gets in its configuration. */
export interface ClusterOptions {
  /**
   * `storage "raft" { snapshot_threshold }`, with `snapshot_interval = 0` so that snapshots come
   * at the threshold alone; the server's defaults when absent.
   */
  readonly snapshotThreshold?: number;
  /** `storage "raft" { trailing_logs }`: entries kept behind a snapshot; default when absent. */
  readonly trailingLogs?: number;
  /** libfaketime offsets by node id (`{ node3: '-1h' }`), for {@link TestCluster.started}. */
  readonly clockOffsets?: Readonly<Record<string, string>>;
}

/** One server of `sys/storage/raft/configuration`. */
export interface RaftServer {
  readonly node_id: string;
  readonly address: string;
  readonly leader: boolean;
  readonly voter: boolean;
}

export class TestCluster {
  readonly dir: string;
  readonly nodes: TestNode[] = [];
  private readonly caPem: string;
  private readonly ca: CertificateBundle;
  private readonly options: ClusterOptions;
  private readonly paused = new Set<TestNode>();

  private constructor(dir: string, ca: CertificateBundle, options: ClusterOptions) {
    this.dir = dir;
    this.caPem = ca.certPem;
    this.ca = ca;
    this.options = options;
  }

  /**
   * Writes TLS material and configurations for `size` nodes: node1 founds the cluster, the
   * others carry a `retry_join` stanza pointing at node1. Nothing is started.
   */
  /**
   * A cluster of `size` nodes started, initialised on node1 and unsealed everywhere: what most
   * suites need in their `before` hook.
   */
  static async started(
    size: number,
    options: ClusterOptions = {},
  ): Promise<{ cluster: TestCluster; init: InitResult }> {
    const cluster = await TestCluster.create(size, options);
    for (const node of cluster.nodes) node.clockOffset = options.clockOffsets?.[node.id];
    for (const node of cluster.nodes) cluster.start(node);
    const init = await cluster.init(cluster.node('node1'));
    for (const node of cluster.nodes) await cluster.unseal(node, init);
    return { cluster, init };
  }

  static async create(size: number, options: ClusterOptions = {}): Promise<TestCluster> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'coffer-cluster-'));
    const ca = generateCa({ commonName: 'Coffer test cluster CA', now: certificateTime(options) });
    writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
    const cluster = new TestCluster(dir, ca, options);
    for (let n = 1; n <= size; n++) await cluster.addNode(n === 1 ? null : cluster.nodes[0]!);
    return cluster;
  }

  /**
   * Writes TLS material and a configuration for one more node, `node<N+1>`, with free ports and
   * a `retry_join` stanza pointing at `joinVia` (none: it founds a cluster). Nothing is started.
   */
  async addNode(joinVia: TestNode | null): Promise<TestNode> {
    const taken = this.nodes.flatMap((n) => [n.apiPort, n.clusterPort]);
    const ports: number[] = [];
    while (ports.length < 2) {
      const port = await freePort();
      if (!ports.includes(port) && !taken.includes(port)) ports.push(port);
    }
    const id = `node${this.nodes.length + 1}`;
    const cert = issueNodeCertificate(this.ca, { nodeId: id, now: certificateTime(this.options) });
    writeFileSync(path.join(this.dir, `${id}.pem`), cert.certPem);
    writeFileSync(path.join(this.dir, `${id}-key.pem`), cert.keyPem, { mode: 0o600 });
    const [apiPort, clusterPort] = ports as [number, number];
    const node: TestNode = {
      id,
      api: `https://127.0.0.1:${apiPort}`,
      apiPort,
      clusterPort,
      dataDir: path.join(this.dir, id),
      configFile: path.join(this.dir, `${id}.hcl`),
      logFile: path.join(this.dir, `${id}.log`),
      process: null,
    };
    this.nodes.push(node);
    this.setJoinTarget(node, joinVia);
    return node;
  }

  /**
   * Rewrites `node`'s configuration so that, started with an empty data directory, it joins
   * through `joinVia` (none: it founds a cluster). Takes effect at its next start.
   */
  setJoinTarget(node: TestNode, joinVia: TestNode | null): void {
    const caFile = path.join(this.dir, 'ca.pem');
    const certFile = path.join(this.dir, `${node.id}.pem`);
    const keyFile = path.join(this.dir, `${node.id}-key.pem`);
    const join =
      joinVia === null
        ? ''
        : `retry_join {\n    leader_api_addr = "${joinVia.api}"\n` +
          `    leader_ca_cert_file = "${caFile}"\n  }`;
    const threshold =
      this.options.snapshotThreshold === undefined
        ? ''
        : `  snapshot_threshold = ${this.options.snapshotThreshold}\n  snapshot_interval = 0\n`;
    const trailing =
      this.options.trailingLogs === undefined
        ? ''
        : `  trailing_logs = ${this.options.trailingLogs}\n`;
    writeFileSync(
      node.configFile,
      [
        `storage "raft" {\n  path = "${node.dataDir}"\n  node_id = "${node.id}"\n` +
          `${threshold}${trailing}  ${join}\n}`,
        `listener "tcp" {\n  address = "127.0.0.1:${node.apiPort}"`,
        `  cluster_address = "127.0.0.1:${node.clusterPort}"`,
        `  tls_cert_file = "${certFile}"\n  tls_key_file = "${keyFile}"\n}`,
        `cluster_tls {\n  ca_file = "${caFile}"\n  cert_file = "${certFile}"`,
        `  key_file = "${keyFile}"\n}`,
        `api_addr = "${node.api}"`,
        `cluster_addr = "https://127.0.0.1:${node.clusterPort}"`,
        `pid_file = "${path.join(node.dataDir, 'coffer.pid')}"`,
        `log_level = "info"`,
        '',
      ].join('\n'),
    );
  }

  node(id: string): TestNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /**
   * Starts `node`'s server process, its output appended to its log file; with a
   * {@link TestNode.clockOffset}, under libfaketime (only the wall clock moves: the monotonic
   * clock stays true, as it does on a host whose clock was set wrong).
   */
  start(node: TestNode): void {
    let env: NodeJS.ProcessEnv = process.env;
    if (node.clockOffset !== undefined) {
      const library = faketimeLibrary();
      if (library === null) throw new Error('libfaketime is not installed (apt install faketime)');
      env = {
        ...process.env,
        LD_PRELOAD: library,
        FAKETIME: node.clockOffset,
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
        FAKETIME_DONT_RESET: '1',
      };
    }
    const log = openSync(node.logFile, 'a');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'server', `-config=${node.configFile}`],
      { cwd: ROOT, stdio: ['ignore', log, log], env },
    );
    closeSync(log);
    node.process = child;
  }

  /** Sends `signal` to `node`'s process and waits until it has exited; returns its exit code. */
  async kill(node: TestNode, signal: NodeJS.Signals): Promise<number | null> {
    const child = node.process;
    if (child === null) return null;
    node.process = null;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
    });
    process.kill(child.pid!, signal);
    // A stopped process takes no signal but SIGKILL until it runs again.
    if (this.paused.delete(node)) process.kill(child.pid!, 'SIGCONT');
    return exited;
  }

  /** Freezes `node`'s process (SIGSTOP): it keeps its sockets but answers nothing. */
  pause(node: TestNode): void {
    if (node.process === null) throw new Error(`${node.id} is not running`);
    process.kill(node.process.pid!, 'SIGSTOP');
    this.paused.add(node);
  }

  /** Lets a {@link TestCluster.pause paused} process run again (SIGCONT). */
  resume(node: TestNode): void {
    if (!this.paused.delete(node) || node.process === null) return;
    process.kill(node.process.pid!, 'SIGCONT');
  }

  /**
   * Waits until `node`'s process exits on its own and returns its exit code; throws (leaving
   * the process running) when it is still up after `timeoutMs`.
   */
  async waitExit(node: TestNode, timeoutMs: number): Promise<number | null> {
    const child = node.process;
    if (child === null) throw new Error(`${node.id} was not started`);
    if (child.exitCode === null && child.signalCode === null) {
      let timer: NodeJS.Timeout | undefined;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${node.id} still runs after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      await Promise.race([exited, late]).finally(() => clearTimeout(timer));
    }
    node.process = null;
    return child.exitCode;
  }

  /** Deletes `node`'s data directory; the node must not be running. */
  wipe(node: TestNode): void {
    if (node.process !== null) throw new Error(`${node.id} still runs`);
    rmSync(node.dataDir, { recursive: true, force: true });
  }

  /** Every JSON line of `node`'s log, parsed (other lines are skipped). */
  logRecords(node: TestNode): Array<Record<string, unknown>> {
    let text: string;
    try {
      text = readFileSync(node.logFile, 'utf8');
    } catch {
      return [];
    }
    const records: Array<Record<string, unknown>> = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        records.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line cut short by a kill; the rest of the log is still worth reading.
      }
    }
    return records;
  }

  /** Kills every process still running (by PID) and removes the directory. */
  async destroy(): Promise<void> {
    for (const node of this.nodes) {
      if (node.process === null) continue;
      const child = node.process;
      const stopped = this.kill(node, 'SIGTERM');
      const timer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), 10_000);
      await stopped;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** `sys/storage/raft/configuration` as `node` reports it (linearizable: needs a leader). */
  async configuration(node: TestNode, token: string): Promise<RaftServer[]> {
    const res = await this.api(node, 'GET', '/v1/sys/storage/raft/configuration', { token });
    if (res.status !== 200) throw new Error(`${node.id} configuration answered ${res.status}`);
    const data = res.body?.data as { config?: { servers?: RaftServer[] } } | undefined;
    return data?.config?.servers ?? [];
  }

  /** `sys/storage/raft/remove-peer` for `serverId`, sent to `node`. */
  removePeer(node: TestNode, token: string, serverId: string): Promise<ApiAnswer> {
    return this.api(node, 'PUT', '/v1/sys/storage/raft/remove-peer', {
      body: { server_id: serverId },
      token,
    });
  }

  /** Waits until every node in `among` names the same leader, one of them; returns it. */
  async agreedLeader(among: readonly TestNode[], timeoutMs = 30_000): Promise<TestNode> {
    return waitFor(
      `${among.map((n) => n.id).join(', ')} to agree on a leader`,
      async () => {
        const seen = await Promise.all(among.map((n) => this.leaderSeenBy(n)));
        const first = seen[0];
        const agreed = first != null && seen.every((l) => l === first) && among.includes(first);
        return agreed ? first : null;
      },
      timeoutMs,
    );
  }

  /** Waits until every node in `among` has applied what their leader had committed at the call. */
  async waitApplied(among: readonly TestNode[], timeoutMs = 30_000): Promise<void> {
    const indexes = async (node: TestNode) => {
      const res = await this.api(node, 'GET', '/v1/sys/leader', { timeoutMs: 5_000 });
      return {
        committed: Number(res.body?.raft_committed_index),
        applied: Number(res.body?.raft_applied_index),
        isSelf: res.body?.is_self === true,
      };
    };
    const target = await waitFor(
      'the leader commit index',
      async () => {
        for (const node of among) {
          const seen = await indexes(node);
          if (seen.isSelf) return seen.committed;
        }
        return null;
      },
      timeoutMs,
    );
    for (const node of among) {
      const applied = async () => (await indexes(node)).applied >= target;
      await waitFor(`${node.id} to apply index ${target}`, applied, timeoutMs);
    }
  }

  /** The last `lines` lines of every node's log, for a failing test's output. */
  logTails(lines = 30): string {
    return this.nodes
      .map((node) => {
        let text: string;
        try {
          text = readFileSync(node.logFile, 'utf8');
        } catch {
          text = '(no log)';
        }
        return `--- ${node.id}\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
      })
      .join('\n');
  }

  /** One JSON request to `node`'s API. */
  api(
    node: TestNode,
    method: string,
    urlPath: string,
    options: { body?: unknown; token?: string; timeoutMs?: number } = {},
  ): Promise<ApiAnswer> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (options.token !== undefined) headers['x-vault-token'] = options.token;
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${node.api}${urlPath}`,
        { method, ca: this.caPem, headers, timeout: options.timeoutMs ?? 15_000, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: Record<string, unknown> | null;
            try {
              body = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
            } catch {
              body = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  sealStatus(node: TestNode): Promise<{ initialized: boolean; sealed: boolean }> {
    return sealStatusThrough(this, node);
  }

  /** Initialises through `node` with 5 shares, threshold 3. */
  init(node: TestNode): Promise<InitResult> {
    return initThrough(this, node);
  }

  /** Waits until `node` knows the seal (a joiner: holds a challenge), then unseals it. */
  unseal(node: TestNode, init: InitResult): Promise<void> {
    return unsealThrough(this, node, init);
  }

  /** The node `node` reports as leader, or null while it knows none. */
  async leaderSeenBy(node: TestNode): Promise<TestNode | null> {
    const res = await this.api(node, 'GET', '/v1/sys/leader', { timeoutMs: 5_000 });
    const address = res.body?.leader_address;
    return this.nodes.find((n) => n.api === address) ?? null;
  }

  /** Writes `value` at KV v2 `secret/<key>` through `node`; true when acknowledged. */
  async writeSecret(node: TestNode, token: string, key: string, value: string): Promise<boolean> {
    const res = await this.api(node, 'POST', `/v1/secret/data/${key}`, {
      body: { data: { value } },
      token,
    });
    return res.status === 200;
  }

  /** The value at KV v2 `secret/<key>` read through `node`, or null when it has none. */
  async readSecret(node: TestNode, token: string, key: string): Promise<string | null> {
    const res = await this.api(node, 'GET', `/v1/secret/data/${key}`, { token });
    if (res.status === 404) return null;
    if (res.status !== 200) throw new Error(`${node.id} read answered ${res.status}`);
    const data = (res.body?.data as { data?: { value?: string } } | undefined)?.data;
    return data?.value ?? null;
  }
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The API call the seal helpers below need; both test cluster classes have one. */
export interface ApiCaller<N extends TestNode> {
  /** A shorter bound for seal-status probes (the partition suite's nodes may be cut off). */
  readonly sealStatusTimeoutMs?: number;
  api(
    node: N,
    method: string,
    urlPath: string,
    options?: { body?: unknown; token?: string; timeoutMs?: number },
  ): Promise<ApiAnswer>;
}

export async function sealStatusThrough<N extends TestNode>(
  c: ApiCaller<N>,
  node: N,
): Promise<{ initialized: boolean; sealed: boolean }> {
  const res = await c.api(node, 'GET', '/v1/sys/seal-status', { timeoutMs: c.sealStatusTimeoutMs });
  if (res.status !== 200) throw new Error(`${node.id} seal-status answered ${res.status}`);
  return { initialized: res.body?.initialized === true, sealed: res.body?.sealed === true };
}

/** Initialises through `node` with 5 shares, threshold 3. */
export async function initThrough<N extends TestNode>(c: ApiCaller<N>, node: N): Promise<InitResult> {
  await waitFor(`${node.id} to answer`, () => sealStatusThrough(c, node));
  const res = await c.api(node, 'PUT', '/v1/sys/init', {
    body: { secret_shares: 5, secret_threshold: 3 },
  });
  if (res.status !== 200) {
    throw new Error(`init answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body as unknown as InitResult;
}

/** Waits until `node` knows the seal (a joiner: holds a challenge), then unseals it. */
export async function unsealThrough<N extends TestNode>(
  c: ApiCaller<N>,
  node: N,
  init: InitResult,
): Promise<void> {
  const known = async () => (await sealStatusThrough(c, node)).initialized;
  await waitFor(`${node.id} to know the seal`, known);
  await waitFor(`${node.id} to unseal`, async () => {
    if (!(await sealStatusThrough(c, node)).sealed) return true;
    await c.api(node, 'PUT', '/v1/sys/unseal', { body: { reset: true } });
    for (const key of init.keys_base64.slice(0, 3)) {
      const body = { key };
      const res = await c.api(node, 'PUT', '/v1/sys/unseal', { body, timeoutMs: 60_000 });
      if (res.status !== 200) throw new Error(`unseal answered ${res.status}`);
    }
    return !(await sealStatusThrough(c, node)).sealed;
  });
}
