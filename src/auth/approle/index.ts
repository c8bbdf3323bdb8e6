/** The AppRole auth method: role IDs and secret IDs for machines. */
export { APPROLE_MOUNT_TYPE, createAppRoleBackend } from './backend.js';
