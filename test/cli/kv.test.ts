import assert from 'node:assert/strict';

import { initAndUnsealOverHttp, type Node } from '../http/support.js';
import { CliEnv, envelope, startFakeServer, startHttpNode } from './support.js';

describe('coffer kv and the generic commands (against a real node)', () => {
  let node: Node;
  let cli: CliEnv;

  beforeEach(async () => {
    const started = await startHttpNode();
    node = started.node;
    const { rootToken } = await initAndUnsealOverHttp(node.app);
    cli = new CliEnv(started.address, { VAULT_TOKEN: rootToken });
  });

  afterEach(async () => {
    await node.server.close();
    cli.cleanup();
  });

  async function ok(argv: string[], options = {}): Promise<string> {
    const result = await cli.run(argv, options);
    assert.equal(result.status, 0, `${argv.join(' ')}: ${result.err}`);
    return result.out;
  }

  describe('kv put and get on KV v2 at secret/', () => {
    it('writes a version and prints its path and metadata like Vault', async () => {
      const out = await ok(['kv', 'put', 'secret/app', 'user=app', 'password=s3cr3t']);
      const lines = out.split('\n');
      assert.equal(lines[0], '== Secret Path ==');
      assert.equal(lines[1], 'secret/data/app');
      assert.equal(lines[2], '');
      assert.match(lines[3] ?? '', /^=+ Metadata =+$/);
      assert.match(out, /\nversion +1\n/);
      assert.ok(!out.includes('s3cr3t'), 'put does not print the data');
    });

    it('reads the secret back as table, json and -field', async () => {
      await ok(['kv', 'put', 'secret/app', 'user=app', 'password=s3cr3t']);

      const table = await ok(['kv', 'get', 'secret/app']);
      assert.match(table, /^== Secret Path ==\nsecret\/data\/app\n\n/);
      assert.match(table, /\n=+ Data =+\nKey +Value\n--- +-----\npassword +s3cr3t\nuser +app\n$/);
      assert.match(table, /\ncustom_metadata +<nil>\n/);
      assert.match(table, /\ndeletion_time +n\/a\n/);

      const json = JSON.parse(await ok(['kv', 'get', '-format=json', 'secret/app'])) as {
        data: { data: Record<string, string>; metadata: { version: number } };
      };
      assert.deepEqual(Object.keys(json), [
        'request_id',
        'lease_id',
        'lease_duration',
        'renewable',
        'data',
        'warnings',
      ]);
      assert.deepEqual(json.data.data, { password: 's3cr3t', user: 'app' });
      assert.equal(json.data.metadata.version, 1);

      assert.equal(await ok(['kv', 'get', '-field=password', 'secret/app']), 's3cr3t');
      assert.equal(
        await ok(['kv', 'get', '-field=password', 'secret/app'], { stdoutIsTty: true }),
        's3cr3t\n',
      );
      const yaml = await ok(['kv', 'get', '-format=yaml', '-mount=secret', 'app']);
      assert.match(yaml, /\n {4}password: s3cr3t\n/);
    });

    it('reads an older version with -version and respects -cas', async () => {
      await ok(['kv', 'put', '-mount=secret', 'app', 'n=1']);
      await ok(['kv', 'put', '-mount=secret', '-cas=1', 'app', 'n=2']);
      assert.equal(await ok(['kv', 'get', '-mount=secret', '-version=1', '-field=n', 'app']), '1');
      assert.equal(await ok(['kv', 'get', '-mount=secret', '-field=n', 'app']), '2');

      const stale = await cli.run(['kv', 'put', '-mount=secret', '-cas=1', 'app', 'n=3']);
      assert.equal(stale.status, 2);
      assert.match(stale.err, /^Error writing data to app: Error making API request\./);
      assert.match(stale.err, /Code: 400\./);
      assert.ok(!stale.err.includes('n=3'));
    });

    it('reads values from files and stdin, and a JSON object from "-"', async () => {
      await ok(['kv', 'put', 'secret/app', 'password=-', 'user=x'], { stdin: 'from-stdin' });
      assert.equal(await ok(['kv', 'get', '-field=password', 'secret/app']), 'from-stdin');
      await ok(['kv', 'put', 'secret/json', '-'], { stdin: '{"a":"1","b":"2"}' });
      assert.equal(await ok(['kv', 'get', '-field=b', 'secret/json']), '2');
    });

    it('patches some keys and keeps the others', async () => {
      await ok(['kv', 'put', 'secret/app', 'user=app', 'password=old']);
      await ok(['kv', 'patch', 'secret/app', 'password=new']);
      const json = JSON.parse(await ok(['kv', 'get', '-format=json', 'secret/app'])) as {
        data: { data: Record<string, string> };
      };
      assert.deepEqual(json.data.data, { password: 'new', user: 'app' });
      await ok(['kv', 'patch', '-method=rw', 'secret/app', 'user=other']);
      assert.equal(await ok(['kv', 'get', '-field=user', 'secret/app']), 'other');
    });

    it('lists keys, deletes the latest version and reads the metadata', async () => {
      await ok(['kv', 'put', 'secret/app', 'a=1']);
      await ok(['kv', 'put', 'secret/team/db', 'a=1']);
      assert.equal(await ok(['kv', 'list', 'secret/']), 'Keys\n----\napp\nteam/\n');
      assert.deepEqual(JSON.parse(await ok(['kv', 'list', '-format=json', 'secret'])), [
        'app',
        'team/',
      ]);

      assert.equal(
        await ok(['kv', 'delete', 'secret/app']),
        'Success! Data deleted (if it existed) at: secret/data/app\n',
      );
      const deleted = await ok(['kv', 'get', 'secret/app']);
      assert.match(deleted, /\ndeletion_time +\d{4}-/);
      assert.ok(!deleted.includes('= Data ='), 'a deleted version has no data section');

      const metadata = await ok(['kv', 'metadata', 'get', 'secret/app']);
      assert.match(metadata, /^=+ Metadata Path =+\nsecret\/metadata\/app\n\n=+ Metadata =+\n/);
      assert.match(metadata, /\ncurrent_version +1\n/);
      assert.match(metadata, /\n=+ Version 1 =+\n/);
      const json = JSON.parse(await ok(['kv', 'metadata', 'get', '-format=json', 'secret/app']));
      assert.equal((json as { data: { current_version: number } }).data.current_version, 1);
    });

    it('exits 2 with "No value found" for a missing secret or folder', async () => {
      const get = await cli.run(['kv', 'get', 'secret/none']);
      assert.equal(get.status, 2);
      assert.equal(get.err, 'No value found at secret/data/none\n');
      const list = await cli.run(['kv', 'list', 'secret/none']);
      assert.equal(list.status, 2);
      assert.equal(list.err, 'No value found at secret/metadata/none/\n');
    });

    it('exits 1 for a missing field, data that is not key=value, or no data', async () => {
      await ok(['kv', 'put', 'secret/app', 'a=1']);
      const field = await cli.run(['kv', 'get', '-field=nope', 'secret/app']);
      assert.equal(field.status, 1);
      assert.match(field.err, /^Field "nope" not present in secret\n/);
      const bad = await cli.run(['kv', 'put', 'secret/app', 'hunter2']);
      assert.equal(bad.status, 1);
      assert.ok(!bad.err.includes('hunter2'), 'the mistyped argument is not echoed');
      assert.match(bad.err, /Run 'coffer kv put -h' for usage\.\n$/);
      assert.equal((await cli.run(['kv', 'put', 'secret/app'])).status, 1);
    });
  });

  describe('kv on a KV version 1 mount', () => {
    it('learns the version from sys/internal/ui/mounts and uses the path as given', async () => {
      await ok(['secrets', 'enable', '-path=kv1', '-version=1', 'kv']);
      assert.equal(
        await ok(['kv', 'put', 'kv1/app', 'password=v1', 'user=app']),
        'Success! Data written to: kv1/app\n',
      );
      assert.equal(
        await ok(['kv', 'get', 'kv1/app']),
        'Key         Value\n---         -----\npassword    v1\nuser        app\n',
      );
      assert.equal(await ok(['kv', 'get', '-mount=kv1', '-field=password', 'app']), 'v1');
      const json = JSON.parse(await ok(['kv', 'get', '-format=json', 'kv1/app'])) as {
        data: Record<string, string>;
      };
      assert.deepEqual(json.data, { password: 'v1', user: 'app' });
      assert.equal(await ok(['kv', 'list', 'kv1']), 'Keys\n----\napp\n');

      for (const argv of [
        ['kv', 'patch', 'kv1/app', 'user=other'],
        ['kv', 'metadata', 'get', 'kv1/app'],
        ['kv', 'undelete', '-versions=1', 'kv1/app'],
      ]) {
        const refused = await cli.run(argv);
        assert.equal(refused.status, 1, argv.join(' '));
        assert.match(refused.err, /is supported only on KV version 2 mounts\n/);
      }
      assert.equal(
        await ok(['kv', 'delete', 'kv1/app']),
        'Success! Data deleted (if it existed) at: kv1/app\n',
      );
      const gone = await cli.run(['kv', 'get', 'kv1/app']);
      assert.equal(gone.status, 2);
      assert.equal(gone.err, 'No value found at kv1/app\n');
    });

    it('asks the preflight first, and takes its 404 for version 1; LIST is LIST', async () => {
      const fake = await startFakeServer((request) => {
        if (request.url.startsWith('/v1/sys/internal/ui/mounts/')) {
          if (request.url.includes('/old/')) return { status: 404, body: { errors: [] } };
          const options = { version: '2' };
          return { body: envelope({ path: 'team/', type: 'kv', options }) };
        }
        if (request.method === 'LIST') return { body: envelope({ keys: ['a', 'b/'] }) };
        return { body: envelope({ k: 'v' }) };
      });
      const other = new CliEnv(fake.address, { VAULT_TOKEN: 'hvs.ROOT' });
      try {
        for (const argv of [
          ['kv', 'list', 'team/apps'],
          ['kv', 'get', '-field=k', 'old/app'],
          ['list', 'old/things'],
        ]) {
          const result = await other.run(argv);
          assert.equal(result.status, 0, `${argv.join(' ')}: ${result.err}`);
        }
        assert.deepEqual(
          fake.requests.map((request) => `${request.method} ${request.url}`),
          [
            'GET /v1/sys/internal/ui/mounts/team/apps',
            'LIST /v1/team/metadata/apps/',
            'GET /v1/sys/internal/ui/mounts/old/app',
            'GET /v1/old/app',
            'LIST /v1/old/things/',
          ],
        );
      } finally {
        other.cleanup();
        await fake.close();
      }
    });
  });

  describe('errors', () => {
    it('exits 2 with a 403 in Vault words for a bad token, without echoing it', async () => {
      cli.env.VAULT_TOKEN = 'hvs.not-a-real-token';
      const result = await cli.run(['kv', 'get', 'secret/app']);
      assert.equal(result.status, 2);
      assert.match(result.err, /^Error reading secret\/app: Error making API request\.\n\n/);
      assert.match(result.err, /\nURL: GET http:\/\/127\.0\.0\.1:\d+\/v1\/sys\/internal\/ui\//);
      assert.match(result.err, /\nCode: 403\. Errors:\n\n\* permission denied\n$/);
      assert.ok(!result.err.includes('not-a-real-token'));
    });

    it('exits 1 for an unknown flag or a missing argument, with a usage hint', async () => {
      const flag = await cli.run(['kv', 'get', '-bogus', 'secret/app']);
      assert.equal(flag.status, 1);
      assert.equal(
        flag.err,
        "error: unknown option '-bogus'\nRun 'coffer kv get -h' for usage.\n",
      );
      const missing = await cli.run(['read']);
      assert.equal(missing.status, 1);
      assert.match(missing.err, /missing required argument 'path'/);
      const format = await cli.run(['read', '-format=xml', 'sys/mounts']);
      assert.equal(format.status, 1);
      assert.match(format.err, /^Invalid output format: xml/);
    });

    it('prints usage with an example for -h', async () => {
      const help = await cli.run(['kv', 'get', '-h']);
      assert.equal(help.status, 0);
      assert.match(help.out, /^Usage: coffer kv get \[options\] <path>\n/);
      assert.match(help.out, /\nExamples:\n {2}\$ coffer kv get secret\/app\n/);
    });
  });

  describe('read, write, list and delete', () => {
    it('works on any path with the Vault envelope', async () => {
      const written = await ok(['write', 'secret/data/raw', '-'], { stdin: '{"data":{"k":"v"}}' });
      // A KV v2 write answers with metadata, printed as a Key/Value table.
      assert.match(written, /^Key +Value\n--- +-----\n/);
      assert.match(written, /\nversion +1\n/);
      const refused = await cli.run(['write', 'secret/data/raw', 'data=-'], { stdin: 'x' });
      assert.equal(refused.status, 2);
      assert.match(refused.err, /Code: 400\./);

      const read = await ok(['read', 'secret/data/raw']);
      assert.match(read, /\ndata +map\[k:v\]\n/);
      assert.equal(await ok(['read', '-field=data', 'secret/data/raw']), '{"k":"v"}');
      const json = JSON.parse(await ok(['read', '-format=json', 'secret/data/raw'])) as {
        data: { data: { k: string } };
      };
      assert.equal(json.data.data.k, 'v');

      assert.equal(await ok(['list', 'secret/metadata']), 'Keys\n----\nraw\n');
      assert.equal(
        await ok(['delete', 'secret/data/raw']),
        'Success! Data deleted (if it existed) at: secret/data/raw\n',
      );
      // A soft-deleted version still answers (a 404 with its metadata), as in Vault.
      assert.match(await ok(['read', 'secret/data/raw']), /\ndata +<nil>\n/);
      await ok(['delete', 'secret/metadata/raw']);
      const missing = await cli.run(['read', 'secret/data/raw']);
      assert.equal(missing.status, 2);
      assert.equal(missing.err, 'No value found at secret/data/raw\n');
    });

    it('reads the mount table with data copied to the top level', async () => {
      const out = await ok(['read', '-format=json', 'sys/mounts']);
      const json = JSON.parse(out) as { data: Record<string, { type: string }> };
      assert.equal(json.data['secret/']?.type, 'kv');
      const list = await ok(['secrets', 'list']);
      assert.match(list, /^Path +Type +Accessor +Description\n/);
      assert.match(list, /\nsecret\/ +kv +\S+ +key\/value secret storage\n/);
    });
  });
});
