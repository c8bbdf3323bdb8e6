/**
 * `key=value` arguments, the way Vault's CLI reads data for `write`, `kv put` and logins:
 * `key=value` sets a string, `key=@file` the file's contents, `key=-` what stdin holds; a lone `-`
 * reads a JSON object from stdin and a lone `@file` one from a file. A key given twice becomes a
 * list of its values. Stdin may be read once per command.
 */
import { readFile } from 'node:fs/promises';

import { LocalError, UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { isObject } from './output.js';

/**
 * Builds the data object from `args`.
 * @throws UsageError for an argument that is not `key=value`, or stdin read twice.
 * @throws LocalError when a named file cannot be read.
 */
export async function parseKeyValues(
  args: readonly string[],
  io: CliIo,
): Promise<Record<string, unknown>> {
  const data: Record<string, unknown> = {};
  let stdinUsed = false;
  const stdin = async (): Promise<string> => {
    if (stdinUsed) throw new UsageError('Standard input can be read only once (one "-" at most)');
    stdinUsed = true;
    return (await io.readStdin?.())?.toString('utf8') ?? '';
  };

  for (const [index, arg] of args.entries()) {
    if (arg === '-' || (arg.startsWith('@') && !arg.includes('='))) {
      const text = arg === '-' ? await stdin() : await readArgFile(arg.slice(1));
      Object.assign(data, parseJsonObject(text, arg === '-' ? 'standard input' : arg.slice(1)));
      continue;
    }
    const at = arg.indexOf('=');
    if (at <= 0) {
      // The argument itself is not quoted: it may be a mistyped secret.
      throw new UsageError(`Invalid key/value pair (data argument ${index + 1}): use key=value`);
    }
    const key = arg.slice(0, at);
    const raw = arg.slice(at + 1);
    let value: string;
    if (raw === '-') value = await stdin();
    else if (raw.startsWith('@')) value = await readArgFile(raw.slice(1));
    else value = raw;
    add(data, key, value);
  }
  return data;
}

/** Reads a file named on the command line, with a local error that names it. */
export async function readArgFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new LocalError(`Error reading file ${path}`, { cause });
  }
}

function add(data: Record<string, unknown>, key: string, value: string): void {
  const existing = data[key];
  if (existing === undefined) data[key] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else data[key] = [existing, value];
}

function parseJsonObject(text: string, source: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`Error parsing JSON from ${source}`);
  }
  if (!isObject(parsed)) throw new UsageError(`Expected a JSON object in ${source}`);
  return parsed;
}
