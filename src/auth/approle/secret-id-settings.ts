/**
 * What a request to issue a secret ID (`secret-id`, `custom-secret-id`) may ask for, checked
 * against its role as Vault's API docs describe: `cidr_list` and `token_bound_cidrs` within the
 * role's blocks, `num_uses` and `ttl` no more than the role's limits, `metadata` a JSON object
 * of strings.
 */
import {
  InvalidRequestError,
  isPlainObject,
  type FieldData,
  type FieldSchemas,
  type Request,
} from '../../logical/index.js';
import { cidrsWithin, parseCidr } from '../../util/cidr.js';
import type { SecretIdSettings } from './secret-id-store.js';
import type { StoredRole } from './types.js';

export const SECRET_ID_SETTING_FIELDS: FieldSchemas = {
  metadata: {
    type: 'string',
    description: 'A JSON object of strings, copied to the metadata of tokens it logs in.',
  },
  cidr_list: { type: 'string-list', description: 'CIDR blocks it may log in from.' },
  token_bound_cidrs: {
    type: 'string-list',
    description: 'CIDR blocks the tokens it logs in may be used from.',
  },
  num_uses: { type: 'int', description: "Logins it allows; 0 is unlimited (or the role's)." },
  ttl: { type: 'duration', description: "How long it lives; 0 is forever (or the role's)." },
};

/**
 * @throws InvalidRequestError (400) naming the field that breaks a rule.
 */
export function readSecretIdSettings(
  request: Request,
  fields: FieldData,
  role: StoredRole,
): SecretIdSettings {
  const cidrList = readCidrs(fields, 'cidr_list');
  if (role.secretIdBoundCidrs.length > 0 && !cidrsWithin(cidrList, role.secretIdBoundCidrs)) {
    throw new InvalidRequestError(
      "cidr_list must lie within the role's secret_id_bound_cidrs",
      { field: 'cidr_list' },
    );
  }
  const tokenBoundCidrs = readCidrs(fields, 'token_bound_cidrs');
  if (role.token.boundCidrs.length > 0 && !cidrsWithin(tokenBoundCidrs, role.token.boundCidrs)) {
    throw new InvalidRequestError(
      "token_bound_cidrs must lie within the role's token_bound_cidrs",
      { field: 'token_bound_cidrs' },
    );
  }

  let numUses = role.secretIdNumUses;
  if (fields.has('num_uses')) {
    numUses = fields.int('num_uses');
    if (numUses < 0) {
      throw new InvalidRequestError('num_uses cannot be negative', { field: 'num_uses' });
    }
    const limit = role.secretIdNumUses;
    if (limit > 0 && (numUses === 0 || numUses > limit)) {
      throw new InvalidRequestError(
        "num_uses cannot be higher than the role's secret_id_num_uses",
        { field: 'num_uses' },
      );
    }
  }

  let ttl = role.secretIdTtl;
  if (fields.has('ttl')) {
    ttl = fields.duration('ttl');
    const limit = role.secretIdTtl;
    if (limit > 0 && (ttl === 0 || ttl > limit)) {
      throw new InvalidRequestError("ttl cannot be longer than the role's secret_id_ttl", {
        field: 'ttl',
      });
    }
  }

  return { metadata: readMetadata(request.data.metadata), cidrList, tokenBoundCidrs, numUses, ttl };
}

/** CIDR blocks from `name`, trimmed; a block that does not parse is a 400. */
export function readCidrs(fields: FieldData, name: string): string[] {
  const blocks = fields
    .stringList(name)
    .map((item) => item.trim())
    .filter(Boolean);
  for (const block of blocks) {
    if (parseCidr(block) === null) {
      throw new InvalidRequestError(`invalid CIDR block "${block}" in ${name}`, { field: name });
    }
  }
  return blocks;
}

/**
 * Vault takes `metadata` as a JSON string (`"{\"tag\":\"prod\"}"`); an object sent as is is
 * accepted too. Either way every value must be a string.
 */
function readMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw invalidMetadata();
    }
  }
  if (!isPlainObject(value)) throw invalidMetadata();
  const metadata: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw invalidMetadata();
    // Defined, not assigned, so a `__proto__` key stays plain data.
    Object.defineProperty(metadata, key, {
      value: item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return metadata;
}

function invalidMetadata(): InvalidRequestError {
  return new InvalidRequestError('metadata must be a JSON object whose values are strings', {
    field: 'metadata',
  });
}
