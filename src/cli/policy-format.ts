/**
 * `policy fmt`: an ACL policy rewritten in one canonical layout. The policy is parsed with
 * Coffer's HCL reader (HCL or JSON in, HCL out), so a policy that does not parse is refused
 * before anything is written. Layout: top-level arguments first, then one `path "<glob>" { }`
 * block per path in source order, a blank line between blocks, two-space indents and the `=`
 * of a block's arguments aligned.
 *
 * Comments do not survive: the parser drops them.
 */
import { hclBlocks, parseHcl, type HclObject, type HclValue } from '../util/hcl.js';

/**
 * Formats `text` (read from `filename`, which only names it in errors).
 * @throws HclSyntaxError or HclShapeError when the text is not a policy document.
 */
export async function formatPolicy(filename: string, text: string): Promise<string> {
  const doc = await parseHcl(filename, text);
  const sections: string[] = [];

  const topLevel = Object.entries(doc.body).filter(([key]) => key !== 'path');
  if (topLevel.length > 0) sections.push(attributes(topLevel, 0));

  const blocks = hclBlocks(doc, doc.body.path, ['path'], 1);
  const at = (path: readonly (string | number)[]) => doc.positionOf(path) ?? { line: 0, column: 0 };
  blocks.sort((a, b) => {
    const pa = at(a.path);
    const pb = at(b.path);
    return pa.line - pb.line || pa.column - pb.column;
  });
  for (const block of blocks) {
    const inner = attributes(Object.entries(block.body), 1);
    const label = JSON.stringify(block.labels[0] ?? '');
    sections.push(inner === '' ? `path ${label} {\n}\n` : `path ${label} {\n${inner}}\n`);
  }
  return sections.join('\n');
}

/** `name = value` lines at `depth`, with the `=` signs aligned. */
function attributes(entries: readonly [string, HclValue][], depth: number): string {
  const indent = '  '.repeat(depth);
  const names = entries.map(([key]) => identifier(key));
  const width = Math.max(0, ...names.map((name) => name.length));
  return entries
    .map(([, value], index) => {
      const name = names[index] ?? '';
      return `${indent}${name.padEnd(width)} = ${literal(value, depth)}\n`;
    })
    .join('');
}

function literal(value: HclValue, depth: number): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((item) => literal(item, depth)).join(', ')}]`;
  const entries = Object.entries(value as HclObject);
  if (entries.length === 0) return '{}';
  const body = attributes(entries, depth + 1);
  return `{\n${body}${'  '.repeat(depth)}}`;
}

/** A bare name when HCL allows one, a quoted string otherwise. */
function identifier(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
}
