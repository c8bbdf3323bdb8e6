/**
 * Real Coffer clusters for the partition tests: like {@link TestCluster} in support.ts, each node
 * is a `coffer server` process with its data, configuration, TLS material and log under one
 * temporary directory, but every node owns a loopback address of its own (127.0.0.2, .3, .4;
 * Linux routes all of 127.0.0.0/8 on `lo`) for its API and cluster listeners. The transport dials
 * peers from the node's cluster address too (`WsTransport` `localAddress`), so packets between
 * two nodes carry both nodes' addresses and partition-firewall.ts can cut single links.
 *
 * The test client talks to the nodes from 127.0.0.1, which no cut touches. Every process is
 * tracked by PID; {@link LoopbackCluster.destroy} kills what is left and removes the directory.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateCa, issueNodeCertificate } from '../../src/util/tls.js';
import {
  initThrough,
  sealStatusThrough,
  unsealThrough,
  waitFor,
  type ApiAnswer,
  type InitResult,
  type TestNode,
} from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

/** The loopback addresses of the three nodes, node1 first. */
export const PARTITION_HOSTS: readonly string[] = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** A node of a {@link LoopbackCluster}: a {@link TestNode} with the address it owns. */
export interface HostNode extends TestNode {
  readonly host: string;
}

/** What `sys/leader` on one node says. */
export interface LeaderView {
  readonly isSelf: boolean;
  /** The node it names as leader, or null while it knows none. */
  readonly leader: HostNode | null;
  readonly committed: number;
  readonly applied: number;
}

