/**
 * `accessors` (LIST, sudo) and `tidy`: the accessor listing operators use to revoke tokens in
 * bulk, and the clean-up of index records that point at missing tokens.
 */
import { PermissionDeniedError } from '../logical/errors.js';
import type { PathDefinition } from '../logical/backend.js';
import type { Request } from '../logical/request.js';
import type { Response } from '../logical/response.js';
import { callerEntry, type TokenPathContext } from './path-context.js';

export function maintenancePaths(context: TokenPathContext): PathDefinition[] {
  const accessors = async (request: Request): Promise<Response> => {
    await callerEntry(context, request);
    if (request.sudo !== true) throw new PermissionDeniedError();
    return { data: { keys: await context.store.listAccessors() } };
  };
  const tidy = async (request: Request): Promise<Response> => {
    await callerEntry(context, request);
    const result = await context.store.tidy();
    return {
      data: {
        dangling_accessors: result.danglingAccessors,
        dangling_parent_links: result.danglingParentLinks,
        orphaned_children_revoked: result.orphanedChildrenRevoked,
      },
    };
  };
  return [
    {
      pattern: 'accessors/?',
      operations: { list: accessors },
      synopsis: 'List the accessors of every token (sudo).',
    },
    {
      pattern: 'tidy',
      operations: { update: tidy },
      synopsis: 'Remove token index records that point at missing tokens.',
    },
  ];
}
