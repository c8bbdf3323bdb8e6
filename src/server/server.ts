/**
 * A Coffer node, wired from its configuration (DESIGN.md "Layers", rank 9): durable Raft storage
 * and state machine under `storage.path`, the mutual-TLS cluster transport on the cluster
 * address, the Raft node and the replicated physical store, the core over them, and an HTTP
 * server per listener.
 *
 * How the node comes into its cluster depends on what its storage holds:
 * - Raft data: it starts its Raft node as it was, and never joins anything again.
 * - nothing, and no `retry_join`: it founds a cluster as its sole voter.
 * - nothing, with `retry_join`: it joins (server-join.ts). Its core serves the challenge's
 *   records from memory until the operator unseals it; the Raft node starts only once the
 *   leader has accepted it.
 *
 * {@link startServer} returns a running node; {@link RunningServer.stop} takes it down in order
 * (joins, HTTP, Raft node, storage), and {@link RunningServer.ended} settles with the exit status
 * the process should end with: 0 after a stop, 1 after the Raft node failed.
 */
import { AUTH_METHODS, ENGINES } from './backends.js';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import type { Logger as PinoLogger } from 'pino';

import { createHttpServer, type HttpServer } from '../http/index.js';
import type { VaultTlsOptions } from '../http/list-method/index.js';
import { LevelStateMachine } from '../physical/state-machine-level.js';
import { RaftPhysicalStore } from '../physical/raft-store.js';
import type { WriteResult } from '../physical/state-machine.js';
import { RaftNode } from '../raft/node/raft-node.js';
import type { NodeMeta } from '../raft/node/types.js';
import { outboundAddressFor, type TransportTls } from '../raft/transport/options.js';
import { WsTransport } from '../raft/transport/ws-transport.js';
import { LevelRaftStorage } from '../storage/level-raft-storage.js';
import { InvalidRequestError } from '../logical/errors.js';
import { Core } from '../vault/core.js';
import type { AuditEnableConfig } from '../audit/types.js';
import type { AuditDeviceConfig, ListenerConfig, ServerConfig } from './config-types.js';
import { hostPort, RaftCluster } from './raft-cluster.js';
import { ServerStartError } from './server-errors.js';
import { JoinCoordinator, type JoinTarget } from './server-join.js';
import { SwitchablePhysicalStore } from './switchable-store.js';

/** Milliseconds per Raft tick at `performance_multiplier` 1; the default multiplier 5 is 100 ms. */
const TICK_MS_PER_MULTIPLIER = 20;

export interface StartServerOptions {
  readonly logger: PinoLogger;
}

export interface RunningServer {
  readonly core: Core;
  readonly cluster: RaftCluster;
  /** The bound API addresses, one per listener, in configuration order. */
  readonly apiAddresses: readonly AddressInfo[];
  /** Settles once the node has ended: 0 after {@link RunningServer.stop}, 1 after a failure. */
  readonly ended: Promise<number>;
  /** Stops everything in order; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the node `config` describes and resolves once its API listens.
 * @throws ServerStartError for a configuration that cannot run (no `cluster_tls`, unreadable
 *   TLS files); storage errors (`CorruptStorageError`) and listener errors (`EADDRINUSE`) as
 *   they come. Whatever was opened is closed again before it throws.
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions,
): Promise<RunningServer> {
  const server = new CofferServer(config, options.logger);
  try {
    await server.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

class CofferServer implements RunningServer {
  readonly core: Core;
  readonly cluster: RaftCluster;
  readonly ended: Promise<number>;
  apiAddresses: AddressInfo[] = [];

  private readonly log: PinoLogger;
  private readonly raftLog: PinoLogger;
  private readonly nodeId: string;
  private readonly meta: NodeMeta;
  private readonly store = new SwitchablePhysicalStore();
  private readonly listener: ListenerConfig;
  private storage: LevelRaftStorage | null = null;
  private stateMachine: LevelStateMachine | null = null;
  private node: RaftNode<WriteResult> | null = null;
  private raftStore: RaftPhysicalStore | null = null;
  private joiner: JoinCoordinator | null = null;
  /** The cluster TLS material of an empty node, until it founds a cluster or joins one. */
  private foundWith: TransportTls | null = null;
  private founding: Promise<void> | null = null;
  private https: HttpServer[] = [];
  private stopping: Promise<void> | null = null;
  private exitCode = 0;
  private settle: (code: number) => void = () => undefined;

