/**
 * Named ACL policies in storage, and the ACLs built from them. The core hands the store the
 * `sys/policy/` view of the barrier; each policy is one entry, keyed by its name, holding
 * `{ name, type, raw }` as JSON. Only the text is stored: it is parsed again after loading, so a
 * stored policy always means what the current parser says it means.
 *
 * Built-in policies: `root` is implicit (never stored, never written or deleted, and it
 * short-circuits every check); `default` is written on first open and may be edited, not
 * deleted; `response-wrapping` (the policy of wrapping tokens) is never stored, and can be
 * neither written nor deleted.
 *
 * Caching: every {@link PolicyStore.acl} call reads the named entries again, which is cheap, and
 * reuses the parsed policy (and the built ACL) only while the stored text is unchanged. A policy
 * written through another node therefore takes effect here on the very next request, with no
 * invalidation message needed; parsing, the expensive part, happens once per text.
 */
import {
  InternalError,
  InvalidRequestError,
  StorageConditionFailedError,
} from '../logical/errors.js';
import { decodeJson, encodeJson, type Storage } from '../logical/storage.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { Acl, ROOT_POLICY } from './acl.js';
import { DEFAULT_POLICY, DEFAULT_POLICY_NAME } from './default-policy.js';
import { parsePolicy } from './parse.js';
import {
  RESPONSE_WRAPPING_POLICY,
  RESPONSE_WRAPPING_POLICY_NAME,
} from './response-wrapping-policy.js';
import type { Policy } from './types.js';

/** What is stored per policy. */
interface StoredPolicy {
  readonly name: string;
  readonly type: 'acl';
  readonly raw: string;
}

export interface PolicyStoreOptions {
  readonly logger?: Logger;
  /** How many parsed policies and built ACLs to keep; 256 each unless given. */
  readonly cacheSize?: number;
}

/**
 * The canonical form of a policy name: without surrounding spaces, lower-cased, as Vault
 * normalises names on every call.
 */
export function normalizePolicyName(name: string): string {
  return name.trim().toLowerCase();
}

export class PolicyStore {
  private readonly parsed = new BoundedCache<Policy>();
  private readonly acls = new BoundedCache<{ policies: readonly Policy[]; acl: Acl }>();
  private readonly logger: Logger;
  private responseWrapping: Promise<Policy> | null = null;

  private constructor(
    private readonly storage: Storage,
    options: PolicyStoreOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.parsed.limit = options.cacheSize ?? 256;
    this.acls.limit = options.cacheSize ?? 256;
  }

  /**
   * Opens the store over `storage` (the `sys/policy/` view), writing the `default` policy when
   * none is stored. The write is conditional, so nodes opening the store at once agree on one.
   * Call it where writes are possible (the active node).
   */
  static async open(storage: Storage, options: PolicyStoreOptions = {}): Promise<PolicyStore> {
    const store = new PolicyStore(storage, options);
    if ((await storage.get(DEFAULT_POLICY_NAME)) === undefined) {
      const value = encodeJson(stored(DEFAULT_POLICY_NAME, DEFAULT_POLICY));
      try {
        await storage.batch([
          { type: 'put', path: DEFAULT_POLICY_NAME, value, condition: { ifAbsent: true } },
        ]);
        store.logger.info({ policy: DEFAULT_POLICY_NAME }, 'created the default policy');
      } catch (err) {
        if (!(err instanceof StorageConditionFailedError)) throw err;
      }
    }
    return store;
  }

  /**
   * The policy called `name` (normalised), or undefined when there is none. `root` reads as a
   * policy with empty text and no rules, as in Vault.
   *
   * @throws InvalidRequestError when `name` is not a valid policy name.
   */
  async get(name: string): Promise<Policy | undefined> {
    const normalized = checkName(name);
    if (normalized === ROOT_POLICY) return { name: ROOT_POLICY, raw: '', rules: [] };
    return this.load(normalized);
  }

  /**
   * Parses `raw` and, when it is a valid policy, stores it as `name` (normalised), replacing any
   * policy of that name. Resolves to the parsed policy.
   *
   * @throws InvalidRequestError when the name is invalid or `root`, or `raw` is empty.
   * @throws InvalidPolicyError when `raw` is not a valid policy; nothing is written.
   */
  async put(name: string, raw: string): Promise<Policy> {
    const normalized = checkName(name);
    if (normalized === ROOT_POLICY || normalized === RESPONSE_WRAPPING_POLICY_NAME) {
      throw new InvalidRequestError(`cannot update "${normalized}" policy`);
    }
    if (raw.trim().length === 0) {
      throw new InvalidRequestError("'policy' parameter not supplied or empty");
    }

    const policy = await parsePolicy(normalized, raw);
    await this.storage.put(normalized, encodeJson(stored(normalized, raw)));
    this.parsed.set(normalized, policy);
    this.acls.clear();
    this.logger.info({ policy: normalized, rules: policy.rules.length }, 'policy written');
    return policy;
  }

