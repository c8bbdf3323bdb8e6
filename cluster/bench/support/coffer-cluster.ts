/**
 * A three-node Coffer cluster on 127.0.0.1 for the side-by-side benchmark, set up as an operator
 * would (the same steps as cluster/local.ts): node configs like cluster/node{1,2,3}.hcl but with
 * free ports, data under a temporary directory and `tls_disable = true` on the API listener
 * (node-to-node traffic keeps its mutual TLS, from a CA made here); node1 founds the cluster,
 * node2 and node3 join it through `retry_join`; node1 is initialised, every node is unsealed with
 * three of five shares, and the cluster is ready once all three answer `sys/health?standbyok`.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateCa, issueNodeCertificate } from '../../../src/util/tls.js';
import { forEachConcurrently, freePorts, pollFor, requestJson, waitFor } from './http-json.js';
import type { ProcessGroup, ServerProcess } from './processes.js';
import { BenchError } from './processes.js';

/**
 * `storage "raft" { snapshot_interval }` for every node when SNAPSHOT_INTERVAL is set (such as
 * "0", to snapshot at the threshold alone); the server's default otherwise.
 */
const SNAPSHOT_INTERVAL = process.env['SNAPSHOT_INTERVAL'];

export interface CofferNode {
  readonly id: string;
  readonly apiUrl: string;
  readonly configFile: string;
  readonly process: ServerProcess;
}

export interface CofferCluster {
  readonly nodes: readonly CofferNode[];
  /** The API URL of the active node (`sys/leader`) once the cluster was healthy. */
  readonly leaderUrl: string;
  readonly rootToken: string;
  /** The version `sys/seal-status` reports. */
  readonly version: string;
}

interface InitResponse {
  keys_base64: string[];
  root_token: string;
}

/**
 * Runs `npm run build` when dist/cli/main.js is missing or older than a file under src/, so the
 * benchmark never measures a stale build.
 *
 * @throws BenchError when the build fails or leaves no dist/cli/main.js.
 */
export async function ensureCofferBuilt(group: ProcessGroup, root: string): Promise<string> {
  const entry = path.join(root, 'dist', 'cli', 'main.js');
  if (existsSync(entry) && newestMtimeMs(path.join(root, 'src')) <= statSync(entry).mtimeMs) {
    return entry;
  }
  console.log('building Coffer (npm run build) ...');
  const build = await group.run('npm run build', 'npm', ['run', 'build'], {
    cwd: root,
    timeoutMs: 300_000,
  });
  if (build.code !== 0 || build.timedOut) {
    const output = `${build.stdout}\n${build.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new BenchError(`npm run build failed${build.timedOut ? ' (timed out)' : ''}:\n${output}`);
  }
  if (!existsSync(entry)) {
    throw new BenchError(`npm run build succeeded but produced no ${path.relative(root, entry)}`);
  }
  return entry;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs;
    newest = Math.max(newest, mtime);
  }
  return newest;
}

/**
 * Writes TLS material and three node configs into `dir`, starts `node <entry> server -config=...`
 * for each, then initialises, unseals and waits as described above.
 *
 * `execArgv` goes to node before `entry` (e.g. `--import tsx` to run from source, `--cpu-prof`).
 *
 * @throws WaitTimeoutError when a step takes longer than `timeoutMs`; BenchError when a node
 * exits or an API call gives an unexpected answer. The nodes keep running until the group is
 * stopped.
 */
export async function startCofferCluster(
  group: ProcessGroup,
  root: string,
  entry: string,
  dir: string,
  timeoutMs: number,
  execArgv: readonly string[] = [],
): Promise<CofferCluster> {
  const layout = await writeConfigs(dir);
  const nodes: CofferNode[] = layout.map((node) => ({
    ...node,
    process: group.startServer({
      name: node.id,
      command: process.execPath,
      args: [...execArgv, entry, 'server', `-config=${node.configFile}`],
      logFile: path.join(dir, `${node.id}.log`),
      cwd: root,
    }),
  }));

  const founder = nodes[0]!;
  const answers = async (): Promise<boolean> => (await sealStatus(founder)) !== null;
  await waitFor(`${founder.id} to answer`, answers, timeoutMs);
  const init = await requestJson(`${founder.apiUrl}/v1/sys/init`, {
    method: 'PUT',
    body: { secret_shares: 5, secret_threshold: 3 },
  });
  if (init.status !== 200 || init.body === null) {
    throw new BenchError(`sys/init on ${founder.id} answered ${init.status}: ${init.text}`);
  }
  const { keys_base64: keys, root_token: rootToken } = init.body as unknown as InitResponse;

  // The joining nodes need the shares to answer the leader's join challenge, so each is unsealed
  // in turn, retrying while its retry_join has not reached the leader yet.
  for (const node of nodes) {
    await waitFor(`${node.id} to unseal`, () => unseal(node, keys.slice(0, 3)), timeoutMs, 500);
  }
  for (const node of nodes) {
    await waitFor(
      `${node.id} to report healthy`,
      async () => {
        assertRunning(node);
        const res = await requestJson(`${node.apiUrl}/v1/sys/health?standbyok=true`);
        return res.status === 200;
      },
      timeoutMs,
    );
  }

  const leaderUrl = await pollFor(
    'a Coffer node to report itself active',
    async () => {
      for (const node of nodes) {
        const res = await requestJson(`${node.apiUrl}/v1/sys/leader`);
        if (res.status === 200 && res.body?.['is_self'] === true) return node.apiUrl;
      }
      return null;
    },
    timeoutMs,
  );
  const status = await sealStatus(founder);
  return { nodes, leaderUrl, rootToken, version: String(status?.['version'] ?? 'unknown') };
}

/** Generates the CA and node certificates and writes node1..3.hcl; returns ids, URLs, files. */
async function writeConfigs(dir: string): Promise<Omit<CofferNode, 'process'>[]> {
  const ports = await freePorts(6);
  const tlsDir = path.join(dir, 'tls');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const ca = generateCa({ commonName: 'Coffer benchmark CA' });
  const caFile = path.join(tlsDir, 'ca.pem');
  writeFileSync(caFile, ca.certPem, { mode: 0o644 });

  const ids = ['node1', 'node2', 'node3'];
  const apiUrls = ids.map((_, i) => `http://127.0.0.1:${ports[2 * i]}`);
  return ids.map((id, i) => {
    const cert = issueNodeCertificate(ca, { nodeId: id });
    const certFile = path.join(tlsDir, `${id}.pem`);
    const keyFile = path.join(tlsDir, `${id}-key.pem`);
    writeFileSync(certFile, cert.certPem, { mode: 0o644 });
    writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
    const dataDir = path.join(dir, id);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });

    const q = (s: string): string => JSON.stringify(s);
    const clusterAddress = `127.0.0.1:${ports[2 * i + 1]}`;
    const retryJoin =
      i === 0 ? [] : ['', '  retry_join {', `    leader_api_addr = ${q(apiUrls[0]!)}`, '  }'];
    const config = [
      `# ${id} of the benchmark cluster of cluster/bench/kv-vs-etcd.ts (plain-HTTP API).`,
      'storage "raft" {',
      `  path    = ${q(dataDir)}`,
      `  node_id = ${q(id)}`,
      ...(SNAPSHOT_INTERVAL === undefined ? [] : [`  snapshot_interval = ${q(SNAPSHOT_INTERVAL)}`]),
      ...retryJoin,
      '}',
      '',
      'listener "tcp" {',
      `  address         = ${q(apiUrls[i]!.slice('http://'.length))}`,
      `  cluster_address = ${q(clusterAddress)}`,
      '  tls_disable     = true',
      '}',
      '',
      'cluster_tls {',
      `  ca_file   = ${q(caFile)}`,
      `  cert_file = ${q(certFile)}`,
      `  key_file  = ${q(keyFile)}`,
      '}',
      '',
      `api_addr      = ${q(apiUrls[i]!)}`,
      `cluster_addr  = ${q(`https://${clusterAddress}`)}`,
      `pid_file      = ${q(path.join(dataDir, 'coffer.pid'))}`,
      'log_level     = "info"',
      'disable_mlock = true',
      '',
    ].join('\n');
    const configFile = path.join(dir, `${id}.hcl`);
    writeFileSync(configFile, config, { mode: 0o600 });
    return { id, apiUrl: apiUrls[i]!, configFile };
  });
}

