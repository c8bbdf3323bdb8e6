/**
 * The local three-node cluster behind `make run` and `make stop` (DESIGN.md, "Local cluster
 * contract"). `run` creates the TLS material in data/tls on first use, starts the three servers
 * configured by cluster/node{1,2,3}.hcl, initialises node1 (first run only), unseals every node
 * with the keys in data/init.json (the other two join node1 through their retry_join stanzas),
 * and returns once all three report healthy. `stop` stops them by the PIDs in their pid files.
 *
 * It talks to the servers only through the Vault HTTP API, as an operator would.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCa, issueNodeCertificate } from '../src/util/tls.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, 'data');
const tlsDir = path.join(dataDir, 'tls');
const NODES = [1, 2, 3].map((n) => ({
  id: `node${n}`,
  config: path.join(root, 'cluster', `node${n}.hcl`),
  dir: path.join(dataDir, `node${n}`),
  api: `https://127.0.0.1:${8190 + n * 10}`,
}));
type LocalNode = (typeof NODES)[number];
const STARTUP_TIMEOUT_MS = 60_000;

interface InitFile {
  keys: string[];
  keys_base64: string[];
  root_token: string;
}

// -------------------------------------------------------------------------------------------------
// HTTP

interface ApiResponse {
  status: number;
  body: Record<string, unknown> | null;
}

function api(
  base: string,
  method: string,
  urlPath: string,
  body?: unknown,
  token?: string,
  timeoutMs = 5000,
): Promise<ApiResponse> {
  const ca = readFileSync(path.join(tlsDir, 'ca.pem'));
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${base}${urlPath}`,
      {
        method,
        ca,
        timeout: timeoutMs,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token !== undefined ? { 'x-vault-token': token } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> | null;
          try {
            parsed = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            parsed = { raw: text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${base}${urlPath} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls `probe` until it returns true or the deadline passes. */
async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = STARTUP_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
}

// -------------------------------------------------------------------------------------------------
// Steps

function ensureTls(): void {
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  if (existsSync(path.join(tlsDir, 'ca.pem'))) return;
  const ca = generateCa({ commonName: 'Coffer local cluster CA' });
  writeFileSync(path.join(tlsDir, 'ca.pem'), ca.certPem, { mode: 0o644 });
  writeFileSync(path.join(tlsDir, 'ca-key.pem'), ca.keyPem, { mode: 0o600 });
  for (const node of NODES) {
    const cert = issueNodeCertificate(ca, { nodeId: node.id });
    writeFileSync(path.join(tlsDir, `${node.id}.pem`), cert.certPem, { mode: 0o644 });
    writeFileSync(path.join(tlsDir, `${node.id}-key.pem`), cert.keyPem, { mode: 0o600 });
  }
  console.log(`created a local CA and node certificates in ${path.relative(root, tlsDir)}/`);
}

