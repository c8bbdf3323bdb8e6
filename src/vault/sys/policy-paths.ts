/**
 * ACL policy management and capability queries (vault-api.md §2.1, §3):
 *
 * - `sys/policies/acl` (LIST) and `sys/policies/acl/<name>` (GET, PUT, DELETE): the API the
 *   vault CLI, the Go client and Terraform use; a policy reads as `{name, policy}`.
 * - `sys/policy` (GET, LIST) and `sys/policy/<name>`: the older API hvac still calls; the list
 *   is `{policies, keys}`, a policy reads as `{name, rules}`, and a write takes `policy` or the
 *   deprecated `rules`.
 * - `sys/capabilities`, `sys/capabilities-self`, `sys/capabilities-accessor` (PUT): which
 *   capabilities a token has on each of `paths` (or the older `path`), as
 *   `{"<path>": [...]}` plus `capabilities` when a single path was asked about.
 *
 * Vault copies the data of these paths to the top level of the envelope; the responses ask for
 * that with `dataAtTopLevel`.
 */
import {
  InvalidRequestError,
  PermissionDeniedError,
  type FieldData,
  type FieldSchemas,
  type PathDefinition,
  type Request,
  type Response,
} from '../../logical/index.js';
import type { Acl, PolicyStore } from '../../policy/index.js';
import { ROOT_POLICY } from '../../policy/index.js';

/** What the policy paths need from the core. */
export interface PolicyPathsHost {
  /** The policy store of the unsealed core. */
  policies(): PolicyStore;
  /** The ACL of a token, or null when the token is unknown, expired or revoked. */
  aclForToken(token: string): Promise<Acl | null>;
  /** The ACL of the token an accessor belongs to, or null when no live token has it. */
  aclForAccessor(accessor: string): Promise<Acl | null>;
}

const NAME_FIELD: FieldSchemas = {
  name: { type: 'string', description: 'The name of the policy.' },
};

const PATHS_FIELDS: FieldSchemas = {
  paths: { type: 'string-list', description: 'The paths to report capabilities on.' },
  path: { type: 'string-list', description: 'Deprecated: use "paths".' },
};

const RULES_DEPRECATED = "'rules' is deprecated, please use 'policy' instead";

export function policyPaths(host: PolicyPathsHost): PathDefinition[] {
  const list = (legacy: boolean) => async (): Promise<Response> => {
    const keys = [...(await host.policies().list()), ROOT_POLICY];
    const data = legacy ? { policies: keys, keys } : { keys };
    return { data, dataAtTopLevel: true };
  };

  const read =
    (textKey: 'policy' | 'rules') =>
    async (_request: Request, fields: FieldData): Promise<Response | null> => {
      const policy = await host.policies().get(fields.string('name'));
      if (policy === undefined) return null;
      return { data: { name: policy.name, [textKey]: policy.raw }, dataAtTopLevel: true };
    };

  const write =
    (legacy: boolean) =>
    async (_request: Request, fields: FieldData): Promise<Response | null> => {
      const warnings: string[] = [];
      let text = fields.string('policy');
      if (legacy && fields.has('rules')) {
        warnings.push(RULES_DEPRECATED);
        if (!fields.has('policy')) text = fields.string('rules');
      }
      await host.policies().put(fields.string('name'), decodeIfBase64(text));
      return warnings.length === 0 ? null : { warnings };
    };

  const remove = async (_request: Request, fields: FieldData): Promise<null> => {
    await host.policies().delete(fields.string('name'));
    return null;
  };

  const capabilities =
    (resolve: (request: Request, fields: FieldData) => Promise<Acl>) =>
    async (request: Request, fields: FieldData): Promise<Response> => {
      const paths = requestedPaths(fields);
      const acl = await resolve(request, fields);
      const data: Record<string, unknown> = {};
      for (const path of paths) defineKey(data, path, acl.capabilities(path));
      if (paths.length === 1) defineKey(data, 'capabilities', acl.capabilities(paths[0] as string));
      return { data, dataAtTopLevel: true };
    };

  const byToken = async (_request: Request, fields: FieldData): Promise<Acl> => {
    const token = fields.string('token');
    if (token === '') throw new InvalidRequestError('missing token');
    const acl = await host.aclForToken(token);
    if (acl === null) throw new InvalidRequestError('invalid token');
    return acl;
  };

  const bySelf = async (request: Request): Promise<Acl> => {
    const token = request.clientToken;
    const acl = token === undefined || token === '' ? null : await host.aclForToken(token);
    if (acl === null) throw new PermissionDeniedError();
    return acl;
  };

  const byAccessor = async (_request: Request, fields: FieldData): Promise<Acl> => {
    const accessor = fields.string('accessor');
    if (accessor === '') throw new InvalidRequestError('missing accessor');
    const acl = await host.aclForAccessor(accessor);
    if (acl === null) throw new InvalidRequestError('invalid accessor');
    return acl;
  };

  const policyText = { type: 'string', description: 'The policy, in HCL or JSON.' } as const;
  return [
    {
      pattern: 'policies/acl/?',
      operations: { list: list(false) },
      synopsis: 'List the ACL policies.',
    },
    {
      pattern: 'policies/acl/(?<name>.+)',
      fields: { ...NAME_FIELD, policy: policyText },
      operations: { read: read('policy'), update: write(false), delete: remove },
      synopsis: 'Read, write or delete an ACL policy.',
    },
    {
      pattern: 'policy/?',
      operations: { read: list(true), list: list(true) },
      synopsis: 'List the ACL policies (the older API).',
    },
    {
      pattern: 'policy/(?<name>.+)',
      fields: {
        ...NAME_FIELD,
        policy: policyText,
        rules: { type: 'string', description: 'Deprecated: use "policy".' },
      },
      operations: { read: read('rules'), update: write(true), delete: remove },
      synopsis: 'Read, write or delete an ACL policy (the older API).',
    },
    {
      pattern: 'capabilities',
      fields: {
        ...PATHS_FIELDS,
        token: { type: 'string', description: 'The token to report on.' },
      },
      operations: { update: capabilities(byToken) },
      synopsis: "A token's capabilities on paths.",
    },
    {
      pattern: 'capabilities-self',
      fields: PATHS_FIELDS,
      operations: { update: capabilities(bySelf) },
      synopsis: "The calling token's capabilities on paths.",
    },
    {
      pattern: 'capabilities-accessor',
      fields: {
        ...PATHS_FIELDS,
        accessor: { type: 'string', description: 'The accessor of the token to report on.' },
      },
      operations: { update: capabilities(byAccessor) },
      synopsis: "The capabilities on paths of the token an accessor belongs to.",
    },
  ];
}

/** `paths`, or the deprecated `path` when `paths` is empty; at least one is required. */
function requestedPaths(fields: FieldData): string[] {
  const paths = fields.stringList('paths');
  const chosen = paths.length > 0 ? paths : fields.stringList('path');
  if (chosen.length === 0) throw new InvalidRequestError('paths must be supplied');
  return chosen;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The policy text, base64-decoded when it is valid standard base64 of UTF-8 text: Vault accepts
 * policies either way. Policy text is never valid base64 (it has spaces, quotes or braces).
 */
function decodeIfBase64(text: string): string {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact === '' || !BASE64.test(compact)) return text;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(compact, 'base64'));
  } catch {
    return text;
  }
}

/** Sets a key without invoking the `__proto__` setter: paths are client data. */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  const descriptor = { value, enumerable: true, writable: true, configurable: true };
  Object.defineProperty(target, key, descriptor);
}
