/**
 * The ACL's matching semantics as a table: each scenario is a set of policies, each case one
 * request with the decision Vault makes for it (vault-api.md §3 and Vault's policy docs).
 */
import assert from 'node:assert/strict';

import type { Operation } from '../../src/logical/index.js';
import { Acl, DEFAULT_POLICY, parsePolicy } from '../../src/policy/index.js';

interface Case {
  readonly op: Operation;
  readonly path: string;
  readonly allow: boolean;
  /** Why, in the words of the rule that decides; completes the test name. */
  readonly why: string;
  readonly data?: Record<string, unknown>;
  readonly wrapTtl?: number;
  readonly granting?: readonly string[];
  readonly sudo?: boolean;
}

interface Scenario {
  readonly name: string;
  /** Policy name to HCL text, compiled in this order. */
  readonly policies: Readonly<Record<string, string>>;
  readonly cases: readonly Case[];
}

const allow = (op: Operation, path: string, why: string, extra: Partial<Case> = {}): Case => ({
  op,
  path,
  allow: true,
  why,
  ...extra,
});
const deny = (op: Operation, path: string, why: string, extra: Partial<Case> = {}): Case => ({
  op,
  path,
  allow: false,
  why,
  ...extra,
});

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'exact and prefix rules (Vault policy docs)',
    policies: {
      docs: `
        path "secret/foo" { capabilities = ["read"] }
        path "secret/bar/*" { capabilities = ["read"] }
        path "secret/zip-*" { capabilities = ["read"] }
      `,
    },
    cases: [
      allow('read', 'secret/foo', 'an exact rule names the path', { granting: ['docs'] }),
      deny('read', 'secret/food', 'an exact rule does not match a longer path'),
      deny('read', 'secret/foo/bar', 'an exact rule does not match a child path'),
      allow('read', 'secret/bar/zip', 'a prefix rule covers a child'),
      allow('read', 'secret/bar/zip/zap', 'a prefix rule covers any depth'),
      deny('read', 'secret/bars/zip', 'the prefix includes the slash'),
      allow('read', 'secret/zip-zap', 'a prefix may end mid-segment'),
      allow('read', 'secret/zip-zap/zong', 'a mid-segment prefix covers deeper paths'),
      deny('read', 'secret/zip/zap', 'the path does not start with the prefix'),
      deny('update', 'secret/foo', 'the rule does not grant update'),
      allow('read', '/secret/foo', 'a leading slash is ignored'),
      deny('read', 'other/path', 'no rule matches at all'),
    ],
  },
  {
    name: '+ segment wildcards (Vault policy docs)',
    policies: {
      plus: `
        path "secret/+/teamb" { capabilities = ["read"] }
        path "secret/+/+/teamb" { capabilities = ["read"] }
        path "kv/+" { capabilities = ["list"] }
        path "app/+/conf*" { capabilities = ["read"] }
        path "+/shared" { capabilities = ["read"] }
      `,
    },
    cases: [
      allow('read', 'secret/foo/teamb', '+ matches one segment'),
      allow('read', 'secret/bar/foo/teamb', 'two + match two segments'),
      deny('read', 'secret/teamb', '+ does not match zero segments'),
      deny('read', 'secret/a/b/c/teamb', '+ does not match several segments'),
      deny('read', 'secret/foo/teamb/x', 'a + pattern without * needs as many segments'),
      allow('list', 'kv/app', 'a trailing + matches the last segment'),
      deny('list', 'kv/app/more', 'a trailing + matches only one segment'),
      allow('read', 'app/x/config', '+ with a trailing * matches a prefix of the last segment'),
      allow('read', 'app/x/conf/nested', 'the trailing * then matches any depth'),
      deny('read', 'app/x/other', 'the last segment must start with the prefix'),
      deny('read', 'app/config', 'the + segment must be present'),
      allow('read', 'anything/shared', 'a leading + matches the first segment'),
      deny('read', 'a/b/shared', 'a leading + matches only one segment'),
    ],
  },
  {
    name: 'priority between glob patterns',
    policies: {
      rules: `
        path "secret/+/x" { capabilities = ["read"] }
        path "secret/a/*" { capabilities = ["deny"] }
        path "foo/+" { capabilities = ["read"] }
        path "foo/a*" { capabilities = ["update"] }
        path "bar/+/baz" { capabilities = ["read"] }
        path "bar/+/ba*" { capabilities = ["update"] }
        path "qux/+" { capabilities = ["read"] }
        path "qux/*" { capabilities = ["update"] }
        path "m/+/+/z" { capabilities = ["read"] }
        path "m/+/y/z" { capabilities = ["update"] }
        path "n/+/bar/ba*" { capabilities = ["read"] }
        path "n/+/bar/b*" { capabilities = ["update"] }
        path "l/+/x/+" { capabilities = ["read"] }
        path "l/+/+/y" { capabilities = ["update"] }
        path "kv/*" { capabilities = ["read"] }
        path "kv/+/+/foo/*" { capabilities = ["update"] }
      `,
    },
    cases: [
      deny('read', 'secret/a/x', 'rule 1: a later first wildcard (secret/a/*) wins'),
      allow('read', 'secret/b/x', 'rule 1: only secret/+/x matches'),
      allow('update', 'foo/abc', 'rule 1: foo/a* beats foo/+'),
      deny('read', 'foo/abc', 'rule 1: foo/+ does not apply once foo/a* wins'),
      allow('read', 'foo/bcd', 'rule 1: only foo/+ matches'),
      allow('read', 'bar/x/baz', 'rule 2: bar/+/baz beats bar/+/ba*'),
      deny('update', 'bar/x/baz', 'rule 2: the * pattern loses entirely'),
      allow('update', 'bar/x/bam', 'rule 2: only bar/+/ba* matches'),
      allow('read', 'qux/a', 'rule 2: qux/+ beats qux/*'),
      deny('update', 'qux/a', 'rule 2: qux/* loses to qux/+'),
      allow('update', 'qux/a/b', 'rule 2: only qux/* matches a deeper path'),
      allow('update', 'm/x/y/z', 'rule 3: fewer + segments (m/+/y/z) win'),
      deny('read', 'm/x/y/z', 'rule 3: m/+/+/z loses'),
      allow('read', 'm/x/q/z', 'rule 3: only m/+/+/z matches'),
      allow('read', 'n/x/bar/baz', 'rule 4: the longer n/+/bar/ba* wins'),
      deny('update', 'n/x/bar/baz', 'rule 4: the shorter n/+/bar/b* loses'),
      allow('update', 'n/x/bar/bz', 'rule 4: only n/+/bar/b* matches'),
      allow('read', 'l/a/x/y', 'rule 5: the lexically greater l/+/x/+ wins'),
      deny('update', 'l/a/x/y', 'rule 5: the lexically smaller l/+/+/y loses'),
      allow('read', 'kv/a/b/foo/c', 'docs: kv/* beats kv/+/+/foo/* (fewer + segments)'),
      deny('update', 'kv/a/b/foo/c', 'docs: kv/+/+/foo/* loses to kv/*'),
    ],
  },
  {
    name: 'exact rules win over globs',
    policies: {
      docs: `
        path "secret/*" { capabilities = ["create"] }
        path "secret/super-secret" { capabilities = ["deny"] }
        path "e/*" { capabilities = ["read"] }
        path "e/x" { capabilities = [] }
      `,
    },
    cases: [
      allow('create', 'secret/anything', 'the prefix rule grants create'),
      deny('create', 'secret/super-secret', 'the exact deny rule wins over the prefix'),
      allow('create', 'secret/super-secret/child', 'the exact rule does not cover children'),
      deny('read', 'e/x', 'an exact rule with no capabilities shadows the prefix'),
      allow('read', 'e/y', 'the prefix still applies elsewhere'),
    ],
  },
  {
    name: 'union of the same pattern across policies',
    policies: {
      reader: `
        path "shared/*" { capabilities = ["read"] }
        path "team/x" { capabilities = ["read"] }
        path "narrow/*" { capabilities = ["read"] }
      `,
      writer: `
        path "shared/*" { capabilities = ["update"] }
        path "team/x" { capabilities = ["deny"] }
        path "narrow/a*" { capabilities = ["update"] }
      `,
      lister: `
        path "shared/*" { capabilities = ["list", "read"] }
        path "team/y" { capabilities = ["deny"] }
      `,
      late: `
        path "team/y" { capabilities = ["read", "sudo"] }
      `,
    },
    cases: [
      allow('read', 'shared/a', 'two policies grant read', { granting: ['reader', 'lister'] }),
      allow('update', 'shared/a', 'one policy grants update', { granting: ['writer'] }),
      allow('list', 'shared/', 'the third policy grants list', { granting: ['lister'] }),
      deny('delete', 'shared/a', 'no policy grants delete'),
      deny('read', 'team/x', 'a deny in a later policy wins'),
      deny('read', 'team/y', 'a deny in an earlier policy wins', { sudo: false }),
      deny('read', 'narrow/abc', 'only the higher-priority pattern applies, not a union'),
      allow('update', 'narrow/abc', 'the winning pattern grants update'),
      allow('read', 'narrow/xyz', 'the wider pattern applies where the narrow does not match'),
    ],
  },
  {
    name: 'list and the trailing slash',
    policies: {
      lists: `
        path "secret/metadata/app" { capabilities = ["list"] }
        path "kv/+/dir" { capabilities = ["list"] }
        path "lst/*" { capabilities = ["list"] }
      `,
    },
    cases: [
      allow('list', 'secret/metadata/app/', 'an exact rule also matches without the slash'),
      allow('list', 'secret/metadata/app', 'the exact rule matches as written'),
      deny('read', 'secret/metadata/app/', 'only a list retries without the slash'),
      deny('list', 'secret/metadata/app/x/', 'the exact rule does not cover children'),
      allow('list', 'kv/a/dir/', 'a + rule also matches without the slash'),
      allow('list', 'kv/a/dir', 'the + rule matches as written'),
      allow('list', 'lst/', 'a prefix rule matches the folder itself'),
      deny('list', 'lst', 'the prefix includes the slash'),
    ],
  },
  {
    name: 'parameter constraints',
    policies: {
      params: `
        path "p/req" {
          capabilities        = ["create", "update"]
          required_parameters = ["bar", "baz"]
        }
        path "p/allow" {
          capabilities       = ["update"]
          allowed_parameters = { "foo" = [], "bar" = ["zip", "zap"] }
        }
        path "p/star" {
          capabilities       = ["update"]
          allowed_parameters = { "*" = [], "foo" = ["bar"] }
        }
        path "p/deny" {
          capabilities      = ["update"]
          denied_parameters = { "bar" = [] }
        }
        path "p/denyall" {
          capabilities      = ["update"]
          denied_parameters = { "*" = [] }
        }
        path "p/glob" {
          capabilities       = ["update"]
          allowed_parameters = { "foo" = ["zip*", "*zap", "*mid*"] }
          denied_parameters  = { "foo" = ["zipbad"] }
        }
        path "p/both" {
          capabilities       = ["update"]
          allowed_parameters = { "bar" = [] }
          denied_parameters  = { "bar" = ["evil"] }
        }
        path "p/types" {
          capabilities       = ["update"]
          allowed_parameters = { "n" = [1, true], "s" = ["*"] }
        }
        path "p/read" {
          capabilities       = ["read", "list", "delete"]
          allowed_parameters = { "version" = [] }
        }
      `,
    },
    cases: [
      allow('update', 'p/req', 'every required parameter is present', {
        data: { bar: 1, baz: 2 },
      }),
      deny('update', 'p/req', 'a required parameter is missing', { data: { bar: 1 } }),
      allow('update', 'p/req', 'no data is given, so constraints are not checked'),
      allow('update', 'p/allow', 'an allowed parameter has an empty list', {
        data: { foo: 'anything' },
      }),
      allow('update', 'p/allow', 'a listed value is given', { data: { bar: 'zap' } }),
      deny('update', 'p/allow', 'an unlisted value is given', { data: { bar: 'zop' } }),
      deny('update', 'p/allow', 'an unlisted parameter is given', { data: { other: 1 } }),
      allow('update', 'p/allow', 'parameter names compare case-insensitively', {
        data: { FOO: 'x' },
      }),
      allow('update', 'p/allow', 'the data is empty', { data: {} }),
      allow('update', 'p/star', '"*" admits unlisted parameters', { data: { anything: 1 } }),
      allow('update', 'p/star', 'a listed parameter takes its listed value', {
        data: { foo: 'bar' },
      }),
      deny('update', 'p/star', 'a listed parameter is still constrained under "*"', {
        data: { foo: 'baz' },
      }),
      deny('update', 'p/deny', 'a denied parameter is given', { data: { bar: 'x' } }),
      allow('update', 'p/deny', 'only other parameters are given', { data: { foo: 'x' } }),
      deny('update', 'p/denyall', 'denying "*" refuses any parameter', { data: { x: 1 } }),
      allow('update', 'p/denyall', 'denying "*" still allows a request without data', {
        data: {},
      }),
      allow('update', 'p/glob', 'a value matches a trailing glob', { data: { foo: 'zipper' } }),
      allow('update', 'p/glob', 'a value matches a leading glob', { data: { foo: 'bizap' } }),
      allow('update', 'p/glob', 'a value matches a glob at both ends', {
        data: { foo: 'amidst' },
      }),
      deny('update', 'p/glob', 'a value matches no glob', { data: { foo: 'nope' } }),
      deny('update', 'p/glob', 'a denied value wins over an allowed glob', {
        data: { foo: 'zipbad' },
      }),
      allow('update', 'p/both', 'an allowed value is not denied', { data: { bar: 'ok' } }),
      deny('update', 'p/both', 'the denied value wins over allowed-any', {
        data: { bar: 'evil' },
      }),
      allow('update', 'p/types', 'a number equals a listed number', { data: { n: 1 } }),
      deny('update', 'p/types', 'a string never equals a number', { data: { n: '1' } }),
      allow('update', 'p/types', 'a boolean equals a listed boolean', { data: { n: true } }),
      deny('update', 'p/types', 'a bare "*" value matches only itself', { data: { s: 'x' } }),
      allow('read', 'p/read', 'read parameters are checked and allowed', {
        data: { version: '2' },
      }),
      deny('read', 'p/read', 'read parameters are checked and refused', { data: { x: '2' } }),
      allow('list', 'p/read', 'list parameters are not checked', { data: { x: '2' } }),
      allow('delete', 'p/read', 'delete parameters are not checked', { data: { x: '2' } }),
    ],
  },
  {
    name: 'parameter maps merged across policies',
    policies: {
      one: `
        path "pm" {
          capabilities       = ["update"]
          allowed_parameters = { "a" = ["1"] }
        }
        path "pm2" {
          capabilities       = ["update"]
          allowed_parameters = { "x" = [] }
        }
        path "pr" { capabilities = ["update"] }
        path "pq" {
          capabilities        = ["update"]
          required_parameters = ["a"]
        }
      `,
      two: `
        path "pm" {
          capabilities       = ["update"]
          allowed_parameters = { "a" = ["2"], "b" = [] }
        }
        path "pm2" {
          capabilities       = ["update"]
          allowed_parameters = { "x" = ["only"] }
        }
        path "pr" {
          capabilities       = ["read"]
          allowed_parameters = { "k" = [] }
        }
        path "pq" {
          capabilities        = ["update"]
          required_parameters = ["b"]
        }
      `,
    },
    cases: [
      allow('update', 'pm', 'the value comes from the first policy', { data: { a: '1' } }),
      allow('update', 'pm', 'the value comes from the second policy', { data: { a: '2' } }),
      deny('update', 'pm', 'neither policy lists the value', { data: { a: '3' } }),
      allow('update', 'pm', 'the second policy adds a parameter', { data: { b: 'z' } }),
      deny('update', 'pm', 'no policy lists the parameter', { data: { c: 1 } }),
      allow('update', 'pm2', 'an empty list absorbs a narrower one', { data: { x: 'any' } }),
      deny('update', 'pr', 'a constraint from one stanza binds the merged rule', {
        data: { z: 1 },
      }),
      deny('update', 'pq', 'required parameters of both stanzas apply', { data: { a: 1 } }),
      allow('update', 'pq', 'both required parameters are present', { data: { a: 1, b: 2 } }),
    ],
  },
  {
    name: 'wrapping TTL bounds',
    policies: {
      wrap: `
        path "w/min" {
          capabilities     = ["read"]
          min_wrapping_ttl = "1s"
        }
        path "w/range" {
          capabilities     = ["read"]
          min_wrapping_ttl = "60s"
          max_wrapping_ttl = "5m"
        }
        path "w/max" {
          capabilities     = ["read"]
          max_wrapping_ttl = 90
        }
        path "wm" {
          capabilities     = ["read"]
          min_wrapping_ttl = 10
          max_wrapping_ttl = 100
        }
        path "wc" {
          capabilities     = ["read"]
          min_wrapping_ttl = 60
        }
      `,
      tighter: `
        path "wm" {
          capabilities     = ["read"]
          min_wrapping_ttl = 20
          max_wrapping_ttl = 50
        }
        path "wc" {
          capabilities     = ["read"]
          max_wrapping_ttl = 30
        }
      `,
    },
    cases: [
      deny('read', 'w/min', 'min_wrapping_ttl forces wrapping'),
      allow('read', 'w/min', 'the response is wrapped', { wrapTtl: 1 }),
      deny('read', 'w/range', 'the TTL is below the minimum', { wrapTtl: 30 }),
      allow('read', 'w/range', 'the TTL equals the minimum', { wrapTtl: 60 }),
      allow('read', 'w/range', 'the TTL equals the maximum', { wrapTtl: 300 }),
      deny('read', 'w/range', 'the TTL is above the maximum', { wrapTtl: 301 }),
      deny('read', 'w/max', 'max_wrapping_ttl also requires wrapping, as in Vault'),
      allow('read', 'w/max', 'the TTL is within the maximum', { wrapTtl: 90 }),
      deny('read', 'w/max', 'the TTL exceeds the maximum', { wrapTtl: 91 }),
      allow('read', 'wm', 'the merged minimum is the lowest (10s)', { wrapTtl: 10 }),
      deny('read', 'wm', 'the merged maximum is the lowest (50s)', { wrapTtl: 60 }),
      deny('read', 'wc', 'merged bounds that contradict allow nothing (low)', { wrapTtl: 30 }),
      deny('read', 'wc', 'merged bounds that contradict allow nothing (high)', { wrapTtl: 60 }),
    ],
  },
  {
    name: 'sudo and legacy policies',
    policies: {
      ops: `
        path "sys/audit*" { capabilities = ["read", "sudo"] }
        path "legacy/read" { policy = "read" }
        path "legacy/write" { policy = "write" }
        path "legacy/sudo" { policy = "sudo" }
        path "legacy/deny" {
          policy       = "deny"
          capabilities = ["read"]
        }
      `,
    },
    cases: [
      allow('read', 'sys/audit', 'the rule grants read with sudo', { sudo: true }),
      deny('update', 'sys/audit/file', 'sudo does not grant update', { sudo: true }),
      allow('list', 'legacy/read', 'policy "read" grants list'),
      deny('update', 'legacy/read', 'policy "read" does not grant update'),
      allow('create', 'legacy/write', 'policy "write" grants create'),
      deny('patch', 'legacy/write', 'policy "write" predates patch'),
      allow('delete', 'legacy/sudo', 'policy "sudo" grants delete', { sudo: true }),
      deny('read', 'legacy/deny', 'policy "deny" overrides listed capabilities'),
    ],
  },
  {
    name: 'the built-in default policy',
    policies: { default: DEFAULT_POLICY },
    cases: [
      allow('read', 'auth/token/lookup-self', 'a token may look itself up'),
      allow('update', 'auth/token/renew-self', 'a token may renew itself'),
      allow('update', 'sys/capabilities-self', 'a token may ask its own capabilities'),
      allow('create', 'cubbyhole/notes', 'a token owns its cubbyhole'),
      allow('list', 'cubbyhole/', 'a token may list its cubbyhole'),
      allow('update', 'sys/wrapping/unwrap', 'a token may unwrap'),
      allow('update', 'sys/tools/hash/sha2-256', 'a token may hash'),
      allow('update', 'sys/leases/lookup', 'a token may look up a lease by id'),
      deny('read', 'secret/data/app', 'the default policy grants no secrets'),
      deny('update', 'sys/policies/acl/mine', 'the default policy grants no policy writes'),
      deny('update', 'auth/token/create', 'the default policy grants no token creation'),
    ],
  },
];

