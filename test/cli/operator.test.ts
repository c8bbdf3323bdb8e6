import assert from 'node:assert/strict';

import type { Node } from '../http/support.js';
import { CliEnv, startHttpNode } from './support.js';

describe('coffer status and operator (against a real node)', () => {
  let node: Node;
  let cli: CliEnv;

  beforeEach(async () => {
    const started = await startHttpNode();
    node = started.node;
    cli = new CliEnv(started.address);
  });

  afterEach(async () => {
    await node.server.close();
    cli.cleanup();
  });

  /** `operator init -format=json`, returning what it printed. */
  async function init(): Promise<{ unseal_keys_b64: string[]; root_token: string }> {
    const result = await cli.run([
      'operator',
      'init',
      '-key-shares=3',
      '-key-threshold=2',
      '-format=json',
    ]);
    assert.equal(result.status, 0, result.err);
    return JSON.parse(result.out) as { unseal_keys_b64: string[]; root_token: string };
  }

  it('initialises with -format=json in the shape of vault operator init', async () => {
    const answer = (await init()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(answer), [
      'unseal_keys_b64',
      'unseal_keys_hex',
      'unseal_shares',
      'unseal_threshold',
      'recovery_keys_b64',
      'recovery_keys_hex',
      'recovery_keys_shares',
      'recovery_keys_threshold',
      'root_token',
    ]);
    assert.equal((answer.unseal_keys_b64 as string[]).length, 3);
    assert.equal(answer.unseal_threshold, 2);
    assert.match(String(answer.root_token), /^hvs\./);
  });

  it('prints the unseal keys and root token as lines in table format', async () => {
    const result = await cli.run(['operator', 'init']);
    assert.equal(result.status, 0, result.err);
    assert.match(result.out, /^Unseal Key 1: \S+\n/);
    assert.match(result.out, /Unseal Key 5: \S+\n/);
    assert.match(result.out, /\nInitial Root Token: hvs\.\S+\n/);
    assert.match(result.out, /5 key shares and a key threshold of 3/);
  });

  it('reports -status as exit 2 before init and 0 after', async () => {
    const before = await cli.run(['operator', 'init', '-status']);
    assert.equal(before.status, 2);
    assert.equal(before.out, 'Coffer is not initialized\n');
    await init();
    const after = await cli.run(['operator', 'init', '-status']);
    assert.equal(after.status, 0);
  });

  it('exits 2 from status while sealed, 0 once unsealed, with Vault rows', async () => {
    const { unseal_keys_b64: keys } = await init();

    const sealed = await cli.run(['status']);
    assert.equal(sealed.status, 2);
    assert.match(sealed.out, /^Key {16}Value\n--- {16}-----\n/);
    assert.match(sealed.out, /\nSealed {13}true\n/);
    assert.match(sealed.out, /\nUnseal Progress {4}0\/2\n/);

    const first = await cli.run(['operator', 'unseal', keys[0] ?? '']);
    assert.equal(first.status, 0, 'a share accepted is a success, as in Vault');
    assert.match(first.out, /Unseal Progress\s+1\/2/);

    const second = await cli.run(['operator', 'unseal', keys[1] ?? '']);
    assert.equal(second.status, 0, second.err);
    assert.match(second.out, /\nSealed\s+false\n/);

    const status = await cli.run(['status', '-format=json']);
    assert.equal(status.status, 0);
    const json = JSON.parse(status.out) as Record<string, unknown>;
    assert.equal(json.sealed, false);
    assert.equal(json.ha_enabled, true);
    assert.equal(json.is_self, true);
    assert.equal((await cli.run(['status', '-field=sealed'])).out, 'false');
  });

  it('reads the unseal key from stdin when it is not a terminal, and prompts on one', async () => {
    const { unseal_keys_b64: keys } = await init();
    const piped = await cli.run(['operator', 'unseal'], { stdin: `${keys[0]}\n` });
    assert.equal(piped.status, 0, piped.err);
    assert.match(piped.out, /Unseal Progress\s+1\/2/);

    const prompted = await cli.run(['operator', 'unseal'], { prompts: [keys[1] ?? ''] });
    assert.equal(prompted.status, 0, prompted.err);
    assert.deepEqual(cli.questions, ['Unseal Key (will be hidden): ']);
    assert.ok(!prompted.out.includes(keys[1] ?? '?'), 'the key is never echoed');
  });

  it('refuses a bad unseal key with exit 2 without echoing it', async () => {
    await init();
    const bad = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const result = await cli.run(['operator', 'unseal', bad]);
    assert.equal(result.status, 2);
    assert.match(result.err, /^Error unsealing: Error making API request\.\n\nURL: PUT http:/);
    assert.match(result.err, /Code: 400\. Errors:\n\n\* /);
    assert.ok(!result.err.includes(bad));
  });

  it('seals, reads the key status and rotates the barrier key with the root token', async () => {
    const { unseal_keys_b64: keys, root_token: token } = await init();
    for (const key of keys.slice(0, 2)) await cli.run(['operator', 'unseal', key]);
    cli.env.VAULT_TOKEN = token;

    const status = await cli.run(['operator', 'key-status']);
    assert.equal(status.status, 0, status.err);
    assert.match(status.out, /^Key Term {12}1\nInstall Time {8}\S+\nEncryption Count {4}\d+\n$/);

    const rotated = await cli.run(['operator', 'rotate']);
    assert.equal(rotated.status, 0, rotated.err);
    assert.match(rotated.out, /^Success! Rotated key\n\nKey Term\s+2\n/);
    const json = await cli.run(['operator', 'key-status', '-format=json']);
    assert.equal((JSON.parse(json.out) as { term: number }).term, 2);

    const sealed = await cli.run(['operator', 'seal']);
    assert.equal(sealed.status, 0, sealed.err);
    assert.equal(sealed.out, 'Success! Coffer is sealed.\n');
    assert.equal((await cli.run(['status'])).status, 2);
  });

  it('answers a sealed node with exit 2 and the 503 in Vault words', async () => {
    await init();
    cli.env.VAULT_TOKEN = 'hvs.whatever';
    const result = await cli.run(['kv', 'get', 'secret/app']);
    assert.equal(result.status, 2);
    assert.match(result.err, /^Error reading secret\/app: Error making API request\./);
    assert.match(result.err, /Code: 503\. Errors:\n\n\* Vault is sealed/);
    assert.ok(!result.err.includes('hvs.whatever'), 'no token in errors');
  });

  it('exits 1 from status when no server answers', async () => {
    const nowhere = new CliEnv('http://127.0.0.1:1');
    try {
      const result = await nowhere.run(['status']);
      assert.equal(result.status, 1);
      assert.match(result.err, /^Error checking seal status: GET http:\/\/127\.0\.0\.1:1\/v1\//);
    } finally {
      nowhere.cleanup();
    }
  });
});
