/**
 * Rate limit quotas over the API (quotas.ts): `sys/quotas/rate-limit` (LIST),
 * `sys/quotas/rate-limit/:name` (read, write, delete) and `sys/quotas/config`.
 */
import type { FieldData, PathDefinition } from '../../logical/index.js';
import type { Core } from '../core.js';
import { validateQuota, type QuotaTable, type RateLimitQuota } from '../quotas.js';

export function quotaPaths(core: Core): PathDefinition[] {
  const list = async () => {
    const keys = core
      .quotas()
      .rateLimits.map((quota) => quota.name)
      .sort();
    return keys.length === 0 ? null : { data: { keys } };
  };

  const read = async (_request: unknown, fields: FieldData) => {
    const quota = core.quotas().rateLimits.find((q) => q.name === fields.string('name'));
    return quota === undefined ? null : { data: quotaReport(quota) };
  };

  const write = async (_request: unknown, fields: FieldData) => {
    const name = fields.string('name');
    await core.changeQuotas((table) => {
      const current = table.rateLimits.find((quota) => quota.name === name);
      const quota: RateLimitQuota = {
        name,
        path: fields.has('path') ? fields.string('path').replace(/^\/+/, '') : (current?.path ?? ''),
        rate: fields.has('rate') ? Number(fields.string('rate')) : (current?.rate ?? 0),
        intervalSeconds: fields.has('interval')
          ? fields.duration('interval')
          : (current?.intervalSeconds ?? 1),
        blockIntervalSeconds: fields.has('block_interval')
          ? fields.duration('block_interval')
          : (current?.blockIntervalSeconds ?? 0),
      };
      validateQuota(quota);
      const others = table.rateLimits.filter((existing) => existing.name !== name);
      return { ...table, rateLimits: [...others, quota] };
    });
    return null;
  };

  const remove = async (_request: unknown, fields: FieldData) => {
    const name = fields.string('name');
    await core.changeQuotas((table) => ({
      ...table,
      rateLimits: table.rateLimits.filter((quota) => quota.name !== name),
    }));
    return null;
  };

  const readConfig = async () => ({ data: configReport(core.quotas()) });
  const writeConfig = async (_request: unknown, fields: FieldData) => {
    if (!fields.has('rate_limit_exempt_paths')) return null;
    const exemptPaths = fields
      .stringList('rate_limit_exempt_paths')
      .map((path) => path.replace(/^\/+/, ''));
    await core.changeQuotas((table) => ({ ...table, exemptPaths }));
    return null;
  };

  return [
    {
      pattern: 'quotas/rate-limit/?',
      operations: { list },
      synopsis: 'List the rate limit quotas.',
    },
    {
      pattern: 'quotas/rate-limit/(?<name>[^/]+)',
      fields: {
        name: { type: 'string', description: 'The name of the quota.' },
        path: { type: 'string', description: "The path prefix it covers; '' for all." },
        rate: { type: 'string', description: 'Requests allowed per interval per client.' },
        interval: { type: 'duration', description: 'The interval; 1s by default.' },
        block_interval: { type: 'duration', description: 'How long an offender is refused.' },
        type: { type: 'string', description: 'Accepted for compatibility.' },
        role: { type: 'string', description: 'Accepted for compatibility.' },
        inheritable: { type: 'bool', description: 'Accepted for compatibility.' },
      },
      operations: { read, update: write, delete: remove },
      synopsis: 'Read, write or delete a rate limit quota.',
    },
    {
      pattern: 'quotas/config',
      fields: {
        rate_limit_exempt_paths: { type: 'string-list', description: 'Paths never limited.' },
        enable_rate_limit_audit_logging: { type: 'bool', description: 'Accepted.' },
        enable_rate_limit_response_headers: { type: 'bool', description: 'Accepted.' },
      },
      operations: { read: readConfig, update: writeConfig },
      synopsis: 'Quota settings.',
    },
  ];
}

function quotaReport(quota: RateLimitQuota): Record<string, unknown> {
  return {
    name: quota.name,
    type: 'rate-limit',
    path: quota.path,
    rate: quota.rate,
    interval: quota.intervalSeconds,
    block_interval: quota.blockIntervalSeconds,
    role: '',
    inheritable: false,
  };
}

function configReport(table: QuotaTable): Record<string, unknown> {
  return {
    rate_limit_exempt_paths: [...table.exemptPaths],
    enable_rate_limit_audit_logging: false,
    enable_rate_limit_response_headers: false,
  };
}
