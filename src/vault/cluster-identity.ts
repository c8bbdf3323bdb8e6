/**
 * The cluster's name and id, chosen at init and stored behind the barrier at `core/cluster`.
 * `sys/seal-status` and `sys/health` report them once the node is unsealed.
 */
import { StorageConditionFailedError } from '../logical/errors.js';
import { decodeJson, encodeJson, type Storage } from '../logical/storage.js';
import { CoreStateCorruptError } from './errors.js';
import { randomBase62 } from '../util/random.js';
import { newUuid } from './uuid.js';

export interface ClusterIdentity {
  readonly name: string;
  readonly id: string;
}

const IDENTITY_PATH = 'cluster';

/**
 * The stored identity, created when absent (named `name`, or `vault-cluster-<8 characters>` as
 * Vault names them). Concurrent creators agree on one: the creation is conditional.
 */
export async function loadOrCreateIdentity(
  core: Storage,
  name: string | undefined,
): Promise<ClusterIdentity> {
  const stored = await core.get(IDENTITY_PATH);
  if (stored !== undefined) return decode(stored);
  const identity: ClusterIdentity = {
    name: name ?? `vault-cluster-${randomBase62(8).toLowerCase()}`,
    id: newUuid(),
  };
  try {
    const value = encodeJson(identity);
    await core.batch([
      { type: 'put', path: IDENTITY_PATH, value, condition: { ifAbsent: true } },
    ]);
    return identity;
  } catch (err) {
    if (!(err instanceof StorageConditionFailedError)) throw err;
    const winner = await core.get(IDENTITY_PATH);
    if (winner === undefined) throw new CoreStateCorruptError(`core/${IDENTITY_PATH}`);
    return decode(winner);
  }
}

function decode(bytes: Uint8Array): ClusterIdentity {
  try {
    const identity = decodeJson<ClusterIdentity>(bytes);
    if (typeof identity.name !== 'string' || typeof identity.id !== 'string') {
      throw new Error('missing fields');
    }
    return identity;
  } catch (cause) {
    throw new CoreStateCorruptError(`core/${IDENTITY_PATH}`, { cause });
  }
}
