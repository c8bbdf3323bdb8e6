/**
 * Request bodies to logical request data. Vault reads a JSON object (or a form, by its
 * `Content-Type`), and refuses what could hurt the server before parsing it: nesting deeper than
 * 500 levels, strings longer than 1 MiB (reliability.md, "Security bad-input matrix"). Every
 * refusal is a 400 `failed to parse JSON input`; the message never quotes the input.
 */
import { InvalidRequestError } from '../logical/errors.js';
import { isPlainObject } from '../logical/fields.js';

/** Vault's `max_json_depth`. */
export const MAX_JSON_DEPTH = 500;
/** Vault's `max_json_string_value_length`, in UTF-16 code units. */
export const MAX_JSON_STRING_LENGTH = 1024 * 1024;

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * The data a body carries: `{}` for an empty body, the fields of a form, or the JSON object
 * (whatever the `Content-Type`, as Vault reads it). Throws `InvalidRequestError` otherwise.
 */
export function decodeBody(
  body: Buffer | undefined,
  contentType: string | undefined,
): Record<string, unknown> {
  if (body === undefined || body.length === 0) return {};
  const text = body.toString('utf8');
  // curl -d sends JSON as a form; like Vault, a form body that opens with `{` is read as JSON.
  if (mediaType(contentType) === FORM_TYPE && !text.trimStart().startsWith('{')) {
    return decodeForm(text);
  }
  return decodeJsonObject(text);
}

/** The media type of a `Content-Type` value, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function decodeJsonObject(text: string): Record<string, unknown> {
  if (nestingDepth(text) > MAX_JSON_DEPTH) throw parseError('nesting too deep');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw parseError('invalid JSON', cause);
  }
  if (!isPlainObject(value)) throw parseError('the body must be a JSON object');
  if (hasLongString(value)) throw parseError('string value too long');
  return value;
}

/** The deepest nesting of objects and arrays, read without parsing (so without recursion). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++; // a backslash escapes the next character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b || char === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (char === 0x7d || char === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

/** True when a string (value or key) anywhere in `value` is over the limit. */
function hasLongString(value: unknown): boolean {
  if (typeof value === 'string') return value.length > MAX_JSON_STRING_LENGTH;
  if (Array.isArray(value)) return value.some(hasLongString);
  if (isPlainObject(value)) {
    return Object.entries(value).some(
      ([key, item]) => key.length > MAX_JSON_STRING_LENGTH || hasLongString(item),
    );
  }
  return false;
}

/** Form fields; a repeated field keeps its first value, as Vault's form reader does. */
function decodeForm(text: string): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(data, key)) continue;
    Object.defineProperty(data, key, { value, enumerable: true, writable: true });
  }
  return data;
}

function parseError(reason: string, cause?: unknown): InvalidRequestError {
  return new InvalidRequestError(`failed to parse JSON input: ${reason}`, {}, { cause });
}
