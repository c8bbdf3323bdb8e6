/**
 * `revoke`, `revoke-self`, `revoke-accessor` and `revoke-orphan` (Vault's token auth API, "Revoke
 * a token"): each answers 204. Revoking takes the token's subtree and its leases with it, except
 * `revoke-orphan` (sudo), which makes the children orphans. Revoking an unknown token succeeds;
 * an unknown accessor is a 400, as Vault answers.
 */
import { InvalidRequestError } from '../logical/errors.js';
import type { PathDefinition } from '../logical/backend.js';
import type { FieldData } from '../logical/fields.js';
import type { Request } from '../logical/request.js';
import { callerEntry, type TokenPathContext } from './path-context.js';

const TOKEN_FIELD = { token: { type: 'string', description: 'The token to revoke.' } } as const;

export function revokePaths(context: TokenPathContext): PathDefinition[] {
  const { store } = context;

  const revoke = async (request: Request, fields: FieldData): Promise<null> => {
    await callerEntry(context, request);
    const token = fields.string('token');
    if (token === '') throw new InvalidRequestError('missing token');
    const entry = await store.lookup(token, { inFlight: token === request.clientToken });
    if (entry !== null) await store.revoke(entry);
    return null;
  };
  const revokeSelf = async (request: Request): Promise<null> => {
    await store.revoke(await callerEntry(context, request));
    return null;
  };
  const revokeAccessor = async (request: Request, fields: FieldData): Promise<null> => {
    await callerEntry(context, request);
    const entry = await store.lookupByAccessor(fields.string('accessor'));
    if (entry === null) throw new InvalidRequestError('invalid accessor');
    await store.revoke(entry);
    return null;
  };
  const revokeOrphan = async (request: Request, fields: FieldData): Promise<null> => {
    await callerEntry(context, request);
    if (request.sudo !== true) {
      throw new InvalidRequestError('root or sudo privileges required to revoke and orphan');
    }
    const token = fields.string('token');
    const entry = token === '' ? null : await store.lookup(token);
    if (entry === null) throw new InvalidRequestError('token not found');
    await store.revokeOrphan(entry);
    return null;
  };

  return [
    {
      pattern: 'revoke',
      fields: TOKEN_FIELD,
      operations: { update: revoke },
      synopsis: 'Revoke a token, its children and their leases.',
    },
    {
      pattern: 'revoke-self',
      operations: { update: revokeSelf },
      synopsis: 'Revoke the calling token, its children and their leases.',
    },
    {
      pattern: 'revoke-accessor',
      fields: { accessor: { type: 'string', description: 'The accessor of the token.' } },
      operations: { update: revokeAccessor },
      synopsis: 'Revoke the token an accessor names, its children and their leases.',
    },
    {
      pattern: 'revoke-orphan',
      fields: TOKEN_FIELD,
      operations: { update: revokeOrphan },
      synopsis: 'Revoke a token alone; its children become orphans (sudo).',
    },
  ];
}
