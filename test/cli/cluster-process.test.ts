/**
 * `coffer` commands as real processes against a real three-node cluster (test/cluster/support.ts:
 * three `coffer server` processes on free ports, with a CA of their own), checking exit statuses
 * and the exact output of tables, `-format=json` and `-field`, and the error paths an operator
 * meets: a sealed node, a bad token, a path with nothing at it, a bad flag, no server at all.
 */
import assert from 'node:assert/strict';
import path from 'node:path';

import { freePort, TestCluster, type InitResult } from '../cluster/support.js';
import { Shell, shown, type ProcessResult } from './process-support.js';

describe('coffer against a three-node cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let init: InitResult;
  let shell: Shell;
  let node2: string;
  let node3: string;

  before(async () => {
    ({ cluster, init } = await TestCluster.started(3));
    await cluster.agreedLeader(cluster.nodes);
    const leader = cluster.node('node1').api;
    node2 = cluster.node('node2').api;
    node3 = cluster.node('node3').api;
    shell = new Shell({
      VAULT_ADDR: leader,
      VAULT_CACERT: path.join(cluster.dir, 'ca.pem'),
      VAULT_TOKEN: init.root_token,
    });
    const put = await shell.run(['kv', 'put', 'secret/app', 'password=s3cr3t', 'user=app']);
    assert.equal(put.status, 0, shown(put));
  });

  after(async () => {
    shell?.cleanup();
    await cluster?.destroy();
  });

  /** Asserts success and returns stdout. */
  const ok = (result: ProcessResult): string => {
    assert.equal(result.status, 0, shown(result));
    assert.equal(result.stderr, '', shown(result));
    return result.stdout;
  };

  describe('output', () => {
    it('prints a secret read through a follower as Vault tables', async () => {
      const out = ok(await shell.run(['kv', 'get', `-address=${node2}`, 'secret/app']));
      assert.match(out, /^== Secret Path ==\nsecret\/data\/app\n\n/);
      const data = ['===== Data =====', 'Key         Value', '---         -----'];
      const rows = ['password    s3cr3t', 'user        app', ''];
      assert.ok(out.endsWith(`\n${[...data, ...rows].join('\n')}`), out);
      assert.match(out, /\nversion {12}1\n/);
    });

    it('prints the whole envelope with -format=json and a bare value with -field', async () => {
      const [json, field, yaml] = await Promise.all([
        shell.run(['kv', 'get', '-format=json', 'secret/app']),
        shell.run(['kv', 'get', '-field=password', `-address=${node3}`, 'secret/app']),
        shell.run(['read', '-format=yaml', 'secret/data/app']),
      ]);
      const parsed = JSON.parse(ok(json)) as { data: { data: unknown; metadata: object } };
      assert.deepEqual(parsed.data.data, { password: 's3cr3t', user: 'app' });
      assert.equal((parsed.data.metadata as { version: number }).version, 1);
      assert.equal(ok(field), 's3cr3t');
      assert.match(ok(yaml), /\ndata:\n {2}data:\n {4}password: s3cr3t\n {4}user: app\n/);
    });

    it('lists the three raft peers, one of them the leader', async () => {
      const [text, json] = await Promise.all([
        shell.run(['operator', 'raft', 'list-peers', `-address=${node3}`]),
        shell.run(['operator', 'raft', 'list-peers', '-format=json']),
      ]);
      const lines = ok(text).trimEnd().split('\n');
      assert.match(lines[0]!, /^Node +Address +State +Voter$/);
      assert.match(lines[1]!, /^-{4} +-{7} +-{5} +-{5}$/);
      const rows = lines.slice(2).map((line) => line.split(/ {4,}/));
      assert.deepEqual(rows.map((row) => row[0]).sort(), ['node1', 'node2', 'node3']);
      assert.equal(rows.filter((row) => row[2] === 'leader').length, 1);
      assert.ok(rows.every((row) => row[3] === 'true'), text.stdout);
      const servers = (JSON.parse(ok(json)) as { data: { config: { servers: unknown[] } } }).data
        .config.servers;
      assert.equal(servers.length, 3);
    });

    it("reports status as Vault does, and a node's single field bare", async () => {
      const [table, json, field] = await Promise.all([
        shell.run(['status', `-address=${node2}`]),
        shell.run(['status', '-format=json']),
        shell.run(['status', '-field=storage_type']),
      ]);
      assert.match(ok(table), /\nSealed +false\n/);
      assert.match(table.stdout, /\nHA Mode +(standby|active)\n/);
      const status = JSON.parse(ok(json)) as { sealed: boolean; t: number; n: number };
      assert.deepEqual([status.sealed, status.t, status.n], [false, 3, 5]);
      assert.equal(ok(field), 'raft');
    });
  });

  describe('response wrapping', () => {
    it('wraps a read with -wrap-ttl, and unwrap gives the secret once', async () => {
      const wrapped = await shell.run(['kv', 'get', '-wrap-ttl=5m', 'secret/app']);
      assert.match(ok(wrapped), /\nwrapping_token_ttl +5m\n/);
      assert.ok(!wrapped.stdout.includes('s3cr3t'), wrapped.stdout);
      const token = /\nwrapping_token +(\S+)\n/.exec(wrapped.stdout)?.[1];
      assert.ok(token !== undefined, wrapped.stdout);
      const unwrapped = await shell.run(['unwrap', '-field=data', token]);
      assert.deepEqual(JSON.parse(ok(unwrapped)), { password: 's3cr3t', user: 'app' });
      const again = await shell.run(['unwrap', token]);
      assert.equal(again.status, 2, shown(again));
    });
  });

  describe('audit', () => {
    it("verifies the hash chain of the audit file the leader's device wrote", async () => {
      const file = path.join(shell.home, 'audit.log');
      // Every node opens the device at the same path on this one machine, so only the leader
      // (node1, which serves every request below) may write to it.
      ok(await shell.run(['audit', 'enable', 'file', `file_path=${file}`]));
      ok(await shell.run(['kv', 'get', 'secret/app']));
      ok(await shell.run(['audit', 'disable', 'file']));
      const verified = ok(await shell.run(['audit', 'verify', file]));
      assert.match(verified, /^Success! The hash chain of .* is intact: \d+ lines\.\n$/);
    });
  });

  describe('errors', () => {
    it('exits 2 with "No value found" for a path with nothing at it', async () => {
      const [kv, read] = await Promise.all([
        shell.run(['kv', 'get', 'secret/nope']),
        shell.run(['read', `-address=${node2}`, 'secret/data/nope']),
      ]);
      for (const result of [kv, read]) {
        assert.equal(result.status, 2, shown(result));
        assert.equal(result.stdout, '');
        assert.equal(result.stderr, 'No value found at secret/data/nope\n');
      }
    });

    it('exits 2 for a bad token, with the 403 and never the token', async () => {
      const token = 'hvs.NotARealTokenButSecretAnyway';
      const [kv, read] = await Promise.all([
        shell.runWith({ VAULT_TOKEN: token }, ['kv', 'get', 'secret/app']),
        shell.runWith({ VAULT_TOKEN: token }, ['read', 'secret/data/app']),
      ]);
      for (const result of [kv, read]) {
        assert.equal(result.status, 2, shown(result));
        assert.equal(result.stdout, '');
        assert.match(result.stderr, /\nCode: 403\. Errors:\n\n\* permission denied\n$/);
        assert.ok(!result.stderr.includes(token), result.stderr);
      }
    });

    it('exits 1 with one line and a usage hint for a bad flag or a missing argument', async () => {
      const [flag, format, missing] = await Promise.all([
        shell.run(['kv', 'get', '-nope', 'secret/app']),
        shell.run(['operator', 'raft', 'list-peers', '-format=xml']),
        shell.run(['kv', 'put']),
      ]);
      for (const result of [flag, format, missing]) {
        assert.equal(result.status, 1, shown(result));
        assert.equal(result.stdout, '');
        assert.equal(result.stderr.split('\n').length, 3, shown(result));
      }
      assert.equal(
        flag.stderr,
        "error: unknown option '-nope'\nRun 'coffer kv get -h' for usage.\n",
      );
      assert.match(format.stderr, /^Invalid output format: xml/);
      assert.match(missing.stderr, /^error: missing required argument 'path'\n/);
    });

    it('exits 2 when no server listens at the address', async () => {
      const address = `https://127.0.0.1:${await freePort()}`;
      const result = await shell.run(['kv', 'get', `-address=${address}`, 'secret/app']);
      assert.equal(result.status, 2, shown(result));
      assert.match(result.stderr, /ECONNREFUSED/);
    });

    // Last: it seals a node, and unseals it again before it ends.
    it('exits 2 on a sealed node, and its unseal progress shows until it is unsealed', async () => {
      ok(await shell.run(['operator', 'seal', `-address=${node3}`]));
      const [status, kv] = await Promise.all([
        shell.run(['status', `-address=${node3}`]),
        shell.run(['kv', 'get', `-address=${node3}`, 'secret/app']),
      ]);
      assert.equal(status.status, 2, shown(status));
      assert.match(status.stdout, /\nSealed +true\n/);
      assert.match(status.stdout, /\nUnseal Progress +0\/3\n/);
      assert.equal(kv.status, 2, shown(kv));
      assert.match(kv.stderr, /\nCode: 503\. Errors:\n\n\* Vault is sealed\n$/);

      const [first, second, third] = init.keys_base64;
      const one = ok(await shell.run(['operator', 'unseal', `-address=${node3}`, first!]));
      assert.match(one, /\nUnseal Progress +1\/3\n/);
      const unseal = ['operator', 'unseal', '-format=json', `-address=${node3}`];
      const two = await shell.run([...unseal, second!]);
      assert.equal((JSON.parse(ok(two)) as { progress: number }).progress, 2);
      // With no key argument and stdin not a terminal, the key is read from stdin.
      const three = await shell.run(['operator', 'unseal', `-address=${node3}`], {
        stdin: `${third!}\n`,
      });
      assert.match(ok(three), /\nSealed +false\n/);
      assert.ok(!three.stdout.includes(third!));
    });
  });
});
