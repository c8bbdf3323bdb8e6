/** The userpass auth method: users with passwords. */
export { createUserpassBackend, USERPASS_MOUNT_TYPE, type UserpassOptions } from './backend.js';
export {
  DEFAULT_SCRYPT_PARAMS,
  scryptHasher,
  type PasswordHash,
  type PasswordHasher,
  type ScryptParams,
} from './password.js';
