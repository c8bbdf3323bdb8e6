import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { CliEnv, envelope, startFakeServer, type FakeServer } from './support.js';

const MOUNTS = {
  'secret/': {
    type: 'kv',
    description: 'key/value secret storage',
    accessor: 'kv_1a2b',
    config: { default_lease_ttl: 0, max_lease_ttl: 0 },
    options: { version: '2' },
    local: false,
    seal_wrap: false,
  },
  'sys/': {
    type: 'system',
    description: 'system endpoints',
    accessor: 'system',
    config: { default_lease_ttl: 0, max_lease_ttl: 0 },
    options: null,
    local: false,
    seal_wrap: true,
  },
};

const APP_POLICY = 'path "secret/*" {\n  capabilities = ["read"]\n}\n';
const LEASE = 'database/creds/app/abc';

describe('coffer secrets, auth, policy, audit and lease (against a recording fake server)', () => {
  let fake: FakeServer;
  let cli: CliEnv;

  beforeEach(async () => {
    fake = await startFakeServer((request) => {
      const { method, url } = request;
      if (url === '/v1/sys/mounts' && method === 'GET') {
        return { body: { ...MOUNTS, ...envelope(MOUNTS) } };
      }
      if (url === '/v1/sys/auth' && method === 'GET') return { body: envelope({}) };
      if (url === '/v1/sys/policies/acl/' && method === 'LIST') {
        return { body: envelope({ keys: ['app', 'default', 'root'] }) };
      }
      if (url === '/v1/sys/policies/acl/app' && method === 'GET') {
        return { body: envelope({ name: 'app', policy: APP_POLICY }) };
      }
      if (url === '/v1/sys/policies/acl/missing') return { status: 404, body: { errors: [] } };
      if (url === '/v1/sys/audit' && method === 'GET') {
        return {
          body: envelope({
            'file/': { type: 'file', description: '', options: { file_path: '/tmp/audit.log' } },
          }),
        };
      }
      if (url === '/v1/sys/leases/lookup') {
        return {
          body: envelope({
            id: 'database/creds/app/abc',
            issue_time: '2026-01-01T00:00:00Z',
            expire_time: '2026-01-01T01:00:00Z',
            last_renewal: null,
            renewable: true,
            ttl: 3599,
          }),
        };
      }
      if (url === '/v1/sys/leases/renew') {
        return {
          body: envelope(null, { lease_id: LEASE, lease_duration: 7200, renewable: true }),
        };
      }
      return {};
    });
    cli = new CliEnv(fake.address, { VAULT_TOKEN: 'hvs.ROOT' });
  });

  afterEach(async () => {
    await fake.close();
    cli.cleanup();
  });

  it('enables, tunes, moves and disables secrets engines with Vault request bodies', async () => {
    const enabled = await cli.run([
      'secrets',
      'enable',
      '-path=team',
      '-version=2',
      '-description=Team secrets',
      '-max-lease-ttl=72h',
      'kv',
    ]);
    assert.equal(enabled.status, 0, enabled.err);
    assert.equal(enabled.out, 'Success! Enabled the kv secrets engine at: team/\n');
    assert.equal(fake.requests[0]?.method, 'POST');
    assert.equal(fake.requests[0]?.url, '/v1/sys/mounts/team/');
    assert.deepEqual(fake.requests[0]?.json, {
      type: 'kv',
      description: 'Team secrets',
      config: { max_lease_ttl: '72h' },
      options: { version: '2' },
      local: false,
      seal_wrap: false,
    });

    await cli.run(['secrets', 'tune', '-default-lease-ttl=1h', 'team']);
    assert.equal(fake.requests[1]?.url, '/v1/sys/mounts/team/tune');
    assert.deepEqual(fake.requests[1]?.json, { default_lease_ttl: '1h' });

    const moved = await cli.run(['secrets', 'move', 'team', 'teams/a']);
    assert.equal(moved.out, 'Success! Finished moving secrets engine team/ to teams/a/\n');
    assert.deepEqual(fake.requests[2]?.json, { from: 'team/', to: 'teams/a/' });

    const disabled = await cli.run(['secrets', 'disable', 'teams/a/']);
    assert.equal(
      disabled.out,
      'Success! Disabled the secrets engine (if it existed) at: teams/a/\n',
    );
    assert.equal(fake.requests[3]?.method, 'DELETE');
  });

  it('lists secrets engines as a table, detailed, and as the JSON map', async () => {
    const table = await cli.run(['secrets', 'list']);
    assert.equal(
      table.out,
      [
        'Path       Type      Accessor    Description',
        '----       ----      --------    -----------',
        'secret/    kv        kv_1a2b     key/value secret storage',
        'sys/       system    system      system endpoints',
        '',
      ].join('\n'),
    );
    const detailed = await cli.run(['secrets', 'list', '-detailed']);
    assert.match(
      detailed.out,
      /\nsecret\/ +kv +kv_1a2b +system +system +false +false +map\[version:2\] +key/,
    );
    const json = JSON.parse((await cli.run(['secrets', 'list', '-format=json'])).out) as object;
    assert.deepEqual(Object.keys(json), ['secret/', 'sys/']);
  });

  it('enables and tunes auth methods', async () => {
    const result = await cli.run(['auth', 'enable', 'userpass']);
    assert.equal(result.out, 'Success! Enabled userpass auth method at: userpass/\n');
    assert.equal(fake.requests[0]?.url, '/v1/sys/auth/userpass/');
    await cli.run(['auth', 'tune', '-max-lease-ttl=8h', 'userpass/']);
    assert.equal(fake.requests[1]?.url, '/v1/sys/auth/userpass/tune');
    assert.equal(
      (await cli.run(['auth', 'list'])).out,
      'Path    Type    Accessor    Description\n----    ----    --------    -----------\n',
    );
  });

  it('lists, reads, writes and deletes policies through sys/policies/acl', async () => {
    const list = await cli.run(['policy', 'list']);
    assert.equal(list.out, 'app\ndefault\nroot\n');
    assert.equal(fake.requests[0]?.method, 'LIST');

    const read = await cli.run(['policy', 'read', 'app']);
    assert.equal(read.out, 'path "secret/*" {\n  capabilities = ["read"]\n}\n');
    const missing = await cli.run(['policy', 'read', 'missing']);
    assert.equal(missing.status, 2);
    assert.equal(missing.err, 'No policy named: missing\n');

    const file = join(cli.home, 'app.hcl');
    writeFileSync(file, 'path "secret/*" { capabilities = ["read"] }\n');
    const written = await cli.run(['policy', 'write', 'app', file]);
    assert.equal(written.out, 'Success! Uploaded policy: app\n');
    assert.equal(fake.requests.at(-1)?.method, 'PUT');
    assert.deepEqual(fake.requests.at(-1)?.json, { policy: readFileSync(file, 'utf8') });
    const fromStdin = await cli.run(['policy', 'write', 'ops', '-'], { stdin: 'path "x" {}' });
    assert.equal(fromStdin.status, 0, fromStdin.err);
    assert.deepEqual(fake.requests.at(-1)?.json, { policy: 'path "x" {}' });

    const deleted = await cli.run(['policy', 'delete', 'app']);
    assert.equal(deleted.out, 'Success! Deleted policy: app\n');
    assert.equal(fake.requests.at(-1)?.method, 'DELETE');
  });

  it('enables, lists and disables audit devices', async () => {
    const enabled = await cli.run(['audit', 'enable', 'file', 'file_path=/tmp/audit.log']);
    assert.equal(enabled.out, 'Success! Enabled the file audit device at: file/\n');
    assert.equal(fake.requests[0]?.method, 'PUT');
    assert.deepEqual(fake.requests[0]?.json, {
      type: 'file',
      options: { file_path: '/tmp/audit.log' },
      local: false,
    });
    const list = await cli.run(['audit', 'list', '-detailed']);
    assert.match(list.out, /^Path +Type +Description +Options\n/);
    assert.match(list.out, /\nfile\/ +file +n\/a +map\[file_path:\/tmp\/audit\.log\]\n/);
    const disabled = await cli.run(['audit', 'disable', 'file']);
    assert.equal(disabled.out, 'Success! Disabled audit device (if it was enabled) at: file/\n');
  });

  it('looks up, renews and revokes leases', async () => {
    const lookup = await cli.run(['lease', 'lookup', 'database/creds/app/abc']);
    assert.equal(lookup.status, 0, lookup.err);
    assert.match(lookup.out, /\nttl +3599\n/);
    assert.deepEqual(fake.requests[0]?.json, { lease_id: 'database/creds/app/abc' });

    const renewed = await cli.run(['lease', 'renew', '-increment=2h', 'database/creds/app/abc']);
    assert.match(
      renewed.out,
      /^Key +Value\n--- +-----\nlease_id +database\/creds\/app\/abc\nlease_duration +2h\n/,
    );
    assert.match(renewed.out, /\nlease_renewable +true\n$/);
    assert.deepEqual(fake.requests[1]?.json, { lease_id: LEASE, increment: '2h' });

    const revoked = await cli.run(['lease', 'revoke', '-prefix', 'database/creds/app']);
    assert.equal(revoked.out, 'Success! Revoked any leases with prefix: database/creds/app\n');
    assert.equal(fake.requests[2]?.url, '/v1/sys/leases/revoke-prefix/database/creds/app');
    assert.equal((await cli.run(['lease', 'revoke', '-force', 'x'])).status, 1);
  });

  it('unwraps with the wrapping token in the body', async () => {
    await cli.run(['unwrap', 'hvs.WRAPPED']);
    assert.equal(fake.requests[0]?.url, '/v1/sys/wrapping/unwrap');
    assert.deepEqual(fake.requests[0]?.json, { token: 'hvs.WRAPPED' });
  });
});
