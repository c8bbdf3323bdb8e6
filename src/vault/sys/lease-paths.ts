/**
 * `sys/leases/*` and the legacy `sys/renew`, `sys/revoke`, `sys/revoke-prefix` and
 * `sys/revoke-force` (vault-api.md §2.1, §4): looking up, listing, renewing and revoking leases
 * through the expiration manager. The LIST of `leases/lookup/:prefix`, revoke-prefix and
 * revoke-force need sudo; the core's special-paths table says so, not this file.
 *
 * A lease id may come in the body (`lease_id`) or the URL (`sys/leases/renew/<id>`); the body
 * wins, as Vault reads it. Times are RFC 3339, TTLs whole seconds.
 */
import { InvalidRequestError } from '../../logical/errors.js';
import type { FieldData, FieldSchemas, PathDefinition, Response } from '../../logical/index.js';
import {
  LeasePrefixRevokeError,
  type ExpirationManager,
  type LeaseRecord,
} from '../../leases/index.js';

/** What the lease paths need from the core. */
export interface LeasePathsHost {
  /** The running expiration manager (the core only routes here when it has one). */
  leases(): ExpirationManager;
}

const LEASE_ID_FIELDS: FieldSchemas = {
  lease_id: { type: 'string', description: 'The lease id.' },
  url_lease_id: { type: 'string', description: 'The lease id, given in the URL.' },
};

const PREFIX_FIELD: FieldSchemas = {
  prefix: { type: 'string', description: 'A lease id prefix.' },
};

const SYNC_FIELD: FieldSchemas = {
  sync: {
    type: 'bool',
    description: 'Wait for the revocation instead of queuing it.',
    default: true,
  },
};

