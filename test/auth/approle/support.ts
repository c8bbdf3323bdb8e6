/** An AppRole mount with helpers for the usual steps: a role, a secret ID, a login. */
import assert from 'node:assert/strict';

import { createAppRoleBackend } from '../../../src/auth/approle/index.js';
import type { AuthBackend, Response } from '../../../src/logical/index.js';
import { authHarness, type AuthHarness, type GatedStorage } from '../support.js';

export interface IssuedSecretId {
  secret_id: string;
  secret_id_accessor: string;
  secret_id_ttl: number;
  secret_id_num_uses: number;
}

export interface AppRoleHarness extends AuthHarness<AuthBackend> {
  /** Creates or updates role `name`; resolves to its role_id. */
  role(name: string, fields?: Record<string, unknown>): Promise<string>;
  /** Issues a secret ID for role `name`. */
  secretId(name: string, fields?: Record<string, unknown>): Promise<IssuedSecretId>;
  login(roleId: string, secretId?: string, remoteAddress?: string): Promise<Response | null>;
  /** Looks up a secret ID's properties (null when it is gone). */
  lookup(name: string, secretId: string): Promise<Record<string, unknown> | null>;
}

/** A fresh AppRole mount, or a second backend on `storage` (another node's view). */
export function appRoleHarness(storage?: GatedStorage): AppRoleHarness {
  const harness = authHarness(createAppRoleBackend, 'approle', storage);
  return {
    ...harness,
    role: async (name, fields = {}) => {
      await harness.call('update', `role/${name}`, fields);
      const response = await harness.call('read', `role/${name}/role-id`);
      const roleId = response?.data?.role_id;
      assert.equal(typeof roleId, 'string');
      return roleId as string;
    },
    secretId: async (name, fields = {}) => {
      const response = await harness.call('update', `role/${name}/secret-id`, fields);
      return response?.data as unknown as IssuedSecretId;
    },
    login: (roleId, secretId, remoteAddress) =>
      harness.call(
        'update',
        'login',
        secretId === undefined ? { role_id: roleId } : { role_id: roleId, secret_id: secretId },
        remoteAddress,
      ),
    lookup: async (name, secretId) => {
      const response = await harness.call('update', `role/${name}/secret-id/lookup`, {
        secret_id: secretId,
      });
      return (response?.data as Record<string, unknown> | undefined) ?? null;
    },
  };
}