async function compile(policies: Readonly<Record<string, string>>): Promise<Acl> {
  const parsed = [];
  for (const [name, text] of Object.entries(policies)) parsed.push(await parsePolicy(name, text));
  return Acl.fromPolicies(parsed);
}

describe('Acl', () => {
  it('has a table of at least 60 matching cases', () => {
    const count = SCENARIOS.reduce((sum, scenario) => sum + scenario.cases.length, 0);
    assert.ok(count >= 60, `only ${count} cases`);
  });

  for (const scenario of SCENARIOS) {
    describe(scenario.name, () => {
      let acl: Acl;
      before(async () => {
        acl = await compile(scenario.policies);
      });

      for (const c of scenario.cases) {
        const verb = c.allow ? 'allows' : 'denies';
        it(`${verb} ${c.op} on ${c.path} when ${c.why}`, () => {
          const decision = acl.check({
            path: c.path,
            operation: c.op,
            data: c.data,
            wrapTtl: c.wrapTtl,
          });
          const input = JSON.stringify({ path: c.path, op: c.op, data: c.data, wrap: c.wrapTtl });
          assert.equal(decision.allowed, c.allow, `${input}: ${decision.deniedReason ?? ''}`);
          assert.equal(decision.rootPrivileges, false);
          if (c.allow) {
            assert.equal(decision.deniedReason, undefined);
            assert.ok(decision.grantingPolicies.length > 0, 'an allowed request names a policy');
          } else {
            assert.equal(typeof decision.deniedReason, 'string');
            assert.deepEqual(decision.grantingPolicies, []);
          }
          if (c.granting !== undefined) {
            const names = decision.grantingPolicies.map((policy) => policy.name);
            assert.deepEqual(names, c.granting);
          }
          if (c.sudo !== undefined) assert.equal(decision.sudo, c.sudo);
        });
      }
    });
  }

  describe('capabilities', () => {
    let acl: Acl;
    before(async () => {
      acl = await compile({
        a: `
          path "secret/foo" { capabilities = ["read"] }
          path "shared/*" { capabilities = ["read", "update"] }
          path "secret/no" { capabilities = ["deny"] }
          path "sys/audit*" { capabilities = ["sudo", "read"] }
          path "meta/app" { capabilities = ["list"] }
          path "empty" { capabilities = [] }
        `,
        b: 'path "shared/*" { capabilities = ["list", "read"] }',
      });
    });

    const table: readonly [string, readonly string[]][] = [
      ['secret/foo', ['read']],
      ['shared/x', ['list', 'read', 'update']],
      ['secret/no', ['deny']],
      ['nowhere', ['deny']],
      ['sys/audit/file', ['read', 'sudo']],
      ['meta/app/', ['list']],
      ['/secret/foo', ['read']],
      ['empty', ['deny']],
    ];
    for (const [path, expected] of table) {
      it(`reports ${JSON.stringify(expected)} on ${path}`, () => {
        assert.deepEqual(acl.capabilities(path), expected);
      });
    }
  });

  describe('root', () => {
    it('allows everything with sudo and skips every constraint', () => {
      const acl = Acl.root();
      const decision = acl.check({
        path: 'sys/raw/anything',
        operation: 'delete',
        data: { x: 1 },
        wrapTtl: 0,
      });
      assert.deepEqual(decision, {
        allowed: true,
        sudo: true,
        rootPrivileges: true,
        grantingPolicies: [{ name: 'root' }],
      });
      assert.deepEqual(acl.capabilities('anything'), ['root']);
      assert.equal(acl.isRoot, true);
    });

    it('is what a policy list containing root compiles to', async () => {
      const other = await parsePolicy('other', 'path "x" { capabilities = ["deny"] }');
      const acl = Acl.fromPolicies([other, { name: 'root', raw: '', rules: [] }]);
      assert.equal(acl.isRoot, true);
      assert.equal(acl.check({ path: 'x', operation: 'read' }).allowed, true);
    });

    it('denies everything when built from no policies', () => {
      const acl = Acl.fromPolicies([]);
      assert.equal(acl.check({ path: 'cubbyhole/x', operation: 'read' }).allowed, false);
      assert.deepEqual(acl.capabilities('cubbyhole/x'), ['deny']);
    });
  });
});
