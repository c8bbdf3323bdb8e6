/**
 * `tidy/secret-id`: delete expired secret IDs, the secret IDs of deleted roles and accessor
 * entries left without a secret ID (Vault API docs, "Tidy tokens"). Vault starts it in the
 * background and answers 202; Coffer runs it within the request, since a backend has no
 * background of its own, and answers 202 with what it removed.
 */
import {
  ConflictError,
  type PathDefinition,
  type Response,
} from '../../logical/index.js';
import type { Logger } from '../../util/logger.js';
import type { RoleStore } from './role-store.js';
import type { SecretIdStore } from './secret-id-store.js';

export function tidyPath(
  roles: RoleStore,
  secrets: SecretIdStore,
  now: () => number,
  logger: Logger,
): PathDefinition {
  let running = false;

  const tidy = async (): Promise<Response> => {
    if (running) throw new ConflictError('a tidy of secret IDs is already running');
    running = true;
    try {
      const startedAt = now();
      const removed = await secrets.tidy(await roles.liveUuids(), startedAt);
      logger.info(removed, 'tidied secret IDs');
      return {
        status: 202,
        warnings: [
          `Tidy of secret IDs finished: removed ${removed.secretIds} secret IDs and ` +
            `${removed.accessors} dangling accessors.`,
        ],
      };
    } finally {
      running = false;
    }
  };

  return {
    pattern: 'tidy/secret-id',
    operations: { update: tidy },
    synopsis: 'Delete expired secret IDs and the leftovers of deleted roles.',
  };
}
