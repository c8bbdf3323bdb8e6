/** Role and CRL names: Vault's generic name rule, lower-cased (Vault's cert auth docs). */
import { InvalidRequestError, type FieldData } from '../../logical/index.js';

/** A path segment capturing `name`: word characters, `-` and `.` inside, a word at each end. */
export const NAME_PATTERN = '(?<name>\\w(?:[\\w.-]*\\w)?)';

/** The request's `name`, lower-cased. */
export function nameField(fields: FieldData): string {
  const name = fields.string('name').trim().toLowerCase();
  if (name.length === 0) throw new InvalidRequestError('missing name', { field: 'name' });
  return name;
}

/** A list field with its entries trimmed and empty ones dropped, or `current` when absent. */
export function listField(
  fields: FieldData,
  name: string,
  current: readonly string[] = [],
): readonly string[] {
  if (!fields.has(name)) return current;
  return fields
    .stringList(name)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}