  constructor(
    private readonly config: ServerConfig,
    logger: PinoLogger,
  ) {
    // The Raft node binds `nodeId` itself; every other component gets it from here.
    this.raftLog = logger;
    this.nodeId = config.storage.nodeId;
    this.log = logger.child({ nodeId: this.nodeId });
    this.listener = config.listeners[0]!;
    const clusterAddr = hostPort(config.clusterAddr);
    if (clusterAddr === null) throw new ServerStartError('cluster_addr has no host and port');
    this.meta = { clusterAddr, apiAddr: config.apiAddr };
    this.ended = new Promise((resolve) => (this.settle = resolve));
    this.cluster = new RaftCluster({
      nodeId: this.nodeId,
      meta: this.meta,
      logger: this.log.child({ component: 'cluster' }),
    });
    this.core = new Core({
      physical: this.store,
      cluster: this.cluster,
      logger: this.log.child({ component: 'core' }),
      clusterName: config.clusterName,
      engines: ENGINES,
      authMethods: AUTH_METHODS,
      lockout: {
        threshold: config.userLockout.disabled ? Number.MAX_SAFE_INTEGER : config.userLockout.threshold,
        windowMs: config.userLockout.counterResetMs,
        durationMs: config.userLockout.durationMs,
      },
      beforeActivate: (read) => this.joiner?.beforeActivate(read) ?? Promise.resolve(),
      beforeInitialize: () => this.foundOnInit(),
      configuredAudit: config.audit.map(auditEnableConfig),
    });
    this.cluster.setJoinAuthority(this.core);
  }

  async start(): Promise<void> {
    const { storage, clusterTls } = this.config;
    if (clusterTls === undefined) {
      throw new ServerStartError('a cluster_tls block is required (ca_file, cert_file, key_file)');
    }
    const tls: TransportTls = {
      caPem: await readPem(clusterTls.caFile, 'cluster_tls.ca_file'),
      certPem: await readPem(clusterTls.certFile, 'cluster_tls.cert_file'),
      keyPem: await readPem(clusterTls.keyFile, 'cluster_tls.key_file'),
    };
    await mkdir(storage.path, { recursive: true, mode: 0o700 });
    await chmod(storage.path, 0o700);

    this.storage = await LevelRaftStorage.open({
      dir: path.join(storage.path, 'raft'),
      logger: this.log.child({ component: 'storage' }),
    });
    const persisted = await this.storage.load();
    const empty =
      persisted.snapshot === null &&
      persisted.entries.length === 0 &&
      persisted.hardState.term === 0;
    this.stateMachine = await LevelStateMachine.open({ dataDir: storage.path });

    // An empty node waits to be told what it is, as Vault's does: `sys/init` makes it found a
    // one-node cluster (foundOnInit), `sys/storage/raft/join` or a `retry_join` stanza makes it
    // join one. Until then no Raft node runs.
    const joining = empty && storage.retryJoin.length > 0;
    if (empty) {
      this.foundWith = tls;
      this.joiner = new JoinCoordinator({
        nodeId: this.nodeId,
        meta: this.meta,
        store: this.store,
        startRaft: async (peers, voteFloor) => {
          await writeVoteFloor(storage.path, voteFloor);
          return this.startRaft(tls, { peers, voteFloor });
        },
        logger: this.log.child({ component: 'join' }),
      });
      this.cluster.setJoiner(this.joiner);
    } else {
      const voteFloor = await readVoteFloor(storage.path);
      const { store } = await this.startRaft(tls, { voteFloor });
      this.store.switchTo(store);
    }

    await this.listen();
    if (joining) this.joiner?.retryJoin(await joinTargets(this.config));
    this.log.info(
      {
        apiAddr: this.meta.apiAddr,
        clusterAddr: this.meta.clusterAddr,
        mode: joining ? 'joining' : empty ? 'waiting for init or join' : 'restarting',
      },
      'server started',
    );
  }

