/**
 * HCL and JSON documents as plain JSON trees that know where each key came from.
 *
 * Coffer reads two kinds of HCL: Vault's server configuration files and Vault's ACL policies. Both
 * may also be written as JSON. HCL is parsed by HashiCorp's own HCL 2 parser compiled to wasm
 * (`@cdktf/hcl2json`), which yields JSON with no source positions; a small structural scanner
 * below walks the same text again to record the line and column of every key path, so that a
 * config or policy error can point at a line.
 *
 * The tree ({@link HclDocument.body}) has this shape:
 * - an argument `name = value` becomes `body.name = value`; object expressions (`{ a = 1 }`) are
 *   plain objects and tuples (`["a", "b"]`) plain arrays;
 * - a block `type "l1" ... "lN" { ... }` becomes `body.type.l1...lN = [blockBody, ...]`: the
 *   innermost level is always an array holding every block of that type and labels, in source
 *   order, so `retry_join { }` twice gives `retry_join: [{...}, {...}]` and one `storage "raft" {}`
 *   gives `storage: { raft: [{}] }`;
 * - keys of HCL objects come out sorted by name; source order survives only inside arrays;
 * - JSON input is taken as written, so the same block may arrive as an object instead of a
 *   one-element array, or as an array of label maps (`"listener": [{"tcp": {...}}]`).
 * {@link hclBlocks} reads blocks from either shape, so consumers never handle them by hand.
 *
 * Only literal values are accepted, as in Vault's own HCL: `${...}` and `%{...}` templates, bare
 * identifiers and operators are rejected with an {@link HclSyntaxError}; `$${` and `%%{` are the
 * escapes for a literal `${` and `%{`. Known differences from Vault's HCL 1 parser: a single-line
 * block may hold only one argument, `key: value` is not accepted inside blocks, an argument may not
 * be set twice, and hex or octal number literals are not supported.
 */

import type * as Hcl2Json from '@cdktf/hcl2json';

/** A JSON value as found in a parsed document. */
export type HclValue = string | number | boolean | null | HclValue[] | HclObject;

/** A JSON object as found in a parsed document. */
export interface HclObject {
  [key: string]: HclValue;
}

/** A path into {@link HclDocument.body}: object keys and array indexes. */
export type HclPath = readonly (string | number)[];

/** A 1-based line and column in the source text. */
export interface HclPosition {
  readonly line: number;
  readonly column: number;
}

/** A parsed document: its JSON tree and the source position of each key path. */
export interface HclDocument {
  readonly filename: string;
  readonly format: 'hcl' | 'json';
  readonly body: HclObject;
  /**
   * Returns where `path` was written: the key of an argument or object member, the type name of a
   * block, the label of a label level, or the start of an array element. A path not found (a key
   * that is missing, a value that was never written) falls back to its nearest written ancestor;
   * the empty path, and a path with no written ancestor, give `undefined`.
   */
  positionOf(path: HclPath): HclPosition | undefined;
}

/** One block read by {@link hclBlocks}. */
export interface HclBlock {
  readonly labels: readonly string[];
  readonly body: HclObject;
  /** The path of `body` in the document, for {@link HclDocument.positionOf}. */
  readonly path: HclPath;
}

/** One diagnostic from the HCL parser. */
export interface HclDiagnostic {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

/**
 * Thrown by {@link parseHcl} when the text is not valid HCL or JSON, or uses an expression where
 * only a literal is accepted. `reason` is the message without the location prefix; `diagnostics`
 * holds every problem the parser reported, the first of which gives `line` and `column`.
 */
export class HclSyntaxError extends Error {
  readonly code = 'hcl_syntax';
  readonly status = 400;
  readonly line: number;
  readonly column: number;
  readonly reason: string;

