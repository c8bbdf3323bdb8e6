/**
 * The options of the `file` audit device (vault-api.md §7, "File device"), checked when the
 * device is enabled so a typo fails the `sys/audit` call with a 400 instead of failing every
 * later request. Values arrive as strings, as `vault audit enable file key=value` sends them.
 */
import { isAbsolute } from 'node:path';

import { InvalidRequestError } from '../logical/errors.js';
import { DEFAULT_FORMAT_OPTIONS, type FormatOptions } from './format.js';

/** Where a file device writes: a file, the process's standard output, or nowhere. */
export type FileTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdout' }
  | { readonly kind: 'discard' };

export interface FileDeviceOptions {
  readonly target: FileTarget;
  /**
   * The permission bits the file is given (never an executable bit), or null for `mode="0000"`,
   * which leaves an existing file's mode alone and creates a new one with 0600.
   */
  readonly mode: number | null;
  /** Written before each line's JSON. */
  readonly prefix: string;
  readonly format: FormatOptions;
}

const DEFAULT_MODE = 0o600;

const KNOWN = new Set([
  'file_path',
  'path',
  'mode',
  'prefix',
  'hmac_accessor',
  'log_raw',
  'elide_list_responses',
  'format',
]);

// Go's strconv.ParseBool spellings, which Vault accepts for boolean options.
const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * Reads a file device's options.
 *
 * @throws InvalidRequestError (400) for an unknown option, a missing or relative `file_path`, a
 *   mode that is not octal or has an executable or special bit, a prefix with a line break, a
 *   boolean that is not one, or a `format` other than `json`.
 */
export function parseFileOptions(options: Readonly<Record<string, string>>): FileDeviceOptions {
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) {
      throw new InvalidRequestError(`unknown option "${name}" for the file audit device`, {
        option: name,
      });
    }
  }

  const format = options.format ?? 'json';
  if (format !== 'json') {
    throw new InvalidRequestError('the file audit device only supports format "json"', {
      option: 'format',
    });
  }

  const prefix = options.prefix ?? '';
  if (/[\r\n]/.test(prefix)) {
    throw new InvalidRequestError('prefix may not contain a line break', { option: 'prefix' });
  }

  return {
    target: parseTarget(options.file_path ?? options.path),
    mode: parseMode(options.mode),
    prefix,
    format: {
      hmacAccessor: parseBool(options, 'hmac_accessor', DEFAULT_FORMAT_OPTIONS.hmacAccessor),
      logRaw: parseBool(options, 'log_raw', DEFAULT_FORMAT_OPTIONS.logRaw),
      elideListResponses: parseBool(
        options,
        'elide_list_responses',
        DEFAULT_FORMAT_OPTIONS.elideListResponses,
      ),
    },
  };
}

/** The file path `options` name, or undefined for `stdout`, `discard` or no path at all. */
export function filePathOf(options: Readonly<Record<string, string>>): string | undefined {
  const raw = options.file_path ?? options.path;
  return raw === undefined || raw === 'stdout' || raw === 'discard' ? undefined : raw;
}

function parseTarget(raw: string | undefined): FileTarget {
  if (raw === undefined || raw === '') {
    throw new InvalidRequestError('file_path is required', { option: 'file_path' });
  }
  if (raw === 'stdout') return { kind: 'stdout' };
  if (raw === 'discard') return { kind: 'discard' };
  if (!isAbsolute(raw) || raw.includes('\0')) {
    throw new InvalidRequestError('file_path must be an absolute path, "stdout" or "discard"', {
      option: 'file_path',
    });
  }
  return { kind: 'file', path: raw };
}

function parseMode(raw: string | undefined): number | null {
  if (raw === undefined || raw === '') return DEFAULT_MODE;
  if (!/^0?[0-7]{3}$/.test(raw)) {
    throw new InvalidRequestError(`mode must be an octal string such as "0600"`, {
      option: 'mode',
    });
  }
  const mode = parseInt(raw, 8);
  if (mode === 0) return null;
  // An audit log is data: an executable bit on it is a mistake at best.
  if ((mode & 0o111) !== 0) {
    throw new InvalidRequestError('mode may not make the audit file executable', {
      option: 'mode',
    });
  }
  return mode;
}

function parseBool(
  options: Readonly<Record<string, string>>,
  name: string,
  fallback: boolean,
): boolean {
  const raw = options[name];
  if (raw === undefined || raw === '') return fallback;
  if (TRUE_WORDS.has(raw)) return true;
  if (FALSE_WORDS.has(raw)) return false;
  throw new InvalidRequestError(`option "${name}" must be a boolean`, { option: name });
}
