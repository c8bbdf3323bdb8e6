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
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateCa, issueNodeCertificate } from '../../src/util/tls.js';

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
}

export class TestCluster {
  readonly dir: string;
  readonly nodes: TestNode[] = [];
  private readonly caPem: string;

  private constructor(dir: string, caPem: string) {
    this.dir = dir;
    this.caPem = caPem;
  }

  /**
   * Writes TLS material and configurations for `size` nodes: node1 founds the cluster, the
   * others carry a `retry_join` stanza pointing at node1. Nothing is started.
   */
  static async create(size: number): Promise<TestCluster> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'coffer-cluster-'));
    const ca = generateCa({ commonName: 'Coffer test cluster CA' });
    const caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, ca.certPem);
    const cluster = new TestCluster(dir, ca.certPem);

    const ports: number[] = [];
    while (ports.length < size * 2) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    for (let n = 1; n <= size; n++) {
      const id = `node${n}`;
      const cert = issueNodeCertificate(ca, { nodeId: id });
      const certFile = path.join(dir, `${id}.pem`);
      const keyFile = path.join(dir, `${id}-key.pem`);
      writeFileSync(certFile, cert.certPem);
      writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
      const apiPort = ports[2 * n - 2]!;
      const clusterPort = ports[2 * n - 1]!;
      const dataDir = path.join(dir, id);
      const node: TestNode = {
        id,
        api: `https://127.0.0.1:${apiPort}`,
        apiPort,
        clusterPort,
        dataDir,
        configFile: path.join(dir, `${id}.hcl`),
        logFile: path.join(dir, `${id}.log`),
        process: null,
      };
      const join =
        n === 1
          ? ''
          : `retry_join {\n    leader_api_addr = "${cluster.nodes[0]!.api}"\n` +
            `    leader_ca_cert_file = "${caFile}"\n  }`;
      writeFileSync(
        node.configFile,
        [
          `storage "raft" {\n  path = "${dataDir}"\n  node_id = "${id}"\n  ${join}\n}`,
          `listener "tcp" {\n  address = "127.0.0.1:${apiPort}"`,
          `  cluster_address = "127.0.0.1:${clusterPort}"`,
          `  tls_cert_file = "${certFile}"\n  tls_key_file = "${keyFile}"\n}`,
          `cluster_tls {\n  ca_file = "${caFile}"\n  cert_file = "${certFile}"`,
          `  key_file = "${keyFile}"\n}`,
          `api_addr = "${node.api}"`,
          `cluster_addr = "https://127.0.0.1:${clusterPort}"`,
          `pid_file = "${path.join(dataDir, 'coffer.pid')}"`,
          `log_level = "info"`,
          '',
        ].join('\n'),
      );
      cluster.nodes.push(node);
    }
    return cluster;
  }

  node(id: string): TestNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Starts `node`'s server process, its output appended to its log file. */
  start(node: TestNode): void {
    const log = openSync(node.logFile, 'a');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'server', `-config=${node.configFile}`],
      { cwd: ROOT, stdio: ['ignore', log, log] },
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
    return exited;
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

  async sealStatus(node: TestNode): Promise<{ initialized: boolean; sealed: boolean }> {
    const res = await this.api(node, 'GET', '/v1/sys/seal-status');
    if (res.status !== 200) throw new Error(`${node.id} seal-status answered ${res.status}`);
    return { initialized: res.body?.initialized === true, sealed: res.body?.sealed === true };
  }

  /** Initialises through `node` with 5 shares, threshold 3. */
  async init(node: TestNode): Promise<InitResult> {
    await waitFor(`${node.id} to answer`, () => this.sealStatus(node));
    const res = await this.api(node, 'PUT', '/v1/sys/init', {
      body: { secret_shares: 5, secret_threshold: 3 },
    });
    if (res.status !== 200) {
      throw new Error(`init answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.body as unknown as InitResult;
  }

  /** Waits until `node` knows the seal (a joiner: holds a challenge), then unseals it. */
  async unseal(node: TestNode, init: InitResult): Promise<void> {
    const known = async () => (await this.sealStatus(node)).initialized;
    await waitFor(`${node.id} to know the seal`, known);
    await waitFor(`${node.id} to unseal`, async () => {
      if (!(await this.sealStatus(node)).sealed) return true;
      await this.api(node, 'PUT', '/v1/sys/unseal', { body: { reset: true } });
      for (const key of init.keys_base64.slice(0, 3)) {
        const body = { key };
        const res = await this.api(node, 'PUT', '/v1/sys/unseal', { body, timeoutMs: 60_000 });
        if (res.status !== 200) throw new Error(`unseal answered ${res.status}`);
      }
      return !(await this.sealStatus(node)).sealed;
    });
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
