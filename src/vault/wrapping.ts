/**
 * Response wrapping (Vault's "response wrapping" concept docs, and the `sys/wrapping/*` API):
 * instead of a response, the client gets a single-use wrapping token, and the response is kept in
 * that token's cubbyhole until someone unwraps it, once, or the token expires.
 *
 * A wrapping token is an orphan service token whose only policy is `response-wrapping`, with one
 * use and a TTL of the requested wrap TTL (TokenStore.createWrapping). Its cubbyhole holds two
 * entries, in the cubbyhole engine's layout:
 *
 * - `response`: `{ response: <JSON string> }`, the wrapped response in Coffer's own shape
 *   ({@link StoredResponse}); reading `cubbyhole/response` with the token returns it, as Vault's
 *   older clients expect, and spends the token's use;
 * - `wrapinfo`: `{ creation_ttl, creation_time, creation_path }`, what `sys/wrapping/lookup`
 *   reports without spending the use.
 *
 * Unwrapping spends the token's one use first (a conditional write, so two concurrent unwraps
 * cannot both succeed), reads the response, then revokes the token, which destroys its cubbyhole
 * (active-state.ts). Every way a token can fail to be a live wrapping token is one 400:
 * {@link INVALID_WRAPPING_TOKEN}.
 */
import { cubbyholePath } from '../engines/cubbyhole/index.js';
import { InvalidRequestError } from '../logical/errors.js';
import type { AuthInfo, LeaseInfo, Response } from '../logical/response.js';
import { decodeJson, encodeJson, type Storage } from '../logical/storage.js';
import { RESPONSE_WRAPPING_POLICY_NAME } from '../policy/response-wrapping-policy.js';
import type { TokenStore } from '../tokens/token-store.js';
import type { TokenEntry } from '../tokens/types.js';
import type { Logger } from '../util/logger.js';

/** The one error for a token that is unknown, used, expired, revoked or not a wrapping token. */
export const INVALID_WRAPPING_TOKEN = 'wrapping token is not valid or does not exist';

/** The cubbyhole key of the wrapped response. */
export const WRAPPED_RESPONSE_KEY = 'response';

/** The cubbyhole key of the wrapping token's creation details. */
export const WRAP_INFO_KEY = 'wrapinfo';

/** What a wrapped response keeps of the response: what the client would have received. */
export interface StoredResponse {
  readonly data?: Readonly<Record<string, unknown>> | null;
  readonly warnings?: readonly string[];
  readonly lease?: LeaseInfo;
  readonly auth?: AuthInfo;
}

/** `sys/wrapping/lookup`: what a wrapping token says about itself. */
export interface WrappingLookup {
  readonly creationPath: string;
  /** RFC 3339. */
  readonly creationTime: string;
  /** Seconds. */
  readonly creationTtl: number;
}

interface StoredWrapInfo {
  readonly creation_ttl: number;
  readonly creation_time: string;
  readonly creation_path: string;
}

export interface ResponseWrapperDeps {
  readonly tokens: TokenStore;
  /** The view holding every token's cubbyhole (the cubbyhole engine's storage). */
  readonly cubbyhole: Storage;
  /** The cluster clock, milliseconds. */
  readonly now: () => number;
  readonly log: Logger;
}

export class ResponseWrapper {
  constructor(private readonly deps: ResponseWrapperDeps) {}

  /**
   * Stores `response` in the cubbyhole of a new wrapping token with a TTL of `ttl` seconds, and
   * resolves to the response the client gets instead: only `wrap_info`. `path` is the request
   * path whose response this is (`creation_path`). A response carrying a token (a login or a
   * token creation) names that token's accessor as `wrapped_accessor`.
   */
  async wrap(response: Response, options: { ttl: number; path: string }): Promise<Response> {
    const stored: StoredResponse = {
      ...(response.data === undefined ? {} : { data: response.data }),
      ...(response.warnings === undefined ? {} : { warnings: response.warnings }),
      ...(response.lease === undefined ? {} : { lease: response.lease }),
      ...(response.auth === undefined ? {} : { auth: response.auth }),
    };
    const created = await this.deps.tokens.createWrapping(options);
    const { entry } = created;
    const creationTime = new Date(this.deps.now()).toISOString();
    const info: StoredWrapInfo = {
      creation_ttl: entry.creationTtl,
      creation_time: creationTime,
      creation_path: options.path,
    };
    try {
      await this.deps.cubbyhole.batch([
        {
          type: 'put',
          path: cubbyholePath(entry.hashedId, WRAPPED_RESPONSE_KEY),
          value: encodeJson({ response: JSON.stringify(stored) }),
        },
        {
          type: 'put',
          path: cubbyholePath(entry.hashedId, WRAP_INFO_KEY),
          value: encodeJson(info),
        },
      ]);
    } catch (err) {
      await this.revokeQuietly(entry);
      throw err;
    }
    return {
      wrapInfo: {
        token: created.clientToken,
        accessor: entry.accessor,
        ttl: entry.creationTtl,
        creationTime,
        creationPath: options.path,
        ...(response.auth === undefined ? {} : { wrappedAccessor: response.auth.accessor }),
      },
      ...(created.warnings.length > 0 ? { warnings: created.warnings } : {}),
    };
  }

