/**
 * `lookup`, `lookup-self` and `lookup-accessor` (Vault's token auth API, "Lookup a token"): the
 * token's properties in Vault's shape. An unknown token is a 403 ("bad token"), an unknown
 * accessor a 400 ("invalid accessor"), as Vault answers.
 */
import { InvalidRequestError, PermissionDeniedError } from '../logical/errors.js';
import type { PathDefinition } from '../logical/backend.js';
import type { FieldData } from '../logical/fields.js';
import type { Request } from '../logical/request.js';
import type { Response } from '../logical/response.js';
import { callerEntry, type TokenPathContext } from './path-context.js';
import { lookupData } from './token-response.js';

const TOKEN_FIELD = { token: { type: 'string', description: 'The token to look up.' } } as const;
const ACCESSOR_FIELD = {
  accessor: { type: 'string', description: 'The accessor of the token.' },
} as const;

export function lookupPaths(context: TokenPathContext): PathDefinition[] {
  const lookupOther = async (request: Request, fields: FieldData): Promise<Response> => {
    await callerEntry(context, request);
    const token = fields.string('token');
    const id = token === '' ? (request.clientToken ?? '') : token;
    const entry = await context.store.lookup(id, { inFlight: id === request.clientToken });
    if (entry === null) throw new PermissionDeniedError({ reason: 'bad token' });
    return { data: lookupData(id, entry, context.now()) };
  };
  const lookupSelf = async (request: Request): Promise<Response> => {
    const entry = await callerEntry(context, request);
    return { data: lookupData(request.clientToken ?? '', entry, context.now()) };
  };
  const lookupAccessor = async (request: Request, fields: FieldData): Promise<Response> => {
    await callerEntry(context, request);
    const entry = await context.store.lookupByAccessor(fields.string('accessor'));
    if (entry === null) throw new InvalidRequestError('invalid accessor');
    return { data: lookupData('', entry, context.now()) };
  };

  return [
    {
      pattern: 'lookup',
      fields: TOKEN_FIELD,
      operations: { read: lookupOther, update: lookupOther },
      synopsis: 'Look up the properties of a token (the caller\'s when none is given).',
    },
    {
      pattern: 'lookup-self',
      operations: { read: lookupSelf, update: lookupSelf },
      synopsis: 'Look up the properties of the calling token.',
    },
    {
      pattern: 'lookup-accessor',
      fields: ACCESSOR_FIELD,
      operations: { update: lookupAccessor },
      synopsis: 'Look up the properties of the token an accessor names.',
    },
  ];
}
