/**
 * The secrets engines and auth methods a `coffer server` can mount, by type. The core knows
 * only the factories it is given; this is where the server chooses them.
 */
import { APPROLE_MOUNT_TYPE, createAppRoleBackend } from '../auth/approle/index.js';
import { CERT_MOUNT_TYPE, createCertBackend } from '../auth/cert/index.js';
import { createUserpassBackend, USERPASS_MOUNT_TYPE } from '../auth/userpass/index.js';
import { createKvBackend, KV_MOUNT_TYPE } from '../engines/kv/index.js';
import type { BackendFactory } from '../logical/backend.js';

/** Secrets engine types for `sys/mounts`. */
export const ENGINES: Readonly<Record<string, BackendFactory>> = {
  [KV_MOUNT_TYPE]: createKvBackend,
};

/** Auth method types for `sys/auth`; the token method is built into the core. */
export const AUTH_METHODS: Readonly<Record<string, BackendFactory>> = {
  [CERT_MOUNT_TYPE]: createCertBackend,
  [USERPASS_MOUNT_TYPE]: createUserpassBackend,
  [APPROLE_MOUNT_TYPE]: createAppRoleBackend,
};
