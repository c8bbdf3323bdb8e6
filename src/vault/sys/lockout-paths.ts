/**
 * `sys/locked-users` (GET): the aliases login lockout refuses now, by auth mount accessor, in
 * Vault's shape; `sys/locked-users/<mount accessor>/unlock/<alias>` (POST) lifts a lockout.
 */
import type { FieldData, PathDefinition } from '../../logical/index.js';
import type { LoginLockout } from '../lockout.js';
import type { MountEntry } from '../mount-table.js';

export interface LockoutPathsHost {
  lockoutFor(): LoginLockout;
  /** The enabled auth methods, to read an alias the way its method does. */
  authMounts(): MountEntry[];
}

/**
 * How each built-in auth method canonicalises the alias its logins are counted under: user
 * names (userpass), role names (AppRole) and certificate role names (cert) are all kept lower
 * case, cert role names trimmed too. An unknown type's aliases are taken as written.
 */
const CANONICAL_ALIAS: Readonly<Record<string, (alias: string) => string>> = {
  userpass: (alias) => alias.toLowerCase(),
  approle: (alias) => alias.toLowerCase(),
  cert: (alias) => alias.trim().toLowerCase(),
};

export function lockoutPaths(host: LockoutPathsHost): PathDefinition[] {
  const list = async () => {
    const byMount = new Map<string, string[]>();
    for (const locked of await host.lockoutFor().locked()) {
      const aliases = byMount.get(locked.mountAccessor) ?? [];
      aliases.push(locked.alias);
      byMount.set(locked.mountAccessor, aliases);
    }
    const mounts = [...byMount].map(([accessor, aliases]) => ({
      mount_accessor: accessor,
      total_locked_users: aliases.length,
      alias_identifiers: aliases.sort(),
    }));
    const total = mounts.reduce((sum, mount) => sum + mount.total_locked_users, 0);
    return {
      data: {
        by_namespace: [
          { namespace_id: 'root', namespace_path: '', total_locked_users: total, mount_accessors: mounts },
        ],
        total,
      },
    };
  };

  // `unlock/Carol` lifts the lockout that `login/Carol` and `login/carol` both counted towards.
  const unlock = async (_request: unknown, fields: FieldData) => {
    const accessor = fields.string('mount_accessor');
    const alias = fields.string('alias');
    const type = host.authMounts().find((mount) => mount.accessor === accessor)?.type;
    const canonical = (type === undefined ? undefined : CANONICAL_ALIAS[type])?.(alias) ?? alias;
    await host.lockoutFor().unlock(accessor, canonical);
    return null;
  };

  return [
    { pattern: 'locked-users', operations: { read: list }, synopsis: 'List locked login aliases.' },
    {
      pattern: 'locked-users/(?<mount_accessor>[^/]+)/unlock/(?<alias>.+)',
      fields: {
        mount_accessor: { type: 'string', description: 'The auth mount accessor.' },
        alias: { type: 'string', description: 'The locked alias (a user name, a role).' },
      },
      operations: { update: unlock },
      synopsis: 'Lift the lockout of one alias.',
    },
  ];
}