  /**
   * Deletes the policy called `name` (normalised); deleting an absent policy succeeds. Tokens that
   * name it keep the name, which then grants nothing.
   *
   * @throws InvalidRequestError for `root`, `default` and invalid names.
   */
  async delete(name: string): Promise<void> {
    const normalized = checkName(name);
    if (
      normalized === ROOT_POLICY ||
      normalized === DEFAULT_POLICY_NAME ||
      normalized === RESPONSE_WRAPPING_POLICY_NAME
    ) {
      throw new InvalidRequestError(`cannot delete "${normalized}" policy`);
    }
    await this.storage.delete(normalized);
    this.parsed.delete(normalized);
    this.acls.clear();
    this.logger.info({ policy: normalized }, 'policy deleted');
  }

  /** The names of the stored policies, sorted; `root`, which is never stored, is not among them. */
  async list(): Promise<string[]> {
    const keys = await this.storage.list('');
    return keys.filter((key) => !key.endsWith('/'));
  }

  /**
   * The ACL of a token carrying `names`. Names are normalised and de-duplicated; a name with no
   * stored policy grants nothing. `root` among them gives the root ACL.
   *
   * @throws InternalError when a stored policy no longer parses: failing closed keeps a `deny` in
   *   it from being dropped.
   */
  async acl(names: readonly string[]): Promise<Acl> {
    const unique = [...new Set(names.map(normalizePolicyName))].filter((name) => name !== '');
    if (unique.includes(ROOT_POLICY)) return Acl.root();

    const policies: Policy[] = [];
    for (const name of unique) {
      const policy = await this.load(name);
      if (policy === undefined) {
        this.logger.debug({ policy: name }, 'token names a policy that does not exist');
      } else {
        policies.push(policy);
      }
    }

    const key = unique.join('\n');
    const cached = this.acls.get(key);
    const same =
      cached !== undefined &&
      cached.policies.length === policies.length &&
      cached.policies.every((policy, index) => policy === policies[index]);
    if (same) return cached.acl;
    const acl = Acl.fromPolicies(policies);
    this.acls.set(key, { policies, acl });
    return acl;
  }

  /**
   * Reads and parses a stored policy, reusing the parse while the text is unchanged. The built-in
   * `response-wrapping` policy is parsed once, never read from storage.
   */
  private async load(name: string): Promise<Policy | undefined> {
    if (name === RESPONSE_WRAPPING_POLICY_NAME) {
      this.responseWrapping ??= parsePolicy(name, RESPONSE_WRAPPING_POLICY);
      return this.responseWrapping;
    }
    const bytes = await this.storage.get(name);
    if (bytes === undefined) {
      this.parsed.delete(name);
      return undefined;
    }

    let entry: StoredPolicy;
    try {
      entry = decodeJson<StoredPolicy>(bytes);
    } catch (cause) {
      throw new InternalError('stored policy is damaged', { policy: name }, { cause });
    }
    const cached = this.parsed.get(name);
    if (cached !== undefined && cached.raw === entry.raw) return cached;

    try {
      const policy = await parsePolicy(name, entry.raw);
      this.parsed.set(name, policy);
      return policy;
    } catch (cause) {
      this.logger.error({ policy: name }, 'stored policy does not parse');
      throw new InternalError('stored policy does not parse', { policy: name }, { cause });
    }
  }
}

function stored(name: string, raw: string): StoredPolicy {
  return { name, type: 'acl', raw };
}

/**
 * Normalises `name` and refuses what cannot be a policy name: an empty name, a `/` (the name is
 * a storage key and a path segment), `.` or `..`, and control characters.
 */
function checkName(name: string): string {
  const normalized = normalizePolicyName(name);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  const invalid = /[\u0000-\u001f\u007f/]/.test(normalized);
  if (normalized === '' || normalized === '.' || normalized === '..' || invalid) {
    throw new InvalidRequestError(`invalid policy name ${JSON.stringify(name)}`);
  }
  return normalized;
}

/** A small least-recently-used map. */
class BoundedCache<T> {
  limit = 256;
  private readonly entries = new Map<string, T>();

  get(key: string): T | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
