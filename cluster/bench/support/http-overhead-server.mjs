/**
 * One server of cluster/bench/http-overhead.ts, run as a child process with plain `node` (no tsx
 * loader, so no source-map or module-hook cost is measured):
 *
 *   node http-overhead-server.mjs peer <port> <maxLifetimeS>
 *   node http-overhead-server.mjs coffer <port> <maxLifetimeS> <distDir>
 *
 * - `peer`: a bare fastify 5 app with one route, `GET /v1/sys/health`, answering a static object
 *   shaped like Coffer's health report (plus the time).
 * - `coffer`: Coffer's API server (createHttpServer, on the LIST-capable server) in front of a
 *   Core over the in-memory physical store with a one-node cluster control (no Raft), built from
 *   the compiled modules in `distDir`, with the engines, auth methods and pino logger (level info,
 *   secrets redacted) that `coffer server` uses. It starts uninitialised and sealed; the parent
 *   initialises and unseals it over HTTP.
 *
 * Plain JavaScript because Node 20 cannot run TypeScript without a loader. It listens on
 * 127.0.0.1 only, exits on SIGTERM or SIGINT after closing the server (so that `--cpu-prof` gets
 * to write its profile), when its parent goes away, and after `maxLifetimeS` in any case.
 */
import { stderr } from 'node:process';
import process from 'node:process';
import { setInterval, setTimeout } from 'node:timers';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';

const HOST = '127.0.0.1';
/** Time allowed for closing the server before the process exits anyway. */
const CLOSE_GRACE_MS = 5000;

const [mode, portArg, lifetimeArg, distDir] = process.argv.slice(2);
const port = Number(portArg);
const lifetimeS = Number(lifetimeArg);
if (
  (mode !== 'peer' && mode !== 'coffer') ||
  !Number.isInteger(port) ||
  !(lifetimeS > 0) ||
  (mode === 'coffer' && distDir === undefined)
) {
  stderr.write('usage: http-overhead-server.mjs peer|coffer <port> <maxLifetimeS> [distDir]\n');
  process.exit(2);
}

/** A bare fastify app with one GET route, the peer every Coffer figure is divided by. */
async function startPeer() {
  const app = Fastify({ logger: false });
  app.get('/v1/sys/health', async () => ({
    initialized: true,
    sealed: false,
    standby: false,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(Date.now() / 1000),
    version: '0.1.0',
    enterprise: false,
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    cluster_name: 'vault-cluster-bench',
    cluster_id: '00000000-0000-4000-8000-000000000000',
  }));
  await app.listen({ host: HOST, port });
  return () => app.close();
}

/** Coffer's HTTP layer and core over the memory store, as described in the module comment. */
async function startCoffer() {
  const dist = (file) => import(pathToFileURL(path.join(distDir, file)).href);
  const [{ createHttpServer }, { MemoryStore }, { Core, SingleNodeCluster }, backends, logging] =
    await Promise.all([
      dist('http/index.js'),
      dist('physical/index.js'),
      dist('vault/index.js'),
      dist('server/backends.js'),
      dist('server/server-logger.js'),
    ]);
  const log = logging.createServerLogger({ level: 'info', base: { nodeId: 'bench' } });
  const core = new Core({
    physical: new MemoryStore(),
    cluster: new SingleNodeCluster(),
    storageType: 'inmem',
    logger: log.child({ component: 'core' }),
    engines: backends.ENGINES,
    authMethods: backends.AUTH_METHODS,
  });
  const server = createHttpServer({ core, logger: log.child({ component: 'http' }) });
  await server.listen({ host: HOST, port });
  return async () => {
    await server.close();
    core.sealNode();
  };
}

let close = async () => undefined;
let exiting = false;
function exit(code) {
  if (exiting) return;
  exiting = true;
  setTimeout(() => process.exit(code), CLOSE_GRACE_MS).unref();
  close().then(
    () => process.exit(code),
    () => process.exit(code),
  );
}

process.once('SIGTERM', () => exit(0));
process.once('SIGINT', () => exit(0));
setTimeout(() => exit(1), lifetimeS * 1000).unref();
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) exit(1);
}, 1000).unref();

try {
  close = mode === 'peer' ? await startPeer() : await startCoffer();
  stderr.write(`${mode} listening on ${HOST}:${port} (pid ${process.pid})\n`);
} catch (err) {
  stderr.write(`${mode} failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}