export function leasePaths(host: LeasePathsHost): PathDefinition[] {
  const lookup = async (_request: unknown, fields: FieldData): Promise<Response> => {
    const manager = host.leases();
    const id = leaseIdOf(fields);
    const record = await manager.lookup(id);
    if (record === null) throw new InvalidRequestError('invalid lease', { leaseId: id });
    return { data: lookupData(record, manager.now()) };
  };

  const list = async (_request: unknown, fields: FieldData): Promise<Response | null> => {
    const keys = await host.leases().listPrefix(fields.string('prefix'));
    return keys.length === 0 ? null : { data: { keys } };
  };

  const renew = async (_request: unknown, fields: FieldData): Promise<Response> => {
    const manager = host.leases();
    const increment = fields.duration('increment');
    const record = await manager.renew(leaseIdOf(fields), increment);
    const leaseDuration = secondsUntil(record.expireTime, manager.now());
    const response: Response = {
      data: null,
      lease: { leaseId: record.id, leaseDuration, renewable: record.renewable },
    };
    return increment > 0 && leaseDuration < increment
      ? {
          ...response,
          warnings: [
            `the requested increment of ${increment}s exceeds the lease's remaining max TTL; ` +
              `the TTL is capped at ${leaseDuration}s`,
          ],
        }
      : response;
  };

  const revoke = async (_request: unknown, fields: FieldData): Promise<Response | null> => {
    const id = leaseIdOf(fields);
    if (!fields.bool('sync')) {
      await host.leases().revoke(id);
      return ACCEPTED;
    }
    await host.leases().revoke(id, { sync: true });
    return null;
  };

  const revokePrefix = async (_request: unknown, fields: FieldData): Promise<Response | null> => {
    const manager = host.leases();
    const prefix = fields.string('prefix');
    if (!fields.bool('sync')) {
      // The manager logs the outcome; a queued revocation has nobody left to answer.
      void manager.revokePrefix(prefix).catch(() => undefined);
      return ACCEPTED;
    }
    const { revoked, failed } = await manager.revokePrefix(prefix);
    if (failed > 0) throw new LeasePrefixRevokeError(prefix, revoked, failed);
    return null;
  };

  const revokeForce = async (_request: unknown, fields: FieldData): Promise<Response | null> => {
    const { failed } = await host.leases().revokePrefix(fields.string('prefix'), { force: true });
    if (failed === 0) return null;
    return {
      data: null,
      warnings: [`${failed} lease(s) were deleted although revoking their secrets failed`],
    };
  };

  const tidy = async (): Promise<Response> => {
    const summary = await host.leases().tidy();
    return {
      data: {
        leases: summary.leases,
        removed_records: summary.removedRecords,
        removed_index_entries: summary.removedIndexEntries,
        restored_index_entries: summary.restoredIndexEntries,
      },
    };
  };

  const incrementField: FieldSchemas = {
    increment: { type: 'duration', description: 'The requested extension, from now.' },
  };
  const withId = (base: string) => `${base}(?:/(?<url_lease_id>.+))?`;

  // The current paths and Vault's older spellings share handlers.
  const families: Array<[prefix: string, synopsisSuffix: string]> = [
    ['leases/', ''],
    ['', ' (legacy path)'],
  ];
  const paths: PathDefinition[] = [
    {
      pattern: 'leases/lookup',
      fields: LEASE_ID_FIELDS,
      operations: { update: lookup },
      synopsis: 'Read the metadata of a lease.',
    },
    {
      pattern: 'leases/lookup/(?<prefix>.*)',
      fields: PREFIX_FIELD,
      operations: { list },
      synopsis: 'List the lease ids below a prefix.',
    },
    {
      pattern: 'leases/tidy',
      operations: { update: tidy },
      synopsis: 'Clean up damaged lease records and dangling index entries.',
    },
  ];
  for (const [prefix, suffix] of families) {
    paths.push(
      {
        pattern: withId(`${prefix}renew`),
        fields: { ...LEASE_ID_FIELDS, ...incrementField },
        operations: { update: renew },
        synopsis: `Renew a secret lease${suffix}.`,
      },
      {
        pattern: withId(`${prefix}revoke`),
        fields: { ...LEASE_ID_FIELDS, ...SYNC_FIELD },
        operations: { update: revoke },
        synopsis: `Revoke a lease${suffix}.`,
      },
      {
        pattern: `${prefix}revoke-prefix/(?<prefix>.+)`,
        fields: { ...PREFIX_FIELD, ...SYNC_FIELD },
        operations: { update: revokePrefix },
        synopsis: `Revoke every lease below a prefix${suffix}.`,
      },
      {
        pattern: `${prefix}revoke-force/(?<prefix>.+)`,
        fields: PREFIX_FIELD,
        operations: { update: revokeForce },
        synopsis: `Delete every lease below a prefix, even when revoking fails${suffix}.`,
      },
    );
  }
  return paths;
}

/** What an asynchronous revocation answers: 202, the work queued. */
const ACCEPTED: Response = { status: 202, data: null };

function leaseIdOf(fields: FieldData): string {
  const id = fields.string('lease_id') || fields.string('url_lease_id');
  if (id.length === 0) throw new InvalidRequestError('missing lease ID');
  return id;
}

function lookupData(record: LeaseRecord, now: number): Record<string, unknown> {
  const data: Record<string, unknown> = {
    id: record.id,
    issue_time: new Date(record.issueTime).toISOString(),
    expire_time: record.expireTime === 0 ? null : new Date(record.expireTime).toISOString(),
    last_renewal:
      record.lastRenewalTime === null ? null : new Date(record.lastRenewalTime).toISOString(),
    renewable: record.renewable,
    ttl: secondsUntil(record.expireTime, now),
  };
  if (record.irrevocable !== null) {
    data.irrevocable = true;
    data.revoke_error = record.irrevocable;
  }
  return data;
}

/** Whole seconds from `now` to `time`, 0 when past or when the lease never expires. */
function secondsUntil(time: number, now: number): number {
  return time === 0 ? 0 : Math.max(0, Math.round((time - now) / 1000));
}
