import type { DeepestLinearization } from './search.js';
import type { KeyOperation } from './history.js';
import type { Model } from './types.js';

/**
 * Writing a failed check up for a test failure: the key, the operations of the smallest failing
 * prefix in call order, how far the search got, and which operations could have come next.
 */

/** What {@link explainViolation} needs to know about one failing key. */
export interface Violation<S, I, O> {
  model: Model<S, I, O>;
  key: string;
  /** How many operations the key has in the whole history. */
  keyOperationCount: number;
  /** The smallest failing prefix, in call order; `deepest.order` indexes into it. */
  prefix: readonly KeyOperation<I, O>[];
  /** The instant the prefix was cut at: the return time of its last completed operation. */
  cut: number;
  deepest: DeepestLinearization<S>;
  maxOperations: number;
}

/** The longest list of placed operations an explanation spells out in full. */
const MAX_LISTED_PLACEMENTS = 12;

/** A multi-line account of why `violation.key` is not linearizable. */
export function explainViolation<S, I, O>(violation: Violation<S, I, O>): string {
  const { model, key, prefix, cut, deepest } = violation;
  const closing = prefix.filter((op) => op.return === cut).map((op) => `#${op.index}`);
  const lines = [
    `key ${JSON.stringify(key)} is not linearizable under the ${model.name} model.`,
    `Smallest failing prefix found: ${prefix.length} of the key's ${violation.keyOperationCount} ` +
      `operations, cut at time ${cut} when ${closing.join(', ')} returned:`,
  ];

  const shown = prefix.slice(-violation.maxOperations);
  if (shown.length < prefix.length) {
    lines.push(`  ... ${prefix.length - shown.length} earlier operations not shown`);
  }
  lines.push(...formatTable(model, shown, cut));

  const placed = deepest.order.map((i) => `#${prefix[i]!.index}`);
  const listed =
    placed.length <= MAX_LISTED_PLACEMENTS
      ? placed.join(', ')
      : `..., ${placed.slice(-MAX_LISTED_PLACEMENTS).join(', ')}`;
  lines.push(
    placed.length === 0
      ? `No operation can go first from the initial state ${model.describeState(deepest.state)}:`
      : `Longest partial linearization found: ${placed.length} operations (${listed}), ` +
          `leaving state ${model.describeState(deepest.state)}. From there:`,
  );
  lines.push(...describeNextCandidates(violation));
  return lines.join('\n');
}

/** One aligned line per operation: index, client, interval, input and output. */
function formatTable<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly KeyOperation<I, O>[],
  cut: number,
): string[] {
  const rows = operations.map((op) => [
    `#${op.index}`,
    `client ${op.operation.clientId}`,
    recordedReturn(op) === Infinity
      ? `[${op.call}, ...)`
      : `[${op.call}, ${recordedReturn(op)}]`,
    describeOperation(model, op, cut),
  ]);
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map(
    (row) => '  ' + row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '),
  );
}

function describeOperation<S, I, O>(
  model: Model<S, I, O>,
  op: KeyOperation<I, O>,
  cut: number,
): string {
  const input = model.describeInput(op.operation.input);
  const ret = recordedReturn(op);
  if (ret === Infinity) return `${input} (no response)`;
  if (ret > cut) return `${input} (returned after the cut)`;
  const output = op.operation.output;
  if (output === undefined) return input;
  return `${input} -> ${model.describeOutput(op.operation.input, output)}`;
}

/** The return time as recorded, before cutting the prefix made the operation indeterminate. */
function recordedReturn<I, O>(op: KeyOperation<I, O>): number {
  return op.operation.return ?? Infinity;
}

/**
 * The operations that real-time order allows right after the deepest partial linearization:
 * those not placed and called before the earliest return among the completed ones not placed.
 * Each either does not fit the state there, or fits but every continuation failed.
 */
function describeNextCandidates<S, I, O>(violation: Violation<S, I, O>): string[] {
  const { model, prefix, cut, deepest } = violation;
  const placed = new Set(deepest.order);
  const open = prefix.filter((_, i) => !placed.has(i));
  const deadline = Math.min(...open.filter((op) => op.return <= cut).map((op) => op.return));

  return open
    .filter((op) => op.call <= deadline)
    .map((op) => {
      const completed = op.return <= cut;
      const output = completed ? op.operation.output : undefined;
      const [fits] = model.step(deepest.state, op.operation.input, output);
      const what =
        output === undefined
          ? model.describeInput(op.operation.input)
          : `${model.describeInput(op.operation.input)} -> ` +
            model.describeOutput(op.operation.input, output);
      const verdict = fits
        ? 'fits, but no order of the rest does after it'
        : `cannot take effect in state ${model.describeState(deepest.state)}`;
      return `  #${op.index} ${what}: ${verdict}`;
    });
}
