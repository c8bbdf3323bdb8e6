/**
 * A Vault operator's runbook, run with `coffer` as real processes against three real servers:
 * start three empty nodes, initialise the first, unseal it, join the other two and unseal them,
 * check the peers, then give an application a policy and a userpass login of its own, and use
 * it. Each step is one `it`, in the runbook's order, running the commands an operator types.
 */
import assert from 'node:assert/strict';
import path from 'node:path';

import { TestCluster, waitFor, type TestNode } from '../cluster/support.js';
import { Shell, shown, type ProcessResult } from './process-support.js';

/** What `coffer operator init -format=json` prints. */
interface InitOutput {
  unseal_keys_b64: string[];
  unseal_threshold: number;
  root_token: string;
}

const APP_POLICY = `
path "secret/data/app/*" {
  capabilities = ["create", "read", "update"]
}
`;

describe('A Vault runbook with coffer: init, unseal, join, userpass, login, kv', function () {
  this.timeout(120_000);
  // A runbook stops at the first step that fails: the later ones depend on it.
  this.bail(true);
  let cluster: TestCluster;
  let node1: TestNode;
  let node2: TestNode;
  let node3: TestNode;
  let caFile: string;
  /** The operator's shell: VAULT_ADDR and VAULT_CACERT, later VAULT_TOKEN (root). */
  let operator: Shell;
  /** The application's shell: no VAULT_TOKEN; `coffer login` stores its token. */
  let app: Shell;
  let init: InitOutput;

  before(async () => {
    cluster = await TestCluster.create(3);
    [node1, node2, node3] = cluster.nodes as [TestNode, TestNode, TestNode];
    // Plain configurations, as on fresh hosts: nobody joins until the operator says so.
    for (const node of cluster.nodes) cluster.setJoinTarget(node, null);
    caFile = path.join(cluster.dir, 'ca.pem');
    operator = new Shell({ VAULT_ADDR: node1.api, VAULT_CACERT: caFile });
    app = new Shell({ VAULT_ADDR: node2.api, VAULT_CACERT: caFile });
  });

  after(async () => {
    operator?.cleanup();
    app?.cleanup();
    await cluster?.destroy();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.logTails(15));
  });

  const ok = (result: ProcessResult): string => {
    assert.equal(result.status, 0, shown(result));
    return result.stdout;
  };

  /** `coffer <args>` against one node, from the operator's shell. */
  const on = (node: TestNode, args: readonly string[], stdin?: string) =>
    operator.run([...args, `-address=${node.api}`], { stdin });

  it('starts three servers that report themselves sealed and not initialised', async () => {
    for (const node of cluster.nodes) cluster.start(node);
    for (const node of cluster.nodes) {
      // `status` exits 2 on a sealed node; wait until the listener answers at all.
      const status = await waitFor(`${node.id} to answer`, async () => {
        const result = await on(node, ['status', '-format=json']);
        return result.status === 2 ? result : null;
      });
      const json = JSON.parse(status.stdout) as { initialized: boolean; sealed: boolean };
      assert.deepEqual([json.initialized, json.sealed], [false, true]);
    }
  });

  it('operator init -key-shares=5 -key-threshold=3 -format=json on node1', async () => {
    const result = await on(node1, [
      'operator',
      'init',
      '-key-shares=5',
      '-key-threshold=3',
      '-format=json',
    ]);
    init = JSON.parse(ok(result)) as InitOutput;
    assert.equal(init.unseal_keys_b64.length, 5);
    assert.equal(init.unseal_threshold, 3);
    assert.match(init.root_token, /^hvs\./);
    assert.equal(ok(await on(node1, ['operator', 'init', '-status'])), 'Coffer is initialized\n');
  });

  it('operator unseal node1 with three of the five keys', async () => {
    const [one, two, three] = init.unseal_keys_b64;
    assert.match(ok(await on(node1, ['operator', 'unseal', one!])), /\nUnseal Progress +1\/3\n/);
    assert.match(ok(await on(node1, ['operator', 'unseal', two!])), /\nUnseal Progress +2\/3\n/);
    // The third from stdin, as `coffer operator unseal` reads it when no key is given.
    const last = ok(await on(node1, ['operator', 'unseal'], `${three!}\n`));
    assert.match(last, /\nSealed +false\n/);
    operator.env.VAULT_TOKEN = init.root_token;
  });

  it('operator raft join node2 and node3 to node1', async () => {
    for (const node of [node2, node3]) {
      const joined = ok(
        await on(node, ['operator', 'raft', 'join', `-leader-ca-cert=@${caFile}`, node1.api]),
      );
      assert.match(joined, /^Key +Value\n-+ +-+\nJoined +true\n$/);
      // A joined node knows the cluster's seal: it waits for the same unseal keys.
      const status = await on(node, ['status', '-format=json']);
      assert.equal(status.status, 2, shown(status));
      const json = JSON.parse(status.stdout) as { initialized: boolean; t: number; n: number };
      assert.deepEqual([json.initialized, json.t, json.n], [true, 3, 5]);
    }
  });

  it('operator unseal node2 and node3 with the same keys', async () => {
    for (const node of [node2, node3]) {
      let last = '';
      for (const key of init.unseal_keys_b64.slice(0, 3)) {
        last = ok(await on(node, ['operator', 'unseal', key]));
      }
      assert.match(last, /\nSealed +false\n/);
      assert.match(last, /\nHA Mode +standby\n/);
    }
  });

  it('operator raft list-peers names the three nodes, all voters, node1 the leader', async () => {
    // A joined node is a learner until it has caught up, then the leader promotes it.
    const expected = [
      ['node1', 'leader', 'true'],
      ['node2', 'follower', 'true'],
      ['node3', 'follower', 'true'],
    ];
    const table = await waitFor('three voters', async () => {
      const out = ok(await on(node3, ['operator', 'raft', 'list-peers']));
      const rows = out.trimEnd().split('\n').slice(2).map((line) => line.split(/ {4,}/));
      const seen = rows.map(([id, , state, voter]) => [id, state, voter]);
      return JSON.stringify(seen) === JSON.stringify(expected) ? out : null;
    });
    assert.match(table, /^Node {5}Address {12}State {7}Voter\n/);
  });

  it('policy write app, from a file on stdin', async () => {
    const written = await operator.run(['policy', 'write', 'app', '-'], { stdin: APP_POLICY });
    assert.equal(ok(written), 'Success! Uploaded policy: app\n');
    assert.equal(ok(await operator.run(['policy', 'list'])), 'app\ndefault\nroot\n');
  });

  it('auth enable userpass, and list it beside the token method', async () => {
    const enabled = await operator.run(['auth', 'enable', 'userpass']);
    assert.equal(ok(enabled), 'Success! Enabled userpass auth method at: userpass/\n');
    const list = ok(await operator.run(['auth', 'list']));
    assert.match(list, /\ntoken\/ +token +/);
    assert.match(list, /\nuserpass\/ +userpass +/);
  });

  it('write auth/userpass/users/alice password=... policies=app', async () => {
    const written = await operator.run([
      'write',
      'auth/userpass/users/alice',
      'password=correct-horse',
      'policies=app',
    ]);
    assert.equal(ok(written), 'Success! Data written to: auth/userpass/users/alice\n');
  });

  it("login -method=userpass username=alice in the application's shell", async () => {
    const login = await app.run([
      'login',
      '-method=userpass',
      'username=alice',
      'password=correct-horse',
    ]);
    const out = ok(login);
    assert.match(out, /^Success! You are now authenticated\./);
    assert.match(out, /\ntoken_policies +\["app","default"\]\n/);
    assert.match(out, /\ntoken_meta_username +alice\n/);
    assert.ok(!out.includes('correct-horse'));
    // A wrong password is refused, and not echoed.
    const wrong = await app.run(['login', '-method=userpass', 'username=alice', 'password=nope']);
    assert.equal(wrong.status, 2, shown(wrong));
    assert.ok(!wrong.stderr.includes('password=nope'), wrong.stderr);
  });

  it("kv put and kv get with the application's token, through a follower", async () => {
    const put = await app.run(['kv', 'put', 'secret/app/db', 'password=correct-horse']);
    assert.match(ok(put), /\nversion +1\n/);
    const field = await app.run(['kv', 'get', '-field=password', 'secret/app/db']);
    assert.equal(ok(field), 'correct-horse');
  });

  it('refuses the application a path its policy does not grant', async () => {
    ok(await operator.run(['kv', 'put', 'secret/other', 'password=not-yours']));
    const refused = await app.run(['kv', 'get', 'secret/other']);
    assert.equal(refused.status, 2, shown(refused));
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /\nCode: 403\. Errors:\n\n\* permission denied\n$/);
    assert.ok(!refused.stderr.includes('not-yours'));
  });
});
