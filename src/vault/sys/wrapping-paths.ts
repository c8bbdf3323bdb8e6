/**
 * `sys/wrapping/*` (vault-api.md §2.1; Vault's sys/wrapping API docs): wrap arbitrary data,
 * unwrap a wrapping token, look one up, and rewrap one into a fresh token. The tokens and their
 * cubbyholes are the core's (wrapping.ts).
 *
 * - `wrap` needs a wrap TTL (`X-Vault-Wrap-TTL`); the request body becomes the wrapped `data`.
 * - `unwrap` takes the wrapping token from `token`, or else the client token is the wrapping
 *   token (the pipeline then skips its own token check, pipeline.ts).
 * - `lookup` needs no token of its own (special-paths.ts) and does not spend the wrapping token.
 * - `rewrap` moves the response into a new token with the same creation TTL and path.
 */
import { InvalidRequestError } from '../../logical/errors.js';
import type { FieldData, PathDefinition } from '../../logical/index.js';
import type { Request } from '../../logical/request.js';
import type { Core } from '../core.js';

export function wrappingPaths(core: Core): PathDefinition[] {
  const wrap = async (request: Request) => {
    const ttl = request.wrapTtl ?? 0;
    if (ttl <= 0) {
      throw new InvalidRequestError('sys/wrapping/wrap needs a wrap TTL (X-Vault-Wrap-TTL)');
    }
    return core.wrapping().wrap({ data: { ...request.data } }, { ttl, path: 'sys/wrapping/wrap' });
  };

  const unwrap = async (request: Request, fields: FieldData) =>
    core.wrapping().unwrap(tokenOf(request, fields));

  const lookup = async (request: Request, fields: FieldData) => {
    const found = await core.wrapping().lookup(tokenOf(request, fields));
    return {
      data: {
        creation_path: found.creationPath,
        creation_time: found.creationTime,
        creation_ttl: found.creationTtl,
      },
    };
  };

  const rewrap = async (request: Request, fields: FieldData) =>
    core.wrapping().rewrap(tokenOf(request, fields));

  const tokenField = {
    token: { type: 'string', description: 'The wrapping token; the client token when absent.' },
  } as const;
  return [
    {
      pattern: 'wrapping/wrap',
      operations: { update: wrap },
      synopsis: 'Wrap the request body in a new wrapping token.',
    },
    {
      pattern: 'wrapping/unwrap',
      fields: tokenField,
      operations: { update: unwrap },
      synopsis: 'Return the response a wrapping token holds; the token is used up.',
    },
    {
      pattern: 'wrapping/lookup',
      fields: tokenField,
      operations: { update: lookup, read: lookup },
      synopsis: 'The creation path, time and TTL of a wrapping token.',
    },
    {
      pattern: 'wrapping/rewrap',
      fields: tokenField,
      operations: { update: rewrap },
      synopsis: 'Move a wrapped response into a new wrapping token with the same TTL.',
    },
  ];
}

/** The `token` field, or else the client token. */
function tokenOf(request: Request, fields: FieldData): string {
  const given = fields.string('token');
  return given !== '' ? given : (request.clientToken ?? '');
}
