/**
 * Parsing ACL policies from HCL or JSON (vault-api.md §3, Vault's `docs/concepts/policies`):
 *
 * ```hcl
 * path "secret/data/app/*" {
 *   capabilities       = ["create", "read", "update"]
 *   allowed_parameters = { "ttl" = ["1h", "2h"], "*" = [] }
 *   min_wrapping_ttl   = "1s"
 * }
 * ```
 *
 * The same document in JSON is `{"path": {"secret/data/app/*": {"capabilities": [...]}}}`.
 * Every problem is an {@link InvalidPolicyError} naming the line it was found on. Unknown keys
 * are errors, so a typo never silently grants or drops a constraint. Parameter names such as
 * `__proto__` are plain data: parameter maps are `Map`s.
 */
import { parseDurationSeconds } from '../logical/durations.js';
import { LogicalError } from '../logical/errors.js';
import {
  hclBlocks,
  HclShapeError,
  HclSyntaxError,
  parseHcl,
  type HclDocument,
  type HclObject,
  type HclPath,
  type HclValue,
} from '../util/hcl.js';
import { InvalidPolicyError } from './errors.js';
import {
  CAPABILITIES,
  LEGACY_POLICIES,
  type Capability,
  type ParameterMap,
  type PathRule,
  type Policy,
} from './types.js';

/** Keys a `path` stanza may hold. `comment` is accepted and ignored, as in Vault. */
const RULE_KEYS = new Set([
  'comment',
  'policy',
  'capabilities',
  'allowed_parameters',
  'denied_parameters',
  'required_parameters',
  'min_wrapping_ttl',
  'max_wrapping_ttl',
]);

/** Keys Vault Enterprise or OpenBao accept that Coffer does not implement. */
const UNSUPPORTED_RULE_KEYS = new Set([
  'control_group',
  'mfa_methods',
  'subscribe_event_types',
  'pagination_limit',
  'expiration',
  'list_scan_response_keys_filter_path',
]);

/** Top-level keys; `name` is accepted and ignored, as in Vault (the name comes from the API). */
const TOP_KEYS = new Set(['path', 'name']);

/**
 * Parses the text of policy `name` (already normalised by the caller). The text is JSON when it
 * starts with `{`, HCL otherwise.
 *
 * @throws InvalidPolicyError when the text is not a valid policy; the message names the line.
 */
export async function parsePolicy(name: string, raw: string): Promise<Policy> {
  let doc: HclDocument;
  try {
    doc = await parseHcl('policy', raw);
  } catch (err) {
    if (err instanceof HclSyntaxError) throw new InvalidPolicyError(err.reason, err.line);
    throw err;
  }

  const reader = new RuleReader(doc);
  reader.checkKeys(doc.body, [], TOP_KEYS, new Set());
  if (doc.body.name !== undefined && typeof doc.body.name !== 'string') {
    reader.fail(['name'], '"name" must be a string');
  }

  // In HCL, path blocks always arrive as a map keyed by their label; an array here is a block
  // written without one, whose first argument would otherwise be taken for the label.
  if (doc.format === 'hcl' && Array.isArray(doc.body.path)) {
    const reason = 'a "path" block needs its pattern as a label: path "<pattern>" { ... }';
    reader.fail(['path'], reason);
  }

  let blocks;
  try {
    blocks = hclBlocks(doc, doc.body.path, ['path'], 1);
  } catch (err) {
    if (err instanceof HclShapeError) throw new InvalidPolicyError(err.reason, err.line);
    throw err;
  }
  const rules = blocks.map((block) => reader.rule(block.labels[0] ?? '', block.body, block.path));
  // The HCL tree sorts blocks by label; source order reads better in messages and listings.
  rules.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { name, raw, rules };
}

/** Reads stanzas of one document, failing with the line of the offending key or value. */
class RuleReader {
  constructor(private readonly doc: HclDocument) {}

  fail(path: HclPath, reason: string): never {
    throw new InvalidPolicyError(reason, this.doc.positionOf(path)?.line);
  }

  checkKeys(
    body: HclObject,
    at: HclPath,
    known: ReadonlySet<string>,
    unsupported: ReadonlySet<string>,
  ): void {
    for (const key of Object.keys(body)) {
      if (known.has(key)) continue;
      if (unsupported.has(key)) this.fail([...at, key], `"${key}" is not supported by Coffer`);
      this.fail([...at, key], `unknown key "${key}"`);
    }
  }

