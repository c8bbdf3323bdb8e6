import assert from 'node:assert/strict';

import { InvalidPolicyError, parsePolicy, type PathRule } from '../../src/policy/index.js';

const FULL_HCL = `# every key a stanza may hold
path "secret/data/app/*" {
  comment             = "the app's secrets"
  capabilities        = ["update", "create", "read"]
  required_parameters = ["data"]
  allowed_parameters  = { "data" = [], "Options" = ["a*", 1, true] }
  denied_parameters   = { "evil" = [] }
  min_wrapping_ttl    = "1s"
  max_wrapping_ttl    = 3600
}

path "/sys/health" {
  policy = "read"
}
`;

const FULL_JSON = `{
  "path": {
    "secret/data/app/*": {
      "comment": "the app's secrets",
      "capabilities": ["update", "create", "read"],
      "required_parameters": ["data"],
      "allowed_parameters": { "data": [], "Options": ["a*", 1, true] },
      "denied_parameters": { "evil": [] },
      "min_wrapping_ttl": "1s",
      "max_wrapping_ttl": 3600
    },
    "/sys/health": { "policy": "read" }
  }
}`;

/** A map's entries sorted by name: HCL sorts object keys, JSON keeps them as written. */
function entries(map: ReadonlyMap<string, readonly unknown[]> | undefined): unknown {
  return map && [...map].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** A rule without its line, with its maps as sorted entries, for comparisons. */
function plain(rule: PathRule): Record<string, unknown> {
  return {
    pattern: rule.pattern,
    capabilities: rule.capabilities,
    requiredParameters: rule.requiredParameters,
    allowedParameters: entries(rule.allowedParameters),
    deniedParameters: entries(rule.deniedParameters),
    minWrappingTtl: rule.minWrappingTtl,
    maxWrappingTtl: rule.maxWrappingTtl,
  };
}

async function parseError(text: string): Promise<InvalidPolicyError> {
  try {
    await parsePolicy('t', text);
  } catch (err) {
    assert.ok(err instanceof InvalidPolicyError, `not an InvalidPolicyError: ${String(err)}`);
    return err;
  }
  assert.fail(`parsed without error: ${text}`);
}

describe('parsePolicy', () => {
  describe('valid policies', () => {
    it('reads every stanza key of an HCL policy, in source order', async () => {
      const policy = await parsePolicy('app', FULL_HCL);
      assert.equal(policy.name, 'app');
      assert.equal(policy.raw, FULL_HCL);
      assert.deepEqual(policy.rules.map(plain), [
        {
          pattern: 'secret/data/app/*',
          capabilities: ['create', 'read', 'update'],
          requiredParameters: ['data'],
          allowedParameters: [
            ['data', []],
            ['options', ['a*', 1, true]],
          ],
          deniedParameters: [['evil', []]],
          minWrappingTtl: 1,
          maxWrappingTtl: 3600,
        },
        {
          pattern: 'sys/health',
          capabilities: ['read', 'list'],
          requiredParameters: [],
          allowedParameters: undefined,
          deniedParameters: undefined,
          minWrappingTtl: 0,
          maxWrappingTtl: 0,
        },
      ]);
      assert.deepEqual(
        policy.rules.map((rule) => rule.line),
        [2, 12],
      );
    });

    it('reads the same policy written as JSON', async () => {
      const hcl = await parsePolicy('app', FULL_HCL);
      const json = await parsePolicy('app', FULL_JSON);
      assert.deepEqual(json.rules.map(plain), hcl.rules.map(plain));
    });

    it('maps each legacy policy word to its capability set', async () => {
      const policy = await parsePolicy(
        'legacy',
        `
        path "a" { policy = "deny" }
        path "b" { policy = "read" }
        path "c" { policy = "write" }
        path "d" { policy = "sudo" }
        path "e" {
          policy       = "read"
          capabilities = ["patch"]
        }
        `,
      );
      assert.deepEqual(
        policy.rules.map((rule) => [rule.pattern, rule.capabilities]),
        [
          ['a', ['deny']],
          ['b', ['read', 'list']],
          ['c', ['create', 'read', 'update', 'delete', 'list']],
          ['d', ['create', 'read', 'update', 'delete', 'list', 'sudo']],
          ['e', ['read', 'patch', 'list']],
        ],
      );
    });

    it('keeps only deny when deny is listed with other capabilities', async () => {
      const policy = await parsePolicy('d', 'path "x" { capabilities = ["read", "deny"] }');
      assert.deepEqual(policy.rules[0]?.capabilities, ['deny']);
    });

    it('accepts an empty policy, a top-level name and a stanza without capabilities', async () => {
      assert.deepEqual((await parsePolicy('e', '# nothing yet\n')).rules, []);
      const named = await parsePolicy('n', 'name = "ignored"\npath "x" {}\n');
      assert.deepEqual(named.rules[0]?.capabilities, []);
    });

    it('treats property names such as __proto__ as plain data', async () => {
      const policy = await parsePolicy(
        'proto',
        '{"path": {"__proto__": {"capabilities": ["read"], ' +
          '"allowed_parameters": {"__proto__": ["x"], "constructor": []}}}}',
      );
      const rule = policy.rules[0];
      assert.equal(rule?.pattern, '__proto__');
      assert.deepEqual(
        [...(rule?.allowedParameters ?? [])],
        [
          ['__proto__', ['x']],
          ['constructor', []],
        ],
      );
      assert.equal(Object.getPrototypeOf({}), Object.prototype);
    });

    it('keeps a * that is not the last character as a literal', async () => {
      const policy = await parsePolicy('star', 'path "a/*/b" { capabilities = ["read"] }');
      assert.equal(policy.rules[0]?.pattern, 'a/*/b');
    });
  });

  describe('invalid policies', () => {
    const table: readonly [string, string, number | undefined, RegExp][] = [
      [
        'an unknown capability',
        'path "a" {\n  capabilities = [\n    "read",\n    "reed",\n  ]\n}\n',
        4,
        /unknown capability "reed"/,
      ],
      [
        'an unknown key in a stanza',
        '\npath "a" {\n  capabilities = ["read"]\n  capabilites = ["list"]\n}\n',
        4,
        /unknown key "capabilites"/,
      ],
      [
        'an unknown top-level key',
        'path "a" { capabilities = ["read"] }\nrules = "x"\n',
        2,
        /unknown key "rules"/,
      ],
      [
        'a Vault Enterprise key',
        'path "a" {\n  capabilities = ["read"]\n  control_group = {}\n}\n',
        3,
        /"control_group" is not supported by Coffer/,
      ],
      [
        'an unknown legacy policy',
        '\n\npath "a" { policy = "admin" }\n',
        3,
        /invalid policy "admin"/,
      ],
      [
        'a legacy policy named like an Object property',
        'path "a" { policy = "constructor" }',
        1,
        /invalid policy "constructor"/,
      ],
      [
        'a bad duration',
        'path "a" {\n  min_wrapping_ttl = "soon"\n}\n',
        2,
        /invalid duration for "min_wrapping_ttl"/,
      ],
      [
        'a maximum wrapping TTL below the minimum',
        'path "a" {\n  min_wrapping_ttl = "1m"\n  max_wrapping_ttl = "30s"\n}\n',
        3,
        /max_wrapping_ttl cannot be less than min_wrapping_ttl/,
      ],
      ['the forbidden +* wildcard', '\npath "a/+*" {}\n', 2, /"\+\*" is not a valid wildcard/],
      ['capabilities that are not a list', 'path "a" { capabilities = "read" }', 1, /list/],
      [
        'a parameter whose values are not a list',
        'path "a" {\n  allowed_parameters = { "x" = "y" }\n}\n',
        2,
        /entry "x" must be a list/,
      ],
      [
        'required parameters that are not strings',
        'path "a" {\n  required_parameters = [1]\n}\n',
        2,
        /must be a list of strings/,
      ],
      [
        'a path block without a label',
        '\npath {\n  capabilities = []\n}\n',
        2,
        /needs its pattern/,
      ],
      ['unbalanced braces in HCL', 'path "a" {\n  capabilities = ["read"]\n', 1, /closing brace/],
      ['an expression in HCL', 'path "a" {\n  capabilities = [read]\n}\n', 2, /./],
      [
        'an unknown capability in JSON',
        '{\n  "path": {\n    "a": {\n      "capabilities": ["read", "bad"]\n    }\n  }\n}',
        4,
        /unknown capability "bad"/,
      ],
      ['broken JSON', '{\n  "path": {\n    "a": [\n  }\n}', 4, /invalid JSON/],
    ];

    for (const [what, text, line, message] of table) {
      it(`refuses ${what}, naming line ${line}`, async () => {
        const err = await parseError(text);
        assert.equal(err.line, line, err.message);
        assert.match(err.message, new RegExp(`^policy line ${line}: `));
        assert.match(err.message, message);
        assert.equal(err.httpStatus, 400);
        assert.equal(err.code, 'invalid_policy');
      });
    }
  });
});
