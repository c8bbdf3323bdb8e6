/**
 * What a secrets engine or auth method is to the core: a {@link Backend} that handles requests
 * on paths relative to its mount, built by a {@link BackendFactory} from a
 * {@link BackendContext} (its storage view, a logger, a clock).
 *
 * Most backends are tables of paths: {@link PathBackend} takes a list of
 * {@link PathDefinition}s (a pattern, typed fields, one handler per operation, help text),
 * matches each request against them in order and calls the handler with its fields decoded.
 */
import type { Logger } from '../util/logger.js';
import { UnsupportedOperationError, UnsupportedPathError } from './errors.js';
import { FieldData, type FieldSchemas } from './fields.js';
import type { Operation, Request } from './request.js';
import { withWarning, type Response } from './response.js';
import type { Storage } from './storage.js';

export interface Backend {
  /**
   * Handles `request`, whose path is relative to the mount. Resolves to `null` when there is
   * nothing to return. Rejects with a `LogicalError` for what the client can fix; anything else
   * is a 500.
   */
  handleRequest(request: Request): Promise<Response | null>;

  /**
   * Whether the item an `update` request would write already exists, so the core can check the
   * ACL for `create` instead of `update` when it does not (vault-api.md §3). Undefined when the
   * path does not tell the two apart (then it is an `update`).
   */
  existenceCheck?(request: Request): Promise<boolean | undefined>;

  /** Revokes a secret this backend handed out under a lease; rejecting makes the core retry. */
  revokeSecret?(secret: LeasedSecret): Promise<void>;

  /**
   * Extends a leased secret by `increment` seconds (advisory); resolves to the TTL in seconds
   * granted. Backends without it make their leases non-renewable.
   */
  renewSecret?(secret: LeasedSecret, increment: number): Promise<number>;
}

/** A secret as the expiration manager hands it back to the backend that created it. */
export interface LeasedSecret {
  readonly leaseId: string;
  /** The request path that created it, relative to the mount. */
  readonly path: string;
  /** The backend's own `SecretLease.internal` data. */
  readonly internal: Readonly<Record<string, unknown>>;
}

export interface BackendContext {
  /** The mount's own storage; nothing outside it is reachable. */
  readonly storage: Storage;
  readonly logger: Logger;
  /** Where the backend is mounted, with a trailing `/` (`secret/`). */
  readonly mountPath: string;
  /** The mount's `options` map (KV's `version`). */
  readonly options: Readonly<Record<string, string>>;
  /** Wall-clock milliseconds. */
  readonly now: () => number;
}

/** Builds a backend for one mount; called each time the mount table is loaded (every unseal). */
export type BackendFactory = (context: BackendContext) => Backend | Promise<Backend>;

/** Handles one operation on a matched path. `fields` holds the request data and captures. */
export type OperationHandler = (request: Request, fields: FieldData) => Promise<Response | null>;

export interface PathDefinition {
  /**
   * A regular expression source matched against the whole relative path (it is anchored for
   * you). Named groups become fields, and win over request data of the same name.
   */
  readonly pattern: string;
  readonly fields?: FieldSchemas;
  readonly operations: Partial<Record<Operation, OperationHandler>>;
  /** Whether the item an update would write exists (see {@link Backend.existenceCheck}). */
  readonly existenceCheck?: (request: Request, fields: FieldData) => Promise<boolean>;
  /** One line saying what the path is for. */
  readonly synopsis: string;
  readonly description?: string;
}

interface MatchedPath {
  readonly definition: PathDefinition;
  readonly captures: Record<string, string>;
}

interface CompiledPath {
  readonly definition: PathDefinition;
  readonly regex: RegExp;
}

/**
 * A backend made of path definitions, tried in order: put specific patterns before catch-alls.
 *
 * - No pattern matches: `UnsupportedPathError` (404).
 * - The path has no handler for the operation: `UnsupportedOperationError` (405). A `create`
 *   falls back to the `update` handler when the path has none of its own.
 * - Request fields the path does not declare are ignored, with a warning on the response, as
 *   Vault does; not on a wrapped response (`sys/wrapping/wrap` takes any fields), which shows
 *   nothing but its `wrap_info`.
 */
export class PathBackend implements Backend {
  private readonly paths: readonly CompiledPath[];

  constructor(definitions: readonly PathDefinition[]) {
    this.paths = definitions.map((definition) => ({
      definition,
      regex: new RegExp(`^(?:${definition.pattern})$`, 'u'),
    }));
  }

  async handleRequest(request: Request): Promise<Response | null> {
    const matched = this.match(request.path);
    if (matched === null) throw new UnsupportedPathError();
    const { definition, captures } = matched;

    const operations = definition.operations;
    const handler =
      operations[request.operation] ??
      (request.operation === 'create' ? operations.update : undefined);
    if (handler === undefined) throw new UnsupportedOperationError();

    const fields = new FieldData({ ...request.data, ...captures }, definition.fields ?? {});
    const response = await handler(request, fields);

    const ignored = fields.unknownFields();
    const bare = response === null || response.raw !== undefined || response.wrapInfo !== undefined;
    if (bare || ignored.length === 0) return response;
    return withWarning(
      response,
      `Endpoint ignored these unrecognized parameters: [${ignored.join(' ')}]`,
    );
  }

  async existenceCheck(request: Request): Promise<boolean | undefined> {
    const matched = this.match(request.path);
    const check = matched?.definition.existenceCheck;
    if (matched === null || check === undefined) return undefined;
    const fields = new FieldData(
      { ...request.data, ...matched.captures },
      matched.definition.fields ?? {},
    );
    return check(request, fields);
  }

  private match(path: string): MatchedPath | null {
    for (const { definition, regex } of this.paths) {
      const found = regex.exec(path);
      if (found === null) continue;
      const captures: Record<string, string> = {};
      for (const [name, value] of Object.entries(found.groups ?? {})) {
        if (value !== undefined) captures[name] = value;
      }
      return { definition, captures };
    }
    return null;
  }
}
