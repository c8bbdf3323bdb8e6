// ESLint flat config. Besides typescript-eslint's recommended rules it enforces the layer ranks
// of shared/DESIGN.md: a file under src/ may import only from its own rank or lower, and the
// Raft core may not reach for I/O, clocks or randomness at all.
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Ranks from DESIGN.md "Layers"; the longest matching prefix wins. */
const RANKS = [
  ['src/util', 0],
  ['src/raft/core', 1],
  ['src/logical', 1],
  ['src/storage', 2],
  ['src/raft/transport', 2],
  ['src/raft/node', 3],
  ['src/physical', 4],
  ['src/barrier', 5],
  ['src/seal', 5],
  ['src/policy', 6],
  ['src/tokens', 6],
  ['src/leases', 6],
  ['src/audit', 6],
  ['src/engines', 6],
  ['src/auth', 6],
  ['src/vault', 7],
  ['src/http', 8],
  ['src/cli', 9],
  ['src/server.ts', 9],
  ['src/server', 9],
];

function rankOf(relPath) {
  let best = null;
  for (const [prefix, rank] of RANKS) {
    if (relPath === prefix || relPath.startsWith(prefix + '/')) {
      if (best === null || prefix.length > best[0].length) best = [prefix, rank];
    }
  }
  return best;
}

const layerRule = {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the layer ranks of DESIGN.md' },
    messages: {
      upward: '{{from}} (rank {{fromRank}}) may not import {{to}} (rank {{toRank}}): see DESIGN.md "Layers"',
      unranked: '{{from}} is under src/ but has no rank in eslint.config.js',
    },
    schema: [],
  },
  create(context) {
    const root = context.cwd;
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    if (!file.startsWith('src/')) return {};
    const from = rankOf(file);
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      if (from === null) {
        context.report({ node, messageId: 'unranked', data: { from: file } });
        return;
      }
      const target = path
        .relative(root, path.resolve(path.dirname(context.filename), source))
        .split(path.sep)
        .join('/');
      const to = rankOf(target.replace(/\.js$/, '.ts')) ?? rankOf(target);
      if (to !== null && to[1] > from[1]) {
        context.report({
          node,
          messageId: 'upward',
          data: { from: from[0], fromRank: from[1], to: to[0], toRank: to[1] },
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { coffer: { rules: { layers: layerRule } } },
    rules: {
      'coffer/layers': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The Raft core is a pure state machine: time comes from tick(), randomness from an
    // injected source, and nothing touches the outside world.
    files: ['src/raft/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^node:', message: 'the Raft core does no I/O' }, { regex: '^[^.]', message: 'the Raft core imports only src/util' }] }],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'process', 'performance', 'fetch', 'require'].map(
          (name) => ({ name, message: 'the Raft core has no timers or I/O: use tick() and the Ready batch' }),
        ),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'time advances only through tick()' },
        { object: 'Math', property: 'random', message: 'use the injected seeded random source' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date']", message: 'time advances only through tick()' }],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'cluster/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
