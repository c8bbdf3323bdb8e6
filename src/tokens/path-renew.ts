/**
 * `renew`, `renew-self` and `renew-accessor` (Vault's token auth API, "Renew a token"): extends a
 * service token's TTL and answers with the `auth` block. `increment` is advisory: read back
 * `lease_duration`.
 */
import { InvalidRequestError } from '../logical/errors.js';
import type { PathDefinition } from '../logical/backend.js';
import type { FieldData, FieldSchemas } from '../logical/fields.js';
import type { Request } from '../logical/request.js';
import type { Response } from '../logical/response.js';
import { callerEntry, type TokenPathContext } from './path-context.js';
import { authInfo } from './token-response.js';
import type { TokenEntry } from './types.js';

const INCREMENT: FieldSchemas = {
  increment: { type: 'duration', description: 'The TTL asked for, from now; advisory.' },
};

export function renewPaths(context: TokenPathContext): PathDefinition[] {
  const renewed = async (
    clientToken: string,
    entry: TokenEntry,
    fields: FieldData,
    request: Request,
  ): Promise<Response> => {
    // A login token's method re-checks the login against the connection renewing it.
    const result = await context.store.renew(entry, fields.duration('increment'), {
      connection: request.connection,
    });
    const response: Response = { auth: authInfo(clientToken, result.entry) };
    return result.warnings.length === 0 ? response : { ...response, warnings: result.warnings };
  };

  const renew = async (request: Request, fields: FieldData): Promise<Response> => {
    await callerEntry(context, request);
    const token = fields.string('token');
    if (token === '') throw new InvalidRequestError('missing token');
    const entry = await context.store.lookup(token, { inFlight: token === request.clientToken });
    if (entry === null) throw new InvalidRequestError('token not found');
    return renewed(token, entry, fields, request);
  };
  const renewSelf = async (request: Request, fields: FieldData): Promise<Response> => {
    const entry = await callerEntry(context, request);
    return renewed(request.clientToken ?? '', entry, fields, request);
  };
  const renewAccessor = async (request: Request, fields: FieldData): Promise<Response> => {
    await callerEntry(context, request);
    const entry = await context.store.lookupByAccessor(fields.string('accessor'));
    if (entry === null) throw new InvalidRequestError('invalid accessor');
    return renewed('', entry, fields, request);
  };

  return [
    {
      pattern: 'renew',
      fields: { ...INCREMENT, token: { type: 'string', description: 'The token to renew.' } },
      operations: { update: renew },
      synopsis: 'Renew a token.',
    },
    {
      pattern: 'renew-self',
      fields: INCREMENT,
      operations: { update: renewSelf },
      synopsis: 'Renew the calling token.',
    },
    {
      pattern: 'renew-accessor',
      fields: {
        ...INCREMENT,
        accessor: { type: 'string', description: 'The accessor of the token to renew.' },
      },
      operations: { update: renewAccessor },
      synopsis: 'Renew the token an accessor names.',
    },
  ];
}
