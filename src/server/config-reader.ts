import path from 'node:path';
import { formatHclPath, HclShapeError, hclBlocks } from '../util/hcl.js';
import type { HclDocument, HclObject, HclPath, HclValue } from '../util/hcl.js';
import { ConfigError } from './config-errors.js';
import {
  parseBoolean,
  parseDuration,
  parseHostPort,
  parseInteger,
  parseSize,
  parseUrl,
  suggestKey,
} from './config-values.js';
import type { HostPort } from './config-values.js';

/** The keys a section accepts, and the Vault keys it recognises but Coffer does not support. */
export interface SectionKeys {
  readonly known: readonly string[];
  readonly vaultOnly?: readonly string[];
}

/**
 * One body of a config document (the top level or a block) with typed readers for its keys.
 * Every reader returns `undefined` for a key that is absent or `null`, and throws a
 * {@link ConfigError} naming the file, line and key for a value it cannot accept.
 */
export class ConfigSection {
  private constructor(
    readonly doc: HclDocument,
    readonly body: HclObject,
    readonly path: HclPath,
    /** How messages name this section: `listener "tcp"`, or '' for the top level. */
    readonly name: string,
    readonly labels: readonly string[],
  ) {}

  /** The top level of `doc`, after checking its keys against `keys`. */
  static root(doc: HclDocument, keys: SectionKeys): ConfigSection {
    const root = new ConfigSection(doc, doc.body, [], '', []);
    root.checkKeys(keys);
    return root;
  }

  /** The line this section starts on (the block's first line, or 1 for the top level). */
  get line(): number {
    return this.path.length === 0 ? 1 : (this.doc.positionOf(this.path)?.line ?? 1);
  }

  /** Throws a {@link ConfigError} at `key` (or at the section itself when `key` is undefined). */
  fail(key: string | undefined, reason: string): never {
    const at = key === undefined ? this.path : [...this.path, key];
    const line = at.length === 0 ? undefined : this.doc.positionOf(at)?.line;
    const keyPath = key === undefined ? undefined : formatHclPath(at);
    throw new ConfigError(this.doc.filename, line, keyPath, reason);
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'string') return value;
    return this.wrongType(key, 'a string', value);
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') return this.missing(key);
    return value;
  }

  boolean(key: string): boolean | undefined {
    return this.convert(key, parseBoolean, 'a boolean (true or false)');
  }

  integer(key: string, min: number, max: number): number | undefined {
    const value = this.convert(key, parseInteger, 'an integer');
    if (value !== undefined && (value < min || value > max)) {
      this.fail(key, `${this.keyName(key)} must be between ${min} and ${max}, not ${value}`);
    }
    return value;
  }

  /** A string matching `pattern`; `wanted` describes the form in the type error. */
  matching(key: string, pattern: RegExp, wanted: string): string | undefined {
    const match = (value: HclValue) =>
      typeof value === 'string' && pattern.test(value) ? value : undefined;
    return this.convert(key, match, wanted);
  }

  /** A duration in milliseconds. */
  duration(key: string): number | undefined {
    return this.convert(key, parseDuration, 'a duration such as "768h", "30m" or 3600 (seconds)');
  }

  /** A size in bytes. */
  size(key: string): number | undefined {
    return this.convert(key, parseSize, 'a size such as 33554432 or "32MiB"');
  }

  /** A file path, resolved against the config file's directory. */
  filePath(key: string): string | undefined {
    const value = this.string(key);
    if (value === '') return this.missing(key);
    return value === undefined ? undefined : path.resolve(path.dirname(this.doc.filename), value);
  }

  requiredFilePath(key: string): string {
    return this.filePath(key) ?? this.missing(key);
  }

  url(key: string, schemes: readonly string[]): string | undefined {
    const alternatives = schemes.map((scheme) => `${scheme}://`).join(' or ');
    const wanted = `a URL starting with ${alternatives}`;
    return this.convert(key, (value) => parseUrl(value, schemes), wanted);
  }

  hostPort(key: string): HostPort | undefined {
    return this.convert(key, parseHostPort, 'an address such as "127.0.0.1:8200" or "[::1]:8200"');
  }

  /**
   * The blocks under `key`, each with `labelCount` labels and its keys checked against `keys`
   * (a function of the labels, for blocks whose keys depend on their type).
   */
  blocks(
    key: string,
    labelCount: number,
    keys: SectionKeys | ((labels: readonly string[]) => SectionKeys | undefined),
  ): ConfigSection[] {
    let blocks;
    try {
      blocks = hclBlocks(this.doc, this.raw(key), [...this.path, key], labelCount);
    } catch (error) {
      if (!(error instanceof HclShapeError)) throw error;
      throw new ConfigError(this.doc.filename, error.line, formatHclPath(error.path), error.reason);
    }
    return blocks.map((block) => {
      const title = [key, ...block.labels.map((label) => JSON.stringify(label))].join(' ');
      const name = this.name === '' ? title : `${title} in ${this.name}`;
      const section = new ConfigSection(this.doc, block.body, block.path, name, block.labels);
      const expected = typeof keys === 'function' ? keys(block.labels) : keys;
      if (expected !== undefined) section.checkKeys(expected);
      return section;
    });
  }

  /** Names a key of this section in messages: `"address" in listener "tcp"`. */
  keyName(key: string): string {
    return this.name === '' ? `"${key}"` : `"${key}" in ${this.name}`;
  }

  missing(key: string): never {
    const where = this.name === '' ? '' : ` in ${this.name}`;
    return this.fail(undefined, `missing required key "${key}"${where}`);
  }

  private raw(key: string): HclValue | undefined {
    if (!Object.prototype.hasOwnProperty.call(this.body, key)) return undefined;
    return this.body[key] ?? undefined;
  }

  private convert<T>(
    key: string,
    parse: (value: HclValue) => T | undefined,
    wanted: string,
  ): T | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    return parse(value) ?? this.wrongType(key, wanted, value);
  }

  private wrongType(key: string, wanted: string, value: HclValue): never {
    return this.fail(key, `${this.keyName(key)} must be ${wanted}, not ${describe(value)}`);
  }

  /** Rejects keys outside `keys.known`, naming the closest known key when one is near. */
  private checkKeys(keys: SectionKeys): void {
    const where = this.name === '' ? '' : ` in ${this.name}`;
    for (const key of Object.keys(this.body)) {
      if (keys.known.includes(key)) continue;
      if (keys.vaultOnly?.includes(key)) {
        this.fail(key, `key "${key}"${where} is a Vault setting that Coffer does not support`);
      }
      const suggestion = suggestKey(key, keys.known);
      const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
      this.fail(key, `unknown key "${key}"${where}${hint}`);
    }
  }
}

/** Describes a value for a type error: `the string "maybe"`, `a list`. */
function describe(value: HclValue): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a block or map';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  return `the ${typeof value} ${String(value)}`;
}
