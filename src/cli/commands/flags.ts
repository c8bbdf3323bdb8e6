/**
 * Parsers for flag values that Vault's Go flags accept and commander does not by itself.
 */
import { InvalidArgumentError } from 'commander';

/** A boolean flag value the way Go's `strconv.ParseBool` reads it (`-renewable=false`). */
export function readBool(value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new InvalidArgumentError('expected true or false');
}