  /**
   * The response wrapped in `token`, which is used up and revoked. Throws
   * `InvalidRequestError` (400, {@link INVALID_WRAPPING_TOKEN}) when `token` is not a live
   * wrapping token.
   */
  async unwrap(token: string): Promise<Response> {
    return this.take(token, async (stored) => ({
      data: stored.data ?? null,
      ...(stored.warnings === undefined ? {} : { warnings: stored.warnings }),
      ...(stored.lease === undefined ? {} : { lease: stored.lease }),
      ...(stored.auth === undefined ? {} : { auth: stored.auth }),
    }));
  }

  /**
   * The response wrapped in `token` moved into a new wrapping token with the same creation TTL
   * and creation path; `token` is used up and revoked once the new one holds the response.
   */
  async rewrap(token: string): Promise<Response> {
    return this.take(token, async (stored, entry, info) =>
      this.wrap(stored, { ttl: info.creation_ttl || entry.creationTtl, path: info.creation_path }),
    );
  }

  /** What `token` says about itself; its use is not spent. */
  async lookup(token: string): Promise<WrappingLookup> {
    const entry = await this.wrappingEntry(token);
    const info = await this.readInfo(entry);
    return {
      creationPath: info.creation_path,
      creationTime: info.creation_time,
      creationTtl: info.creation_ttl,
    };
  }

  /**
   * Spends the use of the wrapping token `token`, hands its response to `then`, and revokes it
   * once `then` resolved (or rejected: the use is spent either way, so the token is useless).
   */
  private async take<T>(
    token: string,
    then: (stored: StoredResponse, entry: TokenEntry, info: StoredWrapInfo) => Promise<T>,
  ): Promise<T> {
    const entry = await this.wrappingEntry(token);
    const use = await this.deps.tokens.use(entry);
    if (use === null) throw new InvalidRequestError(INVALID_WRAPPING_TOKEN);
    try {
      const bytes = await this.deps.cubbyhole.get(
        cubbyholePath(entry.hashedId, WRAPPED_RESPONSE_KEY),
      );
      if (bytes === undefined) throw new InvalidRequestError(INVALID_WRAPPING_TOKEN);
      const record = decodeJson<{ response: string }>(bytes);
      const stored = JSON.parse(record.response) as StoredResponse;
      return await then(stored, entry, await this.readInfo(entry));
    } finally {
      await this.revokeQuietly(use.entry);
    }
  }

  /** The live entry of `token` when it is a wrapping token; the one 400 otherwise. */
  private async wrappingEntry(token: string): Promise<TokenEntry> {
    const entry = token.length === 0 ? null : await this.deps.tokens.lookup(token);
    if (entry === null || !isWrappingToken(entry)) {
      throw new InvalidRequestError(INVALID_WRAPPING_TOKEN);
    }
    return entry;
  }

  private async readInfo(entry: TokenEntry): Promise<StoredWrapInfo> {
    const bytes = await this.deps.cubbyhole.get(cubbyholePath(entry.hashedId, WRAP_INFO_KEY));
    if (bytes !== undefined) return decodeJson<StoredWrapInfo>(bytes);
    return {
      creation_ttl: entry.creationTtl,
      creation_time: new Date(entry.creationTime * 1000).toISOString(),
      creation_path: entry.path,
    };
  }

  /**
   * Revokes a wrapping token whose use is spent. A failure only delays the cleanup: the token
   * answers no lookup any more, and the expiration manager revokes it at its TTL.
   */
  private async revokeQuietly(entry: TokenEntry): Promise<void> {
    try {
      await this.deps.tokens.revoke(entry);
    } catch (err) {
      this.deps.log.warn({ err, accessor: entry.accessor }, 'failed to revoke a wrapping token');
    }
  }
}

/** True for a token the core made to wrap a response. */
export function isWrappingToken(entry: TokenEntry): boolean {
  return (
    entry.type === 'service' &&
    entry.policies.length === 1 &&
    entry.policies[0] === RESPONSE_WRAPPING_POLICY_NAME
  );
}
