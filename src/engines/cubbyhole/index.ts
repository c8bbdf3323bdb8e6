/** The cubbyhole engine: per-token private storage, mounted by the core at `cubbyhole/`. */
export {
  createCubbyholeBackend,
  cubbyholePath,
  CUBBYHOLE_MOUNT_PATH,
  CUBBYHOLE_MOUNT_TYPE,
  destroyCubbyhole,
} from './backend.js';
