/**
 * Typed request fields. A path declares its fields with a type and a description; handlers read
 * them through {@link FieldData}, which converts what JSON bodies and query strings carry (a
 * version arrives as `3` in a body and `"3"` in a query) and refuses what cannot be converted
 * with a 400 that names the field.
 */
import { parseDurationSeconds } from './durations.js';
import { InvalidRequestError } from './errors.js';
import { invariant } from '../util/assert.js';

export type FieldType = 'string' | 'int' | 'bool' | 'map' | 'duration' | 'string-list';

export interface FieldSchema {
  readonly type: FieldType;
  readonly description: string;
  /** The value when the field is absent; each type has a zero value otherwise. */
  readonly default?: unknown;
}

export type FieldSchemas = Readonly<Record<string, FieldSchema>>;

const ZERO: Record<FieldType, () => unknown> = {
  string: () => '',
  int: () => 0,
  bool: () => false,
  map: () => ({}),
  duration: () => 0,
  'string-list': () => [],
};

// Go's strconv.ParseBool spellings, which Vault accepts in query strings.
const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The raw values of one request's fields, read through their schemas. */
export class FieldData {
  /**
   * @param raw the request data merged with the path's captures (captures win)
   * @param schemas the path's declared fields
   */
  constructor(
    private readonly raw: Readonly<Record<string, unknown>>,
    private readonly schemas: FieldSchemas,
  ) {}

  /** True when the request carried `name` (a default does not count). */
  has(name: string): boolean {
    return Object.hasOwn(this.raw, name) && this.raw[name] !== undefined && this.raw[name] !== null;
  }

  string(name: string): string {
    return this.read(name, 'string', (value) => {
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return undefined;
    });
  }

  int(name: string): number {
    return this.read(name, 'int', (value) => {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
      return undefined;
    });
  }

  bool(name: string): boolean {
    return this.read(name, 'bool', (value) => {
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      if (typeof value === 'string' && TRUE_WORDS.has(value)) return true;
      if (typeof value === 'string' && FALSE_WORDS.has(value)) return false;
      return undefined;
    });
  }

  map(name: string): Record<string, unknown> {
    return this.read(name, 'map', (value) => (isPlainObject(value) ? value : undefined));
  }

  /** Whole seconds, from a number of seconds or a Go duration string. */
  duration(name: string): number {
    return this.read(name, 'duration', (value) => parseDurationSeconds(value, name));
  }

  /** From a JSON array of strings or a comma-separated string. */
  stringList(name: string): string[] {
    return this.read(name, 'string-list', (value) => {
      if (typeof value === 'string') {
        return value.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
      }
      if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
        return [...value] as string[];
      }
      return undefined;
    });
  }

  /** Names the request carried that the path does not declare, sorted. */
  unknownFields(): string[] {
    return Object.keys(this.raw)
      .filter((name) => !Object.hasOwn(this.schemas, name))
      .sort();
  }

  private read<T>(name: string, type: FieldType, convert: (value: unknown) => T | undefined): T {
    const schema = this.schemas[name];
    invariant(schema !== undefined && schema.type === type, 'field read with its declared type', {
      name,
      type,
    });
    if (!this.has(name)) return (schema.default ?? ZERO[type]()) as T;
    const converted = convert(this.raw[name]);
    if (converted === undefined) {
      throw new InvalidRequestError(`invalid value for field "${name}": expected ${type}`, {
        field: name,
      });
    }
    return converted;
  }
}

/** True for a JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