/** A port the OS just handed out on `host`, free again once this resolves. */
export function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class LoopbackCluster {
  readonly nodes: HostNode[] = [];

  private constructor(
    readonly dir: string,
    private readonly caPem: string,
  ) {}

  /**
   * Writes TLS material (each certificate names its node's address) and configurations for one
   * node per host: node1 founds the cluster, the others `retry_join` through it. Nothing starts.
   */
  static async create(hosts: readonly string[] = PARTITION_HOSTS): Promise<LoopbackCluster> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'coffer-partition-'));
    const ca = generateCa({ commonName: 'Coffer partition test CA' });
    const caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, ca.certPem);
    const cluster = new LoopbackCluster(dir, ca.certPem);

    for (const [i, host] of hosts.entries()) {
      const id = `node${i + 1}`;
      const cert = issueNodeCertificate(ca, { nodeId: id, subjectAltNames: [host] });
      const certFile = path.join(dir, `${id}.pem`);
      const keyFile = path.join(dir, `${id}-key.pem`);
      writeFileSync(certFile, cert.certPem);
      writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
      const apiPort = await freePortOn(host);
      let clusterPort = await freePortOn(host);
      while (clusterPort === apiPort) clusterPort = await freePortOn(host);
      const node: HostNode = {
        id,
        host,
        api: `https://${host}:${apiPort}`,
        apiPort,
        clusterPort,
        dataDir: path.join(dir, id),
        configFile: path.join(dir, `${id}.hcl`),
        logFile: path.join(dir, `${id}.log`),
        process: null,
      };
      const founder = cluster.nodes[0];
      const join =
        founder === undefined
          ? ''
          : `retry_join {\n    leader_api_addr = "${founder.api}"\n` +
            `    leader_ca_cert_file = "${caFile}"\n  }`;
      writeFileSync(
        node.configFile,
        [
          `storage "raft" {\n  path = "${node.dataDir}"\n  node_id = "${id}"\n  ${join}\n}`,
          `listener "tcp" {\n  address = "${host}:${apiPort}"`,
          `  cluster_address = "${host}:${clusterPort}"`,
          `  tls_cert_file = "${certFile}"\n  tls_key_file = "${keyFile}"\n}`,
          `cluster_tls {\n  ca_file = "${caFile}"\n  cert_file = "${certFile}"`,
          `  key_file = "${keyFile}"\n}`,
          `api_addr = "${node.api}"`,
          `cluster_addr = "https://${host}:${clusterPort}"`,
          `pid_file = "${path.join(node.dataDir, 'coffer.pid')}"`,
          `log_level = "info"`,
          '',
        ].join('\n'),
      );
      cluster.nodes.push(node);
    }
    return cluster;
  }

  /** Starts every node, initialises through node1 and unseals them all; returns the init. */
  async startAll(): Promise<InitResult> {
    for (const node of this.nodes) this.start(node);
    const init = await this.init(this.nodes[0]!);
    for (const node of this.nodes) await this.unseal(node, init);
    return init;
  }

  /** Starts `node`'s server process, its output appended to its log file. */
  start(node: HostNode): void {
    const log = openSync(node.logFile, 'a');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'server', `-config=${node.configFile}`],
      { cwd: ROOT, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    node.process = child;
  }

  /** Stops every process still running (by PID; SIGKILL after 10 s) and removes the directory. */
  async destroy(): Promise<void> {
    for (const node of this.nodes) {
      const child = node.process;
      node.process = null;
      if (child === null || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last `lines` lines of every node's log, for a failing test's output. */
  logTails(lines = 40): string {
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

  /**
   * One JSON request to `node`'s API. Rejects on a network error, or when no complete answer
   * came within `timeoutMs` (default 15 s) of sending.
   */
  api(
    node: HostNode,
    method: string,
    urlPath: string,
    options: { body?: unknown; token?: string; timeoutMs?: number } = {},
  ): Promise<ApiAnswer> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (options.token !== undefined) headers['x-vault-token'] = options.token;
    const timeoutMs = options.timeoutMs ?? 15_000;
    return new Promise<ApiAnswer>((resolve, reject) => {
      const req = https.request(
        `${node.api}${urlPath}`,
        { method, ca: this.caPem, headers, agent: false },
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
      const timer = setTimeout(
        () => req.destroy(new Error(`${method} ${urlPath} to ${node.id} timed out`)),
        timeoutMs,
      );
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      req.end(payload);
    });
  }

  readonly sealStatusTimeoutMs = 5_000;

  sealStatus(node: HostNode): Promise<{ initialized: boolean; sealed: boolean }> {
    return sealStatusThrough(this, node);
  }

  /** Initialises through `node` with 5 shares, threshold 3. */
  init(node: HostNode): Promise<InitResult> {
    return initThrough(this, node);
  }

  /** Waits until `node` knows the seal (a joiner: holds a challenge), then unseals it. */
  unseal(node: HostNode, init: InitResult): Promise<void> {
    return unsealThrough(this, node, init);
  }

  /** `sys/leader` as `node` reports it. */
  async leaderView(node: HostNode): Promise<LeaderView> {
    const res = await this.api(node, 'GET', '/v1/sys/leader', { timeoutMs: 5_000 });
    if (res.status !== 200) throw new Error(`${node.id} sys/leader answered ${res.status}`);
    const address = res.body?.leader_address;
    return {
      isSelf: res.body?.is_self === true,
      leader: this.nodes.find((n) => n.api === address) ?? null,
      committed: Number(res.body?.raft_committed_index),
      applied: Number(res.body?.raft_applied_index),
    };
  }

  /** Waits until every node in `among` names the same leader, one of them; returns it. */
  async agreedLeader(among: readonly HostNode[], timeoutMs = 30_000): Promise<HostNode> {
    return waitFor(
      `${among.map((n) => n.id).join(', ')} to agree on a leader among them`,
      async () => {
        const seen = await Promise.all(among.map((n) => this.leaderView(n)));
        const first = seen[0]?.leader ?? null;
        const agreed = first !== null && seen.every((v) => v.leader === first);
        return agreed && among.includes(first) ? first : null;
      },
      timeoutMs,
    );
  }

  /** Waits until every node has applied what the leader had committed when this was called. */
  async waitAllApplied(timeoutMs = 20_000): Promise<void> {
    const target = await waitFor(
      'the leader commit index',
      async () => {
        for (const node of this.nodes) {
          const view = await this.leaderView(node);
          if (view.isSelf) return view.committed;
        }
        return null;
      },
      timeoutMs,
    );
    for (const node of this.nodes) {
      const applied = async () => (await this.leaderView(node)).applied >= target;
      await waitFor(`${node.id} to apply index ${target}`, applied, timeoutMs);
    }
  }

  /** Writes `value` at KV v2 `secret/<key>` through `node` and returns the answer as it is. */
  writeSecret(
    node: HostNode,
    token: string,
    key: string,
    value: string,
    timeoutMs?: number,
  ): Promise<ApiAnswer> {
    const body = { data: { value } };
    return this.api(node, 'POST', `/v1/secret/data/${key}`, { body, token, timeoutMs });
  }

  /** The value at KV v2 `secret/<key>` read through `node`, or null when it has none. */
  async readSecret(node: HostNode, token: string, key: string): Promise<string | null> {
    const res = await this.api(node, 'GET', `/v1/secret/data/${key}`, { token });
    if (res.status === 404) return null;
    if (res.status !== 200) throw new Error(`${node.id} read of ${key} answered ${res.status}`);
    const data = (res.body?.data as { data?: { value?: string } } | undefined)?.data;
    return data?.value ?? null;
  }
}