  rule(written: string, body: HclObject, at: HclPath): PathRule {
    this.checkKeys(body, at, RULE_KEYS, UNSUPPORTED_RULE_KEYS);
    const pattern = written.startsWith('/') ? written.slice(1) : written;
    if (pattern.includes('+*')) {
      this.fail(at, `path "${written}": "+*" is not a valid wildcard; write "+/*" or "+"`);
    }

    const capabilities = this.capabilities(body, at);
    const minWrappingTtl = this.duration(body, at, 'min_wrapping_ttl');
    const maxWrappingTtl = this.duration(body, at, 'max_wrapping_ttl');
    if (minWrappingTtl > 0 && maxWrappingTtl > 0 && maxWrappingTtl < minWrappingTtl) {
      const reason = 'max_wrapping_ttl cannot be less than min_wrapping_ttl';
      this.fail([...at, 'max_wrapping_ttl'], reason);
    }

    return {
      pattern,
      capabilities,
      requiredParameters: this.stringList(body, at, 'required_parameters'),
      allowedParameters: this.parameters(body, at, 'allowed_parameters'),
      deniedParameters: this.parameters(body, at, 'denied_parameters'),
      minWrappingTtl,
      maxWrappingTtl,
      line: this.doc.positionOf(at)?.line,
    };
  }

  /** `capabilities` plus the legacy `policy` shorthand; `deny` anywhere leaves only `deny`. */
  private capabilities(body: HclObject, at: HclPath): Capability[] {
    const granted = new Set<Capability>();
    const legacy = body.policy;
    if (legacy !== undefined) {
      if (typeof legacy !== 'string' || !Object.hasOwn(LEGACY_POLICIES, legacy)) {
        const expected = 'expected "read", "write", "deny" or "sudo"';
        this.fail([...at, 'policy'], `invalid policy ${JSON.stringify(legacy)}: ${expected}`);
      }
      for (const capability of LEGACY_POLICIES[legacy] ?? []) granted.add(capability);
    }

    const listed = body.capabilities;
    if (listed !== undefined) {
      if (!Array.isArray(listed)) {
        this.fail([...at, 'capabilities'], '"capabilities" must be a list of strings');
      }
      listed.forEach((item, index) => {
        if (typeof item !== 'string' || !(CAPABILITIES as readonly string[]).includes(item)) {
          this.fail([...at, 'capabilities', index], `unknown capability ${JSON.stringify(item)}`);
        }
        granted.add(item as Capability);
      });
    }

    if (granted.has('deny')) return ['deny'];
    return CAPABILITIES.filter((capability) => granted.has(capability));
  }

  private duration(body: HclObject, at: HclPath, key: string): number {
    const value = body[key];
    if (value === undefined || value === null) return 0;
    try {
      return parseDurationSeconds(value, key);
    } catch (err) {
      if (!(err instanceof LogicalError)) throw err;
      return this.fail([...at, key], `invalid duration for "${key}": ${JSON.stringify(value)}`);
    }
  }

  private stringList(body: HclObject, at: HclPath, key: string): string[] {
    const value = body[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      this.fail([...at, key], `"${key}" must be a list of strings`);
    }
    return [...(value as string[])];
  }

  /**
   * A parameter map: `{ name = [values] }`. HCL 1's block form (`allowed_parameters { ... }`)
   * arrives as a list of objects, which are merged. Names are lower-cased, as Vault compares them.
   */
  private parameters(body: HclObject, at: HclPath, key: string): ParameterMap | undefined {
    const value = body[key];
    if (value === undefined || value === null) return undefined;
    const parts: [HclObject, HclPath][] = [];
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        if (!isObject(item)) this.fail([...at, key, index], `"${key}" must be a map of lists`);
        parts.push([item, [...at, key, index]]);
      });
    } else if (isObject(value)) {
      parts.push([value, [...at, key]]);
    } else {
      this.fail([...at, key], `"${key}" must be a map of lists`);
    }

    const out = new Map<string, unknown[]>();
    for (const [object, path] of parts) {
      for (const [name, values] of Object.entries(object)) {
        if (!Array.isArray(values)) {
          this.fail([...path, name], `"${key}" entry "${name}" must be a list of values`);
        }
        // An empty list (any value) absorbs any other list given for the same name.
        const lower = name.toLowerCase();
        const copied = values.map(copyValue);
        const before = out.get(lower);
        if (before === undefined) out.set(lower, copied);
        else if (before.length === 0 || copied.length === 0) out.set(lower, []);
        else out.set(lower, [...before, ...copied]);
      }
    }
    return out;
  }
}

function isObject(value: HclValue | undefined): value is HclObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A detached copy of a literal, so a parsed policy shares nothing with the document tree. */
function copyValue(value: HclValue): unknown {
  if (Array.isArray(value)) return value.map(copyValue);
  if (isObject(value)) {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [key, item] of Object.entries(value)) out[key] = copyValue(item);
    return out;
  }
  return value;
}
