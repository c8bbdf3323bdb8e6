/**
 * `sys/audit` and `sys/audit-hash`: listing, enabling and disabling audit devices, and hashing a
 * value as a device logs it, so an operator can find a known value in a log (vault-api.md §7;
 * Vault's `/sys/audit` and `/sys/audit-hash` API). Vault requires `sudo` on `sys/audit*`; that is
 * the core's ACL check, not this table's.
 */
import type { AuditEnableConfig, AuditTableEntry } from '../../audit/types.js';
import { InvalidRequestError } from '../../logical/errors.js';
import type { FieldData, PathDefinition } from '../../logical/index.js';

/** What the audit endpoints need from the core; the `AuditManager` provides all of it. */
export interface AuditPathsHost {
  /** The enabled devices. */
  list(): readonly AuditTableEntry[];
  /** Enables a device at `path`; rejects with a 400 for a bad path, config or file. */
  enable(path: string, config: AuditEnableConfig): Promise<void>;
  /** Disables the device at `path`; false when there was none. */
  disable(path: string): Promise<boolean>;
  /** `input` hashed as the device at `path` logs it; a 400 for an unknown path. */
  hash(path: string, input: string): Promise<string>;
}

const PATH_FIELD = {
  path: { type: 'string', description: 'The path the audit device is enabled at.' },
} as const;

export function auditPaths(host: AuditPathsHost): PathDefinition[] {
  const list = async () => {
    const data: Record<string, unknown> = {};
    for (const entry of host.list()) {
      data[entry.path] = {
        type: entry.type,
        description: entry.description,
        options: { ...entry.options },
        local: entry.local,
        path: entry.path,
      };
    }
    return { data, dataAtTopLevel: true };
  };

  const enable = async (_request: unknown, fields: FieldData) => {
    const type = fields.string('type');
    if (type === '') throw new InvalidRequestError('type is required');
    await host.enable(fields.string('path'), {
      type,
      description: fields.string('description'),
      options: stringOptions(fields.map('options')),
      local: fields.bool('local'),
    });
    return null;
  };

  const disable = async (_request: unknown, fields: FieldData) => {
    await host.disable(fields.string('path'));
    return null;
  };

  const hash = async (_request: unknown, fields: FieldData) => {
    if (!fields.has('input')) throw new InvalidRequestError('input is required');
    return { data: { hash: await host.hash(fields.string('path'), fields.string('input')) } };
  };

  return [
    {
      pattern: 'audit',
      operations: { read: list },
      synopsis: 'List the enabled audit devices.',
    },
    {
      pattern: 'audit/(?<path>.+)',
      fields: {
        ...PATH_FIELD,
        type: { type: 'string', description: 'The device type; Coffer has "file".' },
        description: { type: 'string', description: 'What the device is for.' },
        options: { type: 'map', description: 'The device options, as strings.' },
        local: { type: 'bool', description: 'Kept for Vault compatibility; no effect.' },
      },
      operations: { update: enable, delete: disable },
      synopsis: 'Enable or disable an audit device.',
    },
    {
      pattern: 'audit-hash/(?<path>.+)',
      fields: {
        ...PATH_FIELD,
        input: { type: 'string', description: 'The value to hash.' },
      },
      operations: { update: hash },
      synopsis: 'Hash a value as an audit device logs it.',
    },
  ];
}

/** Device options as strings; JSON numbers and booleans are taken in their text form. */
function stringOptions(raw: Record<string, unknown>): Record<string, string> {
  const options: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') options[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') options[name] = String(value);
    else {
      throw new InvalidRequestError(`option "${name}" must be a string`, { option: name });
    }
  }
  return options;
}
