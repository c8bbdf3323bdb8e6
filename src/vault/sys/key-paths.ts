/**
 * `sys/key-status` and `sys/rotate`: the barrier's active key term, and adding a new one
 * (vault-api.md §2.1, §6). Vault copies the key-status fields to the top level of the envelope.
 */
import type { KeyStatus } from '../../barrier/types.js';
import type { PathDefinition } from '../../logical/index.js';
import type { Core } from '../core.js';

export function keyPaths(core: Core): PathDefinition[] {
  return [
    {
      pattern: 'key-status',
      operations: {
        read: async () => ({ data: keyStatusData(core.keyStatus()), dataAtTopLevel: true }),
      },
      synopsis: 'The active encryption key term of the barrier.',
    },
    {
      pattern: 'rotate',
      operations: {
        update: async () => {
          await core.rotateKeyring();
          return null;
        },
      },
      synopsis: 'Add a new encryption key term; older terms still decrypt.',
    },
  ];
}

function keyStatusData(status: KeyStatus): Record<string, unknown> {
  return {
    term: status.term,
    install_time: status.installTime.toISOString(),
    encryptions: status.encryptions,
  };
}
