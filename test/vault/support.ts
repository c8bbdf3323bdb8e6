/** Builds cores on in-memory storage and drives them through `Core.handleRequest`. */
import { randomUUID } from 'node:crypto';

import { makeRequest, type Operation, type Response } from '../../src/logical/index.js';
import { MemoryStore } from '../../src/physical/index.js';
import { Core, SingleNodeCluster, type CoreOptions } from '../../src/vault/index.js';

export interface CoreHarness {
  core: Core;
  physical: MemoryStore;
  /** Runs one request through the pipeline. */
  call(
    operation: Operation,
    path: string,
    options?: { data?: Record<string, unknown>; token?: string; body?: Uint8Array },
  ): Promise<Response | null>;
}

export function coreHarness(
  options: Partial<CoreOptions> & { physical?: MemoryStore } = {},
): CoreHarness {
  const physical = options.physical ?? new MemoryStore();
  const core = new Core({
    cluster: new SingleNodeCluster(),
    storageType: 'inmem',
    ...options,
    physical,
  });
  return {
    core,
    physical,
    call: (operation, path, { data, token, body } = {}) =>
      core.handleRequest(
        makeRequest({ operation, path, data, clientToken: token, body }, randomUUID),
      ),
  };
}

/** Initialises with 5 shares and threshold 3, unseals with the first 3; returns the secrets. */
export async function initAndUnseal(
  core: Core,
): Promise<{ keys: string[]; rootToken: string }> {
  const { keys, rootToken } = await core.initialize({ secretShares: 5, secretThreshold: 3 });
  for (const key of keys.slice(0, 3)) await core.unseal(key);
  return { keys, rootToken };
}
