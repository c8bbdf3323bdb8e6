import assert from 'node:assert/strict';
import {
  formatHclPath,
  HclShapeError,
  HclSyntaxError,
  hclBlocks,
  parseHcl,
} from '../../src/util/hcl.js';
import type { HclDocument } from '../../src/util/hcl.js';

/** Parses `text` and expects an {@link HclSyntaxError}. */
async function syntaxError(text: string, filename = 'doc.hcl'): Promise<HclSyntaxError> {
  try {
    await parseHcl(filename, text);
  } catch (error) {
    assert.ok(error instanceof HclSyntaxError, `expected HclSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

const POLICY_HCL = `# Read and list secrets.
path "secret/data/*" {
  capabilities = ["read", "list"]
}

path "secret/data/team/{{identity.entity.id}}/*" {
  capabilities       = ["create", "update"]
  allowed_parameters = {
    "ttl" = []
    "*"   = ["a", "b"]
  }
  min_wrapping_ttl = "1s"
}

path "sys/*" { capabilities = ["deny"] }
`;

const POLICY_JSON = `{
  "path": {
    "secret/data/*": { "capabilities": ["read", "list"] },
    "secret/data/team/{{identity.entity.id}}/*": {
      "capabilities": ["create", "update"],
      "allowed_parameters": { "ttl": [], "*": ["a", "b"] },
      "min_wrapping_ttl": "1s"
    },
    "sys/*": { "capabilities": ["deny"] }
  }
}`;

describe('parseHcl', () => {
  it('turns arguments, objects and tuples into plain JSON', async () => {
    const text = 'a = "x"\nb = 2.5\nc = true\nd = { e = [1, { f = null }] }\n';
    const doc = await parseHcl('doc.hcl', text);
    assert.equal(doc.format, 'hcl');
    assert.deepEqual(doc.body, { a: 'x', b: 2.5, c: true, d: { e: [1, { f: null }] } });
  });

  it('stores each block as an array of bodies under its labels', async () => {
    const doc = await parseHcl(
      'node.hcl',
      [
        'storage "raft" {',
        '  path = "/data"',
        '  retry_join {',
        '    leader_api_addr = "https://a:8200"',
        '  }',
        '  retry_join {',
        '    leader_api_addr = "https://b:8200"',
        '  }',
        '}',
        'listener "tcp" { address = "127.0.0.1:8200" }',
        'listener "tcp" { address = "127.0.0.1:8300" }',
        'seal "a" "b" {}',
      ].join('\n'),
    );
    assert.deepEqual(doc.body, {
      storage: {
        raft: [
          {
            path: '/data',
            retry_join: [
              { leader_api_addr: 'https://a:8200' },
              { leader_api_addr: 'https://b:8200' },
            ],
          },
        ],
      },
      listener: { tcp: [{ address: '127.0.0.1:8200' }, { address: '127.0.0.1:8300' }] },
      seal: { a: { b: [{}] } },
    });
  });

  it('parses a Vault ACL policy into path blocks keyed by their path', async () => {
    const doc = await parseHcl('policy.hcl', POLICY_HCL);
    assert.deepEqual(doc.body, {
      path: {
        'secret/data/*': [{ capabilities: ['read', 'list'] }],
        'secret/data/team/{{identity.entity.id}}/*': [
          {
            capabilities: ['create', 'update'],
            allowed_parameters: { ttl: [], '*': ['a', 'b'] },
            min_wrapping_ttl: '1s',
          },
        ],
        'sys/*': [{ capabilities: ['deny'] }],
      },
    });
  });

  it('reads the same policy written as JSON into the same blocks', async () => {
    const hcl = await parseHcl('policy.hcl', POLICY_HCL);
    const json = await parseHcl('policy', POLICY_JSON);
    assert.equal(json.format, 'json');
    const simplify = (doc: HclDocument) =>
      hclBlocks(doc, doc.body.path, ['path'], 1).map(({ labels, body }) => ({ labels, body }));
    assert.deepEqual(simplify(json), simplify(hcl));
  });

  it('parses JSON by file name even when the text does not start with a brace', async () => {
    const error = await syntaxError('a = 1', 'config.json');
    assert.match(error.reason, /invalid JSON/);
  });

  it('returns an empty body for an empty or comment-only document', async () => {
    assert.deepEqual((await parseHcl('a.hcl', '')).body, {});
    assert.deepEqual((await parseHcl('a.hcl', '# only\n/* a\ncomment */\n')).body, {});
  });

  it('decodes string escapes and undoes the $${ and %%{ template escapes', async () => {
    const doc = await parseHcl(
      'a.hcl',
      'a = "tab\\tquote\\" \\u00e9"\nb = "$${literal}"\nc = "%%{also}"\nd = "cost: $5 and 100%"\n',
    );
    assert.deepEqual(doc.body, {
      a: 'tab\tquote" é',
      b: '${literal}',
      c: '%{also}',
      d: 'cost: $5 and 100%',
    });
  });

  it('reads heredocs as strings', async () => {
    const doc = await parseHcl('a.hcl', 'a = <<EOT\nline one\nline two\nEOT\nb = 1\n');
    assert.deepEqual(doc.body, { a: 'line one\nline two\n', b: 1 });
  });

  it('rejects template interpolation with the line of the argument', async () => {
    const error = await syntaxError('a = 1\nb = "x${var.y}"\n');
    assert.equal(error.line, 2);
    assert.equal(error.file, 'doc.hcl');
    assert.match(error.reason, /only literal values are accepted/);
  });

  it('rejects bare words and operators, which HCL parses as expressions', async () => {
    assert.equal((await syntaxError('a = 1\n\nenabled = yes\n')).line, 3);
    assert.equal((await syntaxError('a = 1 + 2\n')).line, 1);
  });

  it('reports a syntax error with file, line, column and the parser reason', async () => {
    const error = await syntaxError('storage "raft" {\n  path = \n}\n', 'cluster/node1.hcl');
    assert.equal(error.code, 'hcl_syntax');
    assert.equal(error.status, 400);
    assert.equal(error.file, 'cluster/node1.hcl');
    assert.equal(error.line, 2);
    assert.equal(error.column, 10);
    assert.match(error.reason, /^Invalid expression: /);
    assert.equal(error.message, `cluster/node1.hcl:2:10: ${error.reason}`);
  });

  it('keeps every diagnostic the parser reports', async () => {
    const error = await syntaxError('a = 1\nb = "open\nc = 2\n');
    assert.ok(error.diagnostics.length >= 2, JSON.stringify(error.diagnostics));
    assert.equal(error.line, 2);
    assert.ok(!error.message.includes('coffer-hcl-input'), error.message);
  });

  it('rejects an argument set twice', async () => {
    const error = await syntaxError('ui = true\nui = false\n');
    assert.equal(error.line, 2);
    assert.match(error.reason, /redefined/);
  });

  it('rejects a name used both as an argument and as a block', async () => {
    assert.equal((await syntaxError('a = 1\nb = 2\na {\n}\n')).line, 3);
    assert.equal((await syntaxError('a "x" {\n}\na = 1\n')).line, 3);
  });

  it('rejects blocks of one type with different numbers of labels at the later one', async () => {
    const error = await syntaxError('listener "tcp" {\n}\n\nlistener {\n}\n');
    assert.equal(error.line, 4);
    assert.match(error.reason, /same number of labels/);
  });

  it('rejects a JSON document with a duplicate key at the second key', async () => {
    const error = await syntaxError('{\n  "ui": true,\n  "ui": false\n}');
    assert.deepEqual([error.line, error.column], [3, 3]);
    assert.match(error.reason, /duplicate key "ui"/);
  });

  it('rejects malformed JSON at the offending character', async () => {
    assert.equal((await syntaxError('{\n  "a": [1,\n  ]\n}')).line, 3);
    assert.equal((await syntaxError('{\n  "a": tru\n}')).line, 2);
    assert.match((await syntaxError('[1, 2]')).reason, /must be an object/);
    assert.match((await syntaxError('{"a": 1} x')).reason, /after the JSON document/);
    assert.match((await syntaxError('{"a": "\\q"}')).reason, /invalid string/);
  });

  it('keeps a JSON "__proto__" key as data without touching the prototype', async () => {
    const doc = await parseHcl('a.json', '{"__proto__": {"polluted": true}}');
    assert.equal(Object.getPrototypeOf(doc.body), Object.prototype);
    assert.deepEqual(Object.keys(doc.body), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('HclDocument.positionOf', () => {
  const text = [
    '# a comment with "quotes" and { braces',
    'ui = true',
    '/* a comment',
    '   over lines */',
    'motd = <<EOT',
    'hello { not a block',
    'EOT',
    'storage "raft" {',
    '  path    = "/data \\"x\\" {"',
    '  options = { "a/b" = [1, { deep = 2 }] }',
    '  retry_join {',
    '    leader_api_addr = "a"',
    '  }',
    '  retry_join {',
    '    leader_api_addr = "b"',
    '  }',
    '}',
  ].join('\r\n');

  it('gives the line and column of arguments, blocks, labels and nested keys', async () => {
    const doc = await parseHcl('doc.hcl', text);
    assert.deepEqual(doc.positionOf(['ui']), { line: 2, column: 1 });
    assert.deepEqual(doc.positionOf(['motd']), { line: 5, column: 1 });
    assert.deepEqual(doc.positionOf(['storage']), { line: 8, column: 1 });
    assert.deepEqual(doc.positionOf(['storage', 'raft']), { line: 8, column: 9 });
    assert.deepEqual(doc.positionOf(['storage', 'raft', 0]), { line: 8, column: 1 });
    assert.deepEqual(doc.positionOf(['storage', 'raft', 0, 'path']), { line: 9, column: 3 });
    assert.deepEqual(doc.positionOf(['storage', 'raft', 0, 'options', 'a/b', 1, 'deep']), {
      line: 10,
      column: 29,
    });
    assert.deepEqual(doc.positionOf(['storage', 'raft', 0, 'retry_join', 1]), {
      line: 14,
      column: 3,
    });
    assert.deepEqual(doc.positionOf(['storage', 'raft', 0, 'retry_join', 1, 'leader_api_addr']), {
      line: 15,
      column: 5,
    });
  });

  it('falls back to the nearest written ancestor for a path that was not written', async () => {
    const doc = await parseHcl('doc.hcl', text);
    assert.deepEqual(doc.positionOf(['storage', 'raft', 0, 'node_id']), { line: 8, column: 1 });
    assert.equal(doc.positionOf(['absent']), undefined);
    assert.equal(doc.positionOf([]), undefined);
  });

  it('gives positions in JSON documents', async () => {
    const doc = await parseHcl('policy.json', POLICY_JSON);
    assert.deepEqual(doc.positionOf(['path', 'sys/*']), { line: 9, column: 5 });
    const team = 'secret/data/team/{{identity.entity.id}}/*';
    assert.deepEqual(doc.positionOf(['path', team, 'allowed_parameters', '*', 1]), {
      line: 6,
      column: 53,
    });
  });
});

describe('hclBlocks', () => {
  it('reads labelled blocks from the HCL shape in source order', async () => {
    const text = 'listener "tcp" {\n  a = 1\n}\nlistener "tcp" {\n  a = 2\n}\n';
    const doc = await parseHcl('a.hcl', text);
    assert.deepEqual(hclBlocks(doc, doc.body.listener, ['listener'], 1), [
      { labels: ['tcp'], body: { a: 1 }, path: ['listener', 'tcp', 0] },
      { labels: ['tcp'], body: { a: 2 }, path: ['listener', 'tcp', 1] },
    ]);
  });

  it('reads the JSON shapes: a label map, a list of label maps, and a bare body', async () => {
    const doc = await parseHcl(
      'a.json',
      JSON.stringify({
        one: { tcp: { a: 1 } },
        many: [{ tcp: { a: 1 } }, { tcp: [{ a: 2 }] }],
        plain: { b: 3 },
      }),
    );
    assert.deepEqual(
      hclBlocks(doc, doc.body.one, ['one'], 1).map((block) => block.path),
      [['one', 'tcp']],
    );
    assert.deepEqual(
      hclBlocks(doc, doc.body.many, ['many'], 1).map(({ labels, body }) => [labels, body]),
      [
        [['tcp'], { a: 1 }],
        [['tcp'], { a: 2 }],
      ],
    );
    assert.deepEqual(hclBlocks(doc, doc.body.plain, ['plain'], 0), [
      { labels: [], body: { b: 3 }, path: ['plain'] },
    ]);
  });

  it('returns no blocks for an absent or null value', async () => {
    const doc = await parseHcl('a.hcl', 'x = null\n');
    assert.deepEqual(hclBlocks(doc, doc.body.missing, ['missing'], 1), []);
    assert.deepEqual(hclBlocks(doc, doc.body.x, ['x'], 0), []);
  });

  it('throws HclShapeError at the block when a labelled block has no label', async () => {
    const doc = await parseHcl('a.hcl', 'ui = true\nlistener {\n  address = "x"\n}\n');
    assert.throws(
      () => hclBlocks(doc, doc.body.listener, ['listener'], 1),
      (error: unknown) =>
        error instanceof HclShapeError &&
        error.line === 2 &&
        error.code === 'hcl_shape' &&
        /"listener" must be a block with 1 label/.test(error.reason),
    );
  });

  it('throws HclShapeError at the argument when a block is given as a string', async () => {
    const doc = await parseHcl('a.hcl', 'ui = true\ncluster_tls = "x"\n');
    assert.throws(
      () => hclBlocks(doc, doc.body.cluster_tls, ['cluster_tls'], 0),
      (error: unknown) => error instanceof HclShapeError && error.line === 2,
    );
  });
});

describe('formatHclPath', () => {
  it('joins keys with dots and indexes with brackets', () => {
    assert.equal(formatHclPath(['listener', 'tcp', 0, 'address']), 'listener.tcp[0].address');
    assert.equal(formatHclPath([]), '');
  });
});
