/**
 * Parsers for flag values that Vault's Go flags accept and commander does not by itself.
 */
import { InvalidArgumentError } from 'commander';

/** A boolean the way Go's `strconv.ParseBool` reads it; undefined when it is not one. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** A boolean flag value the way Go's `strconv.ParseBool` reads it (`-renewable=false`). */
export function readBool(value: string): boolean {
  const parsed = parseGoBool(value);
  if (parsed === undefined) throw new InvalidArgumentError('expected true or false');
  return parsed;
}
