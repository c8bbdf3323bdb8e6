/**
 * A real three-node cluster for the third-party client suites, and a way to run hvac (Debian's
 * python3-hvac) against it. The clients are used unmodified: hvac through a Python script,
 * node-vault as a dev dependency.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { TestCluster, waitFor, type TestNode } from '../cluster/support.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Debian's interpreter, which is where apt installs python3-hvac. */
const PYTHON = '/usr/bin/python3';

export interface ConformanceCluster {
  readonly cluster: TestCluster;
  readonly rootToken: string;
  readonly leader: TestNode;
  readonly follower: TestNode;
  /** The cluster CA's PEM file, which clients verify the API certificates with. */
  readonly caFile: string;
}

export async function startConformanceCluster(): Promise<ConformanceCluster> {
  const { cluster, init } = await TestCluster.started(3);
  const rootToken = init.root_token;
  const leader = await waitFor('a leader', async () => {
    for (const node of cluster.nodes) {
      const answer = await cluster.api(node, 'GET', '/v1/sys/leader');
      if (answer.body?.is_self === true) return node;
    }
    return null;
  });
  const follower = cluster.nodes.find((node) => node !== leader) as TestNode;
  await waitFor('the follower to know the leader', async () => {
    const answer = await cluster.api(follower, 'GET', '/v1/sys/leader');
    return answer.body?.leader_address === leader.api ? true : null;
  });
  return { cluster, rootToken, leader, follower, caFile: path.join(cluster.dir, 'ca.pem') };
}

export interface SuiteRun {
  readonly status: number;
  /** `<group>@<node>/<step>` of every step that passed, in order. */
  readonly passed: string[];
  readonly output: string;
}

/**
 * Runs hvac_suite.py against the cluster: each of `runs` is `<group>@leader` or
 * `<group>@follower`, the node the group's calls go through. `scratchDir` is where the suite
 * may write files the servers read or write too (audit logs).
 */
export function runHvac(
  c: ConformanceCluster,
  runs: readonly string[],
  scratchDir: string,
): Promise<SuiteRun> {
  const args = [
    path.join(HERE, 'hvac_suite.py'),
    c.leader.api,
    c.follower.api,
    c.caFile,
    c.rootToken,
    scratchDir,
    ...runs,
  ];
  return new Promise((resolve) => {
    execFile(PYTHON, args, { timeout: 120_000 }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      const passed = stdout
        .split('\n')
        .filter((line) => line.startsWith('ok '))
        .map((line) => line.slice(3));
      resolve({ status, passed, output: `${stdout}${stderr}` });
    });
  });
}
