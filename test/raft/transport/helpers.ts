/**
 * Shared fixtures for the transport tests: cluster TLS material (generated once per run), message
 * builders, a recording logger, an event collector and a bounded polling helper.
 */
import type {
  AppendRequest,
  HeartbeatRequest,
  Message,
  NodeId,
  SnapshotRequest,
} from '../../../src/raft/core/types.js';
import type { Logger } from '../../../src/util/logger.js';
import { generateCa, issueNodeCertificate } from '../../../src/util/tls.js';
import type { CertificateBundle } from '../../../src/util/tls.js';
import type { Transport } from '../../../src/raft/transport/types.js';

export interface ClusterMaterial {
  ca: CertificateBundle;
  /** Node certificates signed by `ca`, by node id (n1..n3 and n9, an outsider). */
  nodes: Record<string, CertificateBundle>;
  /** A second CA, and a certificate for `n2` it signed: right name, wrong issuer. */
  foreignCa: CertificateBundle;
  foreignN2: CertificateBundle;
}

let material: ClusterMaterial | null = null;

/** RSA key generation is the slow part of these tests, so every file shares one set. */
export function clusterMaterial(): ClusterMaterial {
  if (material !== null) return material;
  const ca = generateCa({ commonName: 'test cluster CA' });
  const foreignCa = generateCa({ commonName: 'foreign CA' });
  // One key for every node keeps the suite fast; identity comes from the certificate alone.
  const first = issueNodeCertificate(ca, { nodeId: 'n1' });
  const nodes: Record<string, CertificateBundle> = { n1: first };
  for (const id of ['n2', 'n3', 'n9']) {
    nodes[id] = issueNodeCertificate(ca, { nodeId: id, keyPem: first.keyPem });
  }
  material = {
    ca,
    nodes,
    foreignCa,
    foreignN2: issueNodeCertificate(foreignCa, { nodeId: 'n2', keyPem: first.keyPem }),
  };
  return material;
}

/** The TLS options of node `id`, optionally with a certificate from elsewhere. */
export function tlsFor(id: string, cert?: CertificateBundle): {
  caPem: string;
  certPem: string;
  keyPem: string;
} {
  const { ca, nodes } = clusterMaterial();
  const bundle = cert ?? nodes[id];
  if (bundle === undefined) throw new Error(`no certificate for ${id}`);
  return { caPem: ca.certPem, certPem: bundle.certPem, keyPem: bundle.keyPem };
}

export function heartbeat(from: NodeId, to: NodeId, readSeq = 0): HeartbeatRequest {
  return { type: 'heartbeat', from, to, term: 3, commit: 7, readSeq };
}

export function append(from: NodeId, to: NodeId, data: Uint8Array): AppendRequest {
  return {
    type: 'append',
    from,
    to,
    term: 3,
    prevIndex: 4,
    prevTerm: 2,
    commit: 4,
    entries: [
      { kind: 'normal', term: 3, index: 5, data },
      {
        kind: 'config',
        term: 3,
        index: 6,
        change: { type: 'add-learner', nodeId: 'n4' },
        config: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] },
      },
    ],
  };
}

export function snapshotMessage(from: NodeId, to: NodeId, data: Uint8Array): SnapshotRequest {
  return {
    type: 'snapshot',
    from,
    to,
    term: 3,
    snapshot: {
      meta: { index: 40, term: 3, config: { voters: ['n1', 'n2'], learners: [] } },
      data,
    },
  };
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps every entry, to assert that refusals are logged with their reason. */
export function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (fields: object, message: string): void => {
      entries.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return {
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    entries,
  };
}

/** Everything a transport reported, in arrival order. */
export interface Collected {
  messages: Message[];
  unreachable: NodeId[];
  snapshotStatus: Array<{ peer: NodeId; ok: boolean }>;
}

export function collect(transport: Transport): Collected {
  const collected: Collected = { messages: [], unreachable: [], snapshotStatus: [] };
  transport.onMessage((message) => collected.messages.push(message));
  transport.onUnreachable((peer) => collected.unreachable.push(peer));
  transport.onSnapshotStatus((peer, ok) => collected.snapshotStatus.push({ peer, ok }));
  return collected;
}

/**
 * Polls `condition` until it holds, failing with `what` after `timeoutMs`. Polling (not sleeping)
 * keeps tests as fast as the machine allows and bounded when it is slow.
 */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves once the event loop has turned a few times, so queued deliveries have run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise((resolve) => setImmediate(resolve));
}