function pidOf(node: LocalNode): number | null {
  const file = path.join(node.dir, 'coffer.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function startNode(node: LocalNode): void {
  mkdirSync(node.dir, { recursive: true, mode: 0o700 });
  if (pidOf(node) !== null) {
    console.log(`${node.id} is already running (pid ${pidOf(node)})`);
    return;
  }
  const log = openSync(path.join(node.dir, 'coffer.log'), 'a', 0o600);
  const main = path.join(root, 'dist', 'cli', 'main.js');
  const child = spawn(process.execPath, [main, 'server', `-config=${node.config}`], {
    detached: true,
    stdio: ['ignore', log, log],
    cwd: root,
  });
  child.unref();
  const logPath = path.relative(root, path.join(node.dir, 'coffer.log'));
  console.log(`started ${node.id} (pid ${child.pid}), log in ${logPath}`);
}

async function sealStatus(node: LocalNode): Promise<{ initialized: boolean; sealed: boolean }> {
  const res = await api(node.api, 'GET', '/v1/sys/seal-status');
  if (res.status !== 200 || res.body === null) {
    throw new Error(`${node.id} seal-status answered ${res.status}`);
  }
  return { initialized: res.body['initialized'] === true, sealed: res.body['sealed'] === true };
}

/** Time an unseal may take: on a joining node it includes joining and catching up. */
const UNSEAL_TIMEOUT_MS = 60_000;

/**
 * Unseals `node` with the first threshold of keys. A failed attempt (a joining node that could not
 * reach the leader yet) is abandoned with a reset and tried again until the deadline.
 */
async function unseal(node: LocalNode, init: InitFile): Promise<void> {
  await waitFor(`${node.id} to be unsealed`, async () => {
    if (!(await sealStatus(node)).sealed) return true;
    await api(node.api, 'PUT', '/v1/sys/unseal', { reset: true });
    for (const key of init.keys_base64) {
      const body = { key };
      const res = await api(node.api, 'PUT', '/v1/sys/unseal', body, undefined, UNSEAL_TIMEOUT_MS);
      if (res.status !== 200) {
        throw new Error(`${node.id} unseal answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
      if (res.body?.['sealed'] === false) return true;
    }
    return !(await sealStatus(node)).sealed;
  });
}

/** The cluster's voters, as the leader reports them. */
async function voters(base: string, token: string): Promise<string[]> {
  const res = await api(base, 'GET', '/v1/sys/storage/raft/configuration', undefined, token);
  if (res.status !== 200) throw new Error(`raft configuration answered ${res.status}`);
  type Server = { node_id: string; voter: boolean };
  const data = res.body?.['data'] as { config?: { servers?: Server[] } } | undefined;
  return (data?.config?.servers ?? []).filter((s) => s.voter).map((s) => s.node_id);
}

async function run(): Promise<void> {
  ensureTls();
  for (const node of NODES) startNode(node);
  const leader = NODES[0]!;
  await waitFor(`${leader.id} to answer`, async () => (await sealStatus(leader)) !== null);

  const initPath = path.join(dataDir, 'init.json');
  let init: InitFile;
  if (!(await sealStatus(leader)).initialized) {
    const params = { secret_shares: 5, secret_threshold: 3 };
    const res = await api(leader.api, 'PUT', '/v1/sys/init', params);
    if (res.status !== 200 || res.body === null) {
      throw new Error(`init answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    init = res.body as unknown as InitFile;
    writeFileSync(initPath, JSON.stringify(init, null, 2) + '\n', { mode: 0o600 });
    chmodSync(initPath, 0o600);
    const where = path.relative(root, initPath);
    console.log(`initialised the cluster; unseal keys and root token written to ${where}`);
  } else {
    init = JSON.parse(readFileSync(initPath, 'utf8')) as InitFile;
  }

  await unseal(leader, init);
  for (const node of NODES.slice(1)) {
    // A joining node knows the seal (and so is "initialized") once it holds a join challenge.
    const knowsSeal = async () => (await sealStatus(node)).initialized;
    await waitFor(`${node.id} to know the seal`, knowsSeal);
    await unseal(node, init);
  }
  for (const node of NODES) {
    await waitFor(`${node.id} to be healthy`, async () => {
      const res = await api(node.api, 'GET', '/v1/sys/health?standbyok=true');
      return res.status === 200;
    });
  }

  const token = init.root_token;
  await waitFor('three voters', async () => (await voters(leader.api, token)).length === 3);
  // Init mounts KV version 2 at secret/ (src/vault/mount-table.ts); check that it is there.
  const mounts = await api(leader.api, 'GET', '/v1/sys/mounts', undefined, init.root_token);
  type Mount = { type?: string; options?: { version?: string } };
  const secret = mounts.body?.['secret/'] as Mount | undefined;
  if (secret?.type !== 'kv' || secret.options?.version !== '2') {
    throw new Error(`expected KV version 2 at secret/, sys/mounts answered ${mounts.status}`);
  }

  const envPath = path.join(dataDir, 'cluster.env');
  writeFileSync(
    envPath,
    [
      `export VAULT_ADDR=${leader.api}`,
      `export VAULT_CACERT=${path.join(tlsDir, 'ca.pem')}`,
      `export VAULT_TOKEN=${init.root_token}`,
      `export COFFER_NODES=${NODES.map((n) => n.api).join(',')}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  console.log('');
  console.log(`Coffer is running: ${NODES.map((n) => n.api).join(', ')}`);
  console.log(`  address:      ${leader.api}`);
  console.log(`  root token and unseal keys: ${path.relative(root, initPath)}`);
  console.log(`  environment:  source ${path.relative(root, envPath)}`);
  console.log('  stop with:    make stop');
}

async function stop(): Promise<void> {
  for (const node of NODES) {
    const pid = pidOf(node);
    if (pid === null) continue;
    process.kill(pid, 'SIGTERM');
    try {
      await waitFor(`${node.id} (pid ${pid}) to exit`, async () => pidOf(node) === null, 15_000);
    } catch {
      process.kill(pid, 'SIGKILL');
    }
    console.log(`stopped ${node.id} (pid ${pid})`);
  }
}

/** The end of each node's log, for when `run` fails. */
function logTails(): void {
  for (const node of NODES) {
    const file = path.join(node.dir, 'coffer.log');
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-5);
    console.error(`--- ${path.relative(root, file)} (last lines)\n${lines.join('\n')}`);
  }
}

const command = process.argv[2];
if (command === 'run') {
  try {
    await run();
  } catch (err) {
    logTails();
    console.error(`make run failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
else if (command === 'stop') await stop();
else {
  console.error('usage: node --import tsx cluster/local.ts run|stop');
  process.exit(1);
}