  /**
   * The core's `beforeInitialize` hook: an empty node founds a one-node cluster and waits until
   * it leads it, so the init that follows can write. Nothing to do on a node that runs Raft
   * already (its core refuses a second init by itself); refused on a node that holds a join
   * challenge, which belongs to another cluster.
   */
  private foundOnInit(): Promise<void> {
    const tls = this.foundWith;
    if (tls === null || this.store.phase === 'replicated') return Promise.resolve();
    if (this.joiner?.challenged === true) {
      return Promise.reject(new InvalidRequestError('this node is joining a cluster'));
    }
    this.founding ??= (async () => {
      await this.joiner?.stop();
      this.joiner = null;
      const bootstrap = new Map([[this.nodeId, this.meta]]);
      const { node, store } = await this.startRaft(tls, { bootstrap });
      await new Promise<void>((resolve) => {
        if (node.status().leader === this.nodeId) return resolve();
        const onLeader = (leader: string | null): void => {
          if (leader !== this.nodeId) return;
          node.off('leader', onLeader);
          resolve();
        };
        node.on('leader', onLeader);
      });
      this.store.switchTo(store);
      this.log.info({}, 'founded a one-node cluster');
    })();
    return this.founding;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Builds the Raft node and its store, and starts the node. */
  private async startRaft(
    tls: TransportTls,
    members: {
      bootstrap?: Map<string, NodeMeta>;
      peers?: ReadonlyMap<string, NodeMeta>;
      voteFloor?: number;
    },
  ): Promise<{ node: RaftNode<WriteResult>; store: RaftPhysicalStore }> {
    const { storage, stateMachine } = this;
    if (storage === null || stateMachine === null || this.stopping !== null) {
      throw new ServerStartError('the server is stopping');
    }
    const transport = new WsTransport({
      nodeId: this.nodeId,
      listen: this.listener.clusterAddress,
      localAddress: outboundAddressFor(this.listener.clusterAddress),
      tls,
      logger: this.log.child({ component: 'transport' }),
    });
    const node = new RaftNode<WriteResult>({
      id: this.nodeId,
      storage,
      transport,
      stateMachine,
      meta: this.meta,
      tickMs: TICK_MS_PER_MULTIPLIER * this.config.storage.performanceMultiplier,
      snapshotThreshold: this.config.storage.snapshotThreshold,
      snapshotIntervalMs: this.config.storage.snapshotIntervalMs,
      keepEntries: this.config.storage.trailingLogs,
      bootstrap: members.bootstrap,
      peers: members.peers,
      raft: { voteFloor: members.voteFloor ?? 0 },
      logger: this.raftLog,
    });
    this.node = node;
    this.raftStore = new RaftPhysicalStore({
      node,
      stateMachine,
      logger: this.log.child({ component: 'physical' }),
    });
    this.cluster.attach(node);
    this.cluster.enableSnapshots(stateMachine, this.core);
    node.on('leader', (leader, term) => {
      if (leader !== null) this.log.info({ leader, term }, 'leader elected');
    });
    node.on('removed', (info) => {
      this.log.info(info, 'removed from the cluster; sealing');
      this.core.sealNode();
    });
    node.on('fatal', (err) => {
      this.log.error({ err }, 'raft node failed; shutting down');
      this.exitCode = 1;
      void this.stop();
    });
    await node.start();
    return { node, store: this.raftStore };
  }

  private async listen(): Promise<void> {
    for (const listener of this.config.listeners) {
      const http = createHttpServer({
        core: this.core,
        logger: this.log.child({ component: 'http' }),
        tls: listener.tls === null ? undefined : await listenerTls(listener),
        maxRequestSize: listener.maxRequestSize,
      });
      this.https.push(http);
      this.apiAddresses.push(await http.listen({ host: listener.host, port: listener.port }));
    }
    this.cluster.setForwardHandler((request) => this.https[0]!.serveForwarded(request));
  }

  private async shutdown(): Promise<void> {
    this.log.info({}, 'server stopping');
    await this.joiner?.stop();
    for (const http of this.https) {
      await http.close().catch((err: unknown) => this.log.warn({ err }, 'http close failed'));
    }
    this.core.sealNode();
    this.raftStore?.close();
    if (this.node !== null) await this.node.stop();
    else await this.storage?.close().catch(() => undefined);
    await this.stateMachine?.close().catch(() => undefined);
    this.log.info({ exitCode: this.exitCode }, 'server stopped');
    this.settle(this.exitCode);
  }
}

/** The TLS settings of one API listener, from its files. */
async function listenerTls(listener: ListenerConfig): Promise<VaultTlsOptions> {
  const tls = listener.tls!;
  // Like Vault's listener: always ask for a client certificate (the cert auth method checks it
  // against its own roles), require one only with tls_require_and_verify_client_cert.
  const options: VaultTlsOptions = {
    cert: await readPem(tls.certFile, 'tls_cert_file'),
    key: await readPem(tls.keyFile, 'tls_key_file'),
    requestCert: true,
    rejectUnauthorized: false,
  };
  if (tls.clientCaFile !== undefined) {
    options.ca = await readPem(tls.clientCaFile, 'tls_client_ca_file');
    options.rejectUnauthorized = tls.requireAndVerifyClientCert;
  }
  return options;
}

/** The `retry_join` stanzas with their files read. */
async function joinTargets(config: ServerConfig): Promise<JoinTarget[]> {
  const targets: JoinTarget[] = [];
  for (const stanza of config.storage.retryJoin) {
    const read = (file: string | undefined, key: string) =>
      file === undefined ? Promise.resolve(undefined) : readPem(file, key);
    targets.push({
      leaderApiAddr: stanza.leaderApiAddr,
      caPem: await read(stanza.leaderCaCertFile, 'leader_ca_cert_file'),
      clientCertPem: await read(stanza.leaderClientCertFile, 'leader_client_cert_file'),
      clientKeyPem: await read(stanza.leaderClientKeyFile, 'leader_client_key_file'),
    });
  }
  return targets;
}

async function readPem(file: string, key: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ServerStartError(`cannot read ${key}`, { file }, { cause });
  }
}

/**
 * The vote floor a joining node got from the leader (RaftOptions.voteFloor) lives in
 * `<data>/join.json`, written before Raft starts, so that restarts keep honouring it.
 */
const JOIN_RECORD = 'join.json';

async function writeVoteFloor(dataDir: string, voteFloor: number): Promise<void> {
  const file = path.join(dataDir, JOIN_RECORD);
  const handle = await open(file, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify({ voteFloor }) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readVoteFloor(dataDir: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, JOIN_RECORD), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const floor = (JSON.parse(text) as { voteFloor?: unknown }).voteFloor;
  if (typeof floor !== 'number' || !Number.isSafeInteger(floor) || floor < 0) {
    throw new ServerStartError(`${path.join(dataDir, JOIN_RECORD)} holds no valid voteFloor`);
  }
  return floor;
}

/**
 * A configured `audit "file"` block as the core enables it: the options `sys/audit` takes,
 * the mode written as octal as Vault writes it ("0600").
 */
export function auditEnableConfig(device: AuditDeviceConfig): AuditEnableConfig {
  return {
    type: device.type,
    description: 'enabled from the server configuration',
    options: { file_path: device.filePath, mode: device.mode.toString(8).padStart(4, '0') },
  };
}
