/**
 * Random UUIDs the core hands out (request ids, mount uuids, the cluster id). Clients treat them
 * as opaque (vault-api.md §4, "Format").
 */
import { randomUUID } from 'node:crypto';

/** A random UUID. */
export function newUuid(): string {
  return randomUUID();
}
