/**
 * `crls` (LIST) and `crls/<name>` (read, write `{crl}`, delete): revocation lists an operator
 * pushes (Vault's cert auth API, "Create CRL"). Each login checks every stored CRL; a CRL only
 * revokes certificates of its own issuer (crl.ts).
 */
import {
  InvalidRequestError,
  type FieldData,
  type PathDefinition,
  type Request,
  type Response,
} from '../../logical/index.js';
import { parseCrl } from './crl.js';
import { NAME_PATTERN, nameField } from './names.js';
import type { CertStore } from './store.js';
import type { StoredCrl } from './types.js';

export function crlPaths(store: CertStore): PathDefinition[] {
  const list = async (): Promise<Response> => ({ data: { keys: await store.crlNames() } });

  const read = async (_request: Request, fields: FieldData): Promise<Response | null> => {
    const crl = await store.crl(nameField(fields));
    return crl === undefined ? null : { data: crlData(crl) };
  };

  const write = async (_request: Request, fields: FieldData): Promise<null> => {
    const name = nameField(fields);
    if (!fields.has('crl')) throw new InvalidRequestError('missing crl', { field: 'crl' });
    await store.putCrl(parseCrl(name, fields.string('crl')));
    return null;
  };

  const remove = async (_request: Request, fields: FieldData): Promise<null> => {
    await store.deleteCrl(nameField(fields));
    return null;
  };

  return [
    { pattern: 'crls/?', operations: { list }, synopsis: 'List the CRLs.' },
    {
      pattern: `crls/${NAME_PATTERN}`,
      fields: {
        name: { type: 'string', description: 'The name of the CRL.' },
        crl: { type: 'string', description: 'The CRL, PEM.' },
      },
      operations: { read, update: write, delete: remove },
      existenceCheck: async (_request, fields) =>
        (await store.crl(nameField(fields))) !== undefined,
      synopsis: 'Read, write or delete a certificate revocation list.',
    },
  ];
}

/** Vault's read shape (`serials`, decimal serial numbers as keys), with the CRL's dates. */
function crlData(crl: StoredCrl): Record<string, unknown> {
  const serials: Record<string, Record<string, never>> = {};
  for (const serial of crl.serials) serials[BigInt(`0x${serial}`).toString(10)] = {};
  return { serials, this_update: crl.thisUpdate, next_update: crl.nextUpdate };
}