  constructor(
    readonly file: string,
    readonly diagnostics: readonly HclDiagnostic[],
  ) {
    const first = diagnostics[0] ?? { line: 1, column: 1, reason: 'invalid document' };
    super(`${file}:${first.line}:${first.column}: ${first.reason}`);
    this.name = 'HclSyntaxError';
    this.line = first.line;
    this.column = first.column;
    this.reason = first.reason;
  }
}

/**
 * Thrown by {@link hclBlocks} when a value that should be a block is something else (a string,
 * a block with the wrong number of labels). The location is that of the offending value.
 */
export class HclShapeError extends Error {
  readonly code = 'hcl_shape';
  readonly status = 400;

  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly path: HclPath,
    readonly reason: string,
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${reason}`);
    this.name = 'HclShapeError';
  }
}

/**
 * Parses `text` as HCL, or as JSON when `filename` ends in `.json` or the text starts with `{`
 * or `[`. `filename` is used only in messages and positions. The first HCL parse in a process
 * loads the wasm parser (a few hundred milliseconds); later ones are fast.
 *
 * @throws HclSyntaxError when the text is not a valid document of literal values.
 */
export async function parseHcl(filename: string, text: string): Promise<HclDocument> {
  const source = text.replace(/^\uFEFF/, '');
  if (filename.endsWith('.json') || /^\s*[[{]/.test(source)) {
    const scanner = new JsonScanner(filename, source);
    return makeDocument(filename, 'json', scanner.parseDocument(), scanner.positions);
  }

  const raw = await runHcl2Json(filename, source);
  const positions = new HclLocator(filename, lexHcl(source)).locate();
  const body = literalTree(filename, raw, [], positions) as HclObject;
  return makeDocument(filename, 'hcl', body, positions);
}

/**
 * Reads the blocks stored under one key: `value` is `parent[key]` and `path` its path. Each block
 * has `labelCount` labels. Accepts the HCL shape (label maps ending in arrays of bodies) and the
 * JSON shapes (a body or label map given directly, or any level given as an array of them).
 * `undefined` and `null` give no blocks.
 *
 * @throws HclShapeError when a value where a block belongs is not an object.
 */
export function hclBlocks(
  doc: HclDocument,
  value: HclValue | undefined,
  path: HclPath,
  labelCount: number,
): HclBlock[] {
  const blocks: HclBlock[] = [];
  const type = String(path[path.length - 1] ?? 'block');
  const visit = (node: HclValue, labels: string[], nodePath: HclPath): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, labels, [...nodePath, index]));
      return;
    }
    if (node === null || typeof node !== 'object') {
      const want = labelCount === 1 ? '1 label' : `${labelCount} labels`;
      const reason =
        labelCount === 0
          ? `"${type}" must be a block, as in ${type} { ... }`
          : `"${type}" must be a block with ${want}, ` +
            `as in ${type} ${'"<label>" '.repeat(labelCount)}{ ... }`;
      // When keys were taken as labels, the fault is the body that holds them: typically an
      // unlabelled block whose first argument was read as a label.
      const at = nodePath.slice(0, nodePath.length - labels.length);
      throw new HclShapeError(doc.filename, doc.positionOf(at)?.line, at, reason);
    }
    if (labels.length === labelCount) {
      blocks.push({ labels, body: node, path: nodePath });
      return;
    }
    for (const [label, child] of Object.entries(node)) {
      visit(child, [...labels, label], [...nodePath, label]);
    }
  };
  if (value !== undefined && value !== null) visit(value, [], path);
  return blocks;
}

/** Formats a path for messages: `listener.tcp[0].address`. */
export function formatHclPath(path: HclPath): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`,
    )
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Documents and the hcl2json bridge

type PositionMap = Map<string, HclPosition>;

const pathKey = (path: HclPath): string => JSON.stringify(path);

function makeDocument(
  filename: string,
  format: 'hcl' | 'json',
  body: HclObject,
  positions: PositionMap,
): HclDocument {
  return {
    filename,
    format,
    body,
    positionOf(path: HclPath): HclPosition | undefined {
      for (let end = path.length; end > 0; end--) {
        const found = positions.get(pathKey(path.slice(0, end)));
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}

/** The name hcl2json sees; it cannot be confused with text inside a diagnostic. */
const BRIDGE_NAME = 'coffer-hcl-input';
const DIAGNOSTIC = new RegExp(`${BRIDGE_NAME}:(\\d+),(\\d+)-(?:\\d+,)?\\d+: `, 'g');

let bridge: Promise<typeof Hcl2Json> | undefined;

async function runHcl2Json(filename: string, text: string): Promise<HclObject> {
  // Loaded lazily: instantiating the wasm costs time and memory a process may never need.
  bridge ??= import('@cdktf/hcl2json');
  const { parse } = await bridge;
  try {
    return (await parse(BRIDGE_NAME, text)) as HclObject;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const diagnostics = splitDiagnostics(filename, message);
    if (diagnostics.length > 0) throw new HclSyntaxError(filename, diagnostics);

    // A conversion failure carries no position; the scanner usually finds the same problem
    // with one, and otherwise the message is reported against the first line.
    new HclLocator(filename, lexHcl(text)).locate();
    throw new HclSyntaxError(filename, [{ line: 1, column: 1, reason: message }]);
  }
}

/** Splits `parse config: [f:2,10-3,1: Summary; Detail. f:4,1-2: ...]` into diagnostics. */
function splitDiagnostics(filename: string, message: string): HclDiagnostic[] {
  const starts = [...message.matchAll(DIAGNOSTIC)];
  return starts.map((match, index) => {
    const from = (match.index ?? 0) + match[0].length;
    const to = starts[index + 1]?.index ?? message.length;
    const reason = message
      .slice(from, to)
      .trim()
      .replace(/\]$/, '')
      .replace('; ', ': ')
      .replaceAll(`${BRIDGE_NAME}:`, `${filename}:`);
    return { line: Number(match[1]), column: Number(match[2]), reason };
  });
}

/**
 * Copies hcl2json's output, turning its template-encoded strings back into literals: `$${` and
 * `%%{` are escapes, and any other `${` or `%{` is an expression, which is rejected.
 */
function literalTree(
  file: string,
  value: unknown,
  path: HclPath,
  positions: PositionMap,
): HclValue {
  const fail = (what: string): never => {
    const found = makeDocument(file, 'hcl', {}, positions).positionOf(path);
    throw new HclSyntaxError(file, [
      {
        line: found?.line ?? 1,
        column: found?.column ?? 1,
        reason:
          `${what} in ${formatHclPath(path)}: only literal values are accepted ` +
          '(quote strings, and write $${ for a literal ${)',
      },
    ]);
  };
  if (typeof value === 'string') return unescapeTemplate(value) ?? fail('an expression');
  if (Array.isArray(value)) {
    return value.map((item, i) => literalTree(file, item, [...path, i], positions));
  }
  if (value !== null && typeof value === 'object') {
    const out: HclObject = {};
    for (const [rawKey, child] of Object.entries(value)) {
      const key = unescapeTemplate(rawKey) ?? fail(`an expression key ${JSON.stringify(rawKey)}`);
      defineKey(out, key, literalTree(file, child, [...path, key], positions));
    }
    return out;
  }
  return value as HclValue;
}

/** Undoes hcl2json's template escapes; `undefined` when `text` holds an expression. */
function unescapeTemplate(text: string): string | undefined {
  if (!text.includes('{')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if ((ch === '$' || ch === '%') && text[i + 1] === ch && text[i + 2] === '{') {
      out += `${ch}{`;
      i += 2;
    } else if ((ch === '$' || ch === '%') && text[i + 1] === '{') {
      return undefined;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Sets a key without invoking the `__proto__` setter. */
function defineKey(target: HclObject, key: string, value: HclValue): void {
  const descriptor = { value, enumerable: true, writable: true, configurable: true };
  Object.defineProperty(target, key, descriptor);
}

// ---------------------------------------------------------------------------------------------
// HCL positions: a lexer and a structural scanner. The text has already been accepted by the
// real parser, so these only need to follow structure, not to validate every rule.

interface Token {
  readonly kind: 'ident' | 'string' | 'heredoc' | 'number' | 'punct' | 'newline' | 'eof';
  /** Decoded content for strings; the source text otherwise. */
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

const HEREDOC_START = /<<-?([A-Za-z_][\w-]*)[ \t]*\r?\n/y;
const IDENTIFIER = /[A-Za-z_][\w-]*/y;
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Runs a sticky regular expression at offset `at`. */
function matchAt(pattern: RegExp, text: string, at: number): RegExpExecArray | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text) ?? undefined;
}

function lexHcl(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const push = (kind: Token['kind'], value: string, at: number, atLine: number, atStart: number) =>
    tokens.push({ kind, text: value, line: atLine, column: at - atStart + 1 });
  const skipTo = (end: number): void => {
    for (; i < end; i++) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
  };

  while (i < text.length) {
    const ch = text[i];
    const start = i;
    const startLine = line;
    const startOfLine = lineStart;
    if (ch === '\n') {
      push('newline', ch, i, line, lineStart);
      skipTo(i + 1);
    } else if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
    } else if (ch === '#' || text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      skipTo(end < 0 ? text.length : end + 2);
    } else if (ch === '"') {
      const [value, end] = readQuoted(text, i);
      skipTo(end);
      push('string', value, start, startLine, startOfLine);
    } else if (text.startsWith('<<', i) && matchAt(HEREDOC_START, text, i) !== undefined) {
      const marker = matchAt(HEREDOC_START, text, i)?.[1] ?? '';
      const close = new RegExp(`\\n[ \\t]*${marker}[ \\t]*(?=\\r?\\n|$)`, 'g');
      close.lastIndex = i;
      const found = close.exec(text);
      skipTo(found === null ? text.length : found.index + found[0].length);
      push('heredoc', '', start, startLine, startOfLine);
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = matchAt(IDENTIFIER, text, i)?.[0] ?? ch;
      i += word.length;
      push('ident', word, start, startLine, startOfLine);
    } else if (/[0-9]/.test(ch)) {
      const num = matchAt(NUMBER, text, i)?.[0] ?? ch;
      i += num.length;
      push('number', num, start, startLine, startOfLine);
    } else {
      i++;
      push('punct', ch, start, startLine, startOfLine);
    }
  }
  push('eof', '', i, line, lineStart);
  return tokens;
}

/** Reads a quoted string starting at `start`; returns its decoded text and the end offset. */
function readQuoted(text: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < text.length && text[i] !== '"' && text[i] !== '\n') {
    const ch = text[i];
    if (ch === '\\') {
      const esc = text[i + 1];
      const hexLength = esc === 'u' ? 4 : esc === 'U' ? 8 : 0;
      if (hexLength > 0) {
        out += String.fromCodePoint(parseInt(text.slice(i + 2, i + 2 + hexLength), 16) || 0xfffd);
        i += 2 + hexLength;
      } else {
        out += { n: '\n', r: '\r', t: '\t' }[esc as 'n'] ?? esc;
        i += 2;
      }
    } else if ((ch === '$' || ch === '%') && text[i + 1] === ch && text[i + 2] === '{') {
      out += `${ch}{`;
      i += 3;
    } else if ((ch === '$' || ch === '%') && text[i + 1] === '{') {
      const end = skipInterpolation(text, i + 2);
      out += text.slice(i, end);
      i = end;
    } else {
      out += ch;
      i++;
    }
  }
  return [out, Math.min(i + 1, text.length)];
}

/** Skips a `${ ... }` body whose opening brace ends at `from`; returns the offset after `}`. */
function skipInterpolation(text: string, from: number): number {
  let depth = 1;
  let i = from;
  while (i < text.length && depth > 0) {
    const ch = text[i];
    if (ch === '"') {
      i = readQuoted(text, i)[1];
      continue;
    }
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    i++;
  }
  return i;
}

/**
 * Walks HCL tokens and records the position of every key path, using the same paths as the
 * hcl2json tree. Also rejects two things hcl2json silently mishandles: a name used both as an
 * argument and as a block in one body (it drops the block), and blocks of one type with
 * different label counts (it fails without a position).
 */
class HclLocator {
  private p = 0;
  readonly positions: PositionMap = new Map();

  constructor(
    private readonly file: string,
    private readonly tokens: readonly Token[],
  ) {}

  locate(): PositionMap {
    this.body([]);
    return this.positions;
  }

  private get tok(): Token {
    return this.tokens[Math.min(this.p, this.tokens.length - 1)];
  }

  private at(punct: string): boolean {
    return this.tok.kind === 'punct' && this.tok.text === punct;
  }

  private record(path: HclPath, token: Token): void {
    const key = pathKey(path);
    if (!this.positions.has(key)) {
      this.positions.set(key, { line: token.line, column: token.column });
    }
  }

  private fail(token: Token, reason: string): never {
    throw new HclSyntaxError(this.file, [{ line: token.line, column: token.column, reason }]);
  }

  private body(path: HclPath): void {
    const attributes = new Set<string>();
    const labelCounts = new Map<string, number>();
    const blockCounts = new Map<string, number>();
    for (;;) {
      while (this.tok.kind === 'newline') this.p++;
      const name = this.tok;
      if (name.kind === 'eof' || this.at('}')) return;
      this.p++;
      if (name.kind !== 'ident') continue;

      if (this.at('=')) {
        if (labelCounts.has(name.text)) {
          this.fail(name, `"${name.text}" is both an argument and a block`);
        }
        attributes.add(name.text);
        this.record([...path, name.text], name);
        this.p++;
        this.expression([...path, name.text], ['newline', '}']);
        continue;
      }

      const labels: string[] = [];
      this.record([...path, name.text], name);
      while (this.tok.kind === 'string' || this.tok.kind === 'ident') {
        labels.push(this.tok.text);
        this.record([...path, name.text, ...labels], this.tok);
        this.p++;
      }
      if (attributes.has(name.text)) {
        this.fail(name, `"${name.text}" is both an argument and a block`);
      }
      const seen = labelCounts.get(name.text);
      if (seen !== undefined && seen !== labels.length) {
        this.fail(name, `every "${name.text}" block must have the same number of labels`);
      }
      labelCounts.set(name.text, labels.length);

      const key = pathKey([name.text, ...labels]);
      const index = blockCounts.get(key) ?? 0;
      blockCounts.set(key, index + 1);
      const blockPath = [...path, name.text, ...labels, index];
      this.record(blockPath, name);
      if (!this.at('{')) continue;
      this.p++;
      this.body(blockPath);
      if (this.at('}')) this.p++;
    }
  }

  /** Scans one expression up to a terminator at nesting depth 0, recording object keys. */
  private expression(path: HclPath, stops: readonly string[]): void {
    if (this.at('{')) this.object(path);
    else if (this.at('[')) this.tuple(path);

    let depth = 0;
    for (;;) {
      const token = this.tok;
      if (token.kind === 'eof') return;
      const text = token.kind === 'newline' ? 'newline' : token.kind === 'punct' ? token.text : '';
      if (depth === 0 && stops.includes(text)) return;
      if (text === '(' || text === '[' || text === '{') depth++;
      if (text === ')' || text === ']' || text === '}') depth--;
      if (depth < 0) return;
      this.p++;
    }
  }

  private object(path: HclPath): void {
    this.p++;
    for (;;) {
      while (this.tok.kind === 'newline' || this.at(',')) this.p++;
      const key = this.tok;
      if (key.kind === 'eof' || this.at('}')) break;
      const named = key.kind === 'ident' || key.kind === 'string';
      if (named) {
        this.record([...path, key.text], key);
        this.p++;
      } else {
        this.expression([], ['=', ':']);
      }
      if (this.at('=') || this.at(':')) this.p++;
      this.expression(named ? [...path, key.text] : [], [',', 'newline', '}']);
    }
    if (this.at('}')) this.p++;
  }

  private tuple(path: HclPath): void {
    this.p++;
    for (let index = 0; ; index++) {
      while (this.tok.kind === 'newline' || this.at(',')) this.p++;
      if (this.tok.kind === 'eof' || this.at(']')) break;
      this.record([...path, index], this.tok);
      this.expression([...path, index], [',', ']']);
    }
    if (this.at(']')) this.p++;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON with positions: a strict parser that also rejects duplicate keys, which JSON.parse would
// silently resolve to the last one.

class JsonScanner {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  readonly positions: PositionMap = new Map();

  constructor(
    private readonly file: string,
    private readonly text: string,
  ) {}

  parseDocument(): HclObject {
    this.space();
    if (this.text[this.i] !== '{') this.fail('a JSON document must be an object');
    const body = this.value([]) as HclObject;
    this.space();
    if (this.i < this.text.length) this.fail('unexpected text after the JSON document');
    return body;
  }

  private get here(): HclPosition {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  private fail(reason: string, at: HclPosition = this.here): never {
    throw new HclSyntaxError(this.file, [{ ...at, reason: `invalid JSON: ${reason}` }]);
  }

  private space(): void {
    while (this.i < this.text.length && /[ \t\r\n]/.test(this.text[this.i])) {
      if (this.text[this.i] === '\n') {
        this.line++;
        this.lineStart = this.i + 1;
      }
      this.i++;
    }
  }

  private value(path: HclPath): HclValue {
    this.space();
    const ch = this.text[this.i];
    if (ch === '{') return this.object(path);
    if (ch === '[') return this.array(path);
    if (ch === '"') return this.string();
    const pattern = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    pattern.lastIndex = this.i;
    const literal = pattern.exec(this.text)?.[0];
    if (literal === undefined) {
      this.fail(ch === undefined ? 'unexpected end of input' : `unexpected ${JSON.stringify(ch)}`);
    }
    this.i += literal.length;
    return JSON.parse(literal) as HclValue;
  }

  private object(path: HclPath): HclObject {
    const out: HclObject = {};
    this.i++;
    this.space();
    if (this.text[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') this.fail('expected a quoted key');
      const at = this.here;
      const key = this.string();
      if (Object.prototype.hasOwnProperty.call(out, key)) {
        this.fail(`duplicate key ${JSON.stringify(key)}`, at);
      }
      this.positions.set(pathKey([...path, key]), at);
      this.space();
      if (this.text[this.i] !== ':') this.fail('expected ":"');
      this.i++;
      defineKey(out, key, this.value([...path, key]));
      if (this.separator('}')) return out;
    }
  }

  private array(path: HclPath): HclValue[] {
    const out: HclValue[] = [];
    this.i++;
    this.space();
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      this.positions.set(pathKey([...path, out.length]), this.here);
      out.push(this.value([...path, out.length]));
      if (this.separator(']')) return out;
    }
  }

  /** Consumes `,` (returns false) or the closing bracket (returns true). */
  private separator(close: string): boolean {
    this.space();
    const ch = this.text[this.i++];
    if (ch === close) return true;
    if (ch !== ',') {
      this.i--;
      this.fail(`expected "," or "${close}"`);
    }
    return false;
  }

  private string(): string {
    // JSON.parse does the decoding and rejects raw control characters and bad escapes.
    const quoted = /"(?:[^"\\\n]|\\.)*"/y;
    quoted.lastIndex = this.i;
    const match = quoted.exec(this.text);
    if (match === null) this.fail('unterminated string');
    try {
      const decoded = JSON.parse(match[0]) as string;
      this.i += match[0].length;
      return decoded;
    } catch {
      return this.fail('invalid string');
    }
  }
}
