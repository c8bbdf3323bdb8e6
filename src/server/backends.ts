/**
 * The secrets engines and auth methods a `coffer server` can mount, by type. The core knows
 * only the factories it is given; this is where the server chooses them.
 */
import { CERT_MOUNT_TYPE, createCertBackend } from '../auth/cert/index.js';
import { createKvBackend, KV_MOUNT_TYPE } from '../engines/kv/index.js';
import type { BackendFactory } from '../logical/backend.js';

/** Secrets engine types for `sys/mounts`. */
export const ENGINES: Readonly<Record<string, BackendFactory>> = {
  [KV_MOUNT_TYPE]: createKvBackend,
};

/** Auth method types for `sys/auth`; the token method is built into the core. */
export const AUTH_METHODS: Readonly<Record<string, BackendFactory>> = {
  [CERT_MOUNT_TYPE]: createCertBackend,
};