function assertRunning(node: CofferNode): void {
  if (node.process.exited()) {
    const { exitStatus, logFile } = node.process;
    throw new BenchError(`${node.id} exited (${exitStatus()}), see ${logFile}`);
  }
}

async function sealStatus(node: CofferNode): Promise<Record<string, unknown> | null> {
  assertRunning(node);
  const res = await requestJson(`${node.apiUrl}/v1/sys/seal-status`, { timeoutMs: 2000 });
  return res.status === 200 ? res.body : null;
}

/** One unseal attempt from scratch (reset, then each share); true once the node is unsealed. */
async function unseal(node: CofferNode, keys: readonly string[]): Promise<boolean> {
  const status = await sealStatus(node);
  if (status === null) return false;
  if (status['sealed'] === false) return true;
  const url = `${node.apiUrl}/v1/sys/unseal`;
  await requestJson(url, { method: 'PUT', body: { reset: true } });
  for (const key of keys) {
    const res = await requestJson(url, { method: 'PUT', body: { key }, timeoutMs: 15_000 });
    if (res.status !== 200) {
      throw new BenchError(`${node.id} unseal answered ${res.status}: ${res.text}`);
    }
    if (res.body?.['sealed'] === false) return true;
  }
  return false;
}

/**
 * Writes every name in `names` as a KV v2 secret `{ value }` under `mount` through `url`, with up
 * to `concurrency` requests in flight, then reads one back to check that the paths the Lua
 * scripts use hold what was written.
 */
export async function populateCoffer(
  cluster: CofferCluster,
  mount: string,
  names: readonly string[],
  value: string,
  concurrency: number,
): Promise<void> {
  const headers = { 'x-vault-token': cluster.rootToken };
  const dataUrl = (name: string): string => `${cluster.leaderUrl}/v1/${mount}/data/${name}`;
  await forEachConcurrently(names.length, concurrency, async (i) => {
    const res = await requestJson(dataUrl(names[i]!), {
      method: 'POST',
      headers,
      body: { data: { value } },
      timeoutMs: 15_000,
    });
    if (res.status !== 200) {
      throw new BenchError(`Coffer KV write answered ${res.status}: ${res.text}`);
    }
  });
  const check = await requestJson(dataUrl(names[0]!), { headers });
  const data = (check.body?.['data'] as { data?: { value?: unknown } } | undefined)?.data;
  if (check.status !== 200 || data?.value !== value) {
    throw new BenchError(`Coffer did not return the value it was given: ${check.text}`);
  }
}
