/**
 * Routes a request path to the mount that serves it: the longest mount path that is a prefix of
 * the request path wins (`secret/team/` beats `secret/`). A path equal to a mount path without
 * its trailing slash (`secret`) routes to that mount's root.
 */
import type { Backend } from '../logical/backend.js';
import type { MountEntry } from './mount-table.js';

export interface MountedBackend {
  readonly entry: MountEntry;
  readonly backend: Backend;
}

export interface RouteMatch extends MountedBackend {
  /** The request path with the mount path cut off. */
  readonly relativePath: string;
}

export class Router {
  /** Longest mount path first, so the first prefix match is the longest. */
  private readonly mounts: readonly MountedBackend[];

  constructor(mounts: readonly MountedBackend[]) {
    this.mounts = [...mounts].sort((a, b) => b.entry.path.length - a.entry.path.length);
  }

  /** The mount serving `path`, or null when none does. */
  match(path: string): RouteMatch | null {
    for (const mounted of this.mounts) {
      const mountPath = mounted.entry.path;
      if (path.startsWith(mountPath)) {
        return { ...mounted, relativePath: path.slice(mountPath.length) };
      }
      if (`${path}/` === mountPath) return { ...mounted, relativePath: '' };
    }
    return null;
  }

  /** Every mount, longest path first. */
  entries(): MountEntry[] {
    return this.mounts.map((mounted) => mounted.entry);
  }
}
