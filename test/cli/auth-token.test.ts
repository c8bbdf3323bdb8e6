import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { CliEnv, envelope, startFakeServer, type FakeServer } from './support.js';

/** What auth/token/lookup-self answers for the fake's token. */
const LOOKUP = {
  accessor: 'acc-123',
  creation_time: 1700000000,
  creation_ttl: 3600,
  display_name: 'userpass-alice',
  entity_id: '',
  expire_time: '2030-01-01T00:00:00Z',
  explicit_max_ttl: 0,
  id: 'hvs.ALICE',
  meta: { username: 'alice' },
  num_uses: 0,
  orphan: true,
  path: 'auth/userpass/login/alice',
  policies: ['default', 'app'],
  renewable: true,
  ttl: 3599,
  type: 'service',
};

const AUTH = {
  client_token: 'hvs.ALICE',
  accessor: 'acc-123',
  policies: ['app', 'default'],
  token_policies: ['app', 'default'],
  metadata: { username: 'alice' },
  lease_duration: 3600,
  renewable: true,
  entity_id: '',
  token_type: 'service',
  orphan: true,
  mfa_requirement: null,
  num_uses: 0,
};

describe('coffer login and token (against a recording fake server)', () => {
  let fake: FakeServer;
  let cli: CliEnv;

  beforeEach(async () => {
    fake = await startFakeServer((request) => {
      const token = request.headers['x-vault-token'];
      if (request.url === '/v1/auth/token/lookup-self') {
        return token === 'hvs.ALICE'
          ? { body: envelope(LOOKUP) }
          : { status: 403, body: { errors: ['permission denied'] } };
      }
      if (request.url === '/v1/auth/userpass/login/alice') {
        const password = (request.json as { password?: string } | undefined)?.password;
        return password === 'pw'
          ? { body: envelope(null, { auth: AUTH }) }
          : { status: 400, body: { errors: ['invalid username or password'] } };
      }
      if (request.url.startsWith('/v1/auth/token/create')) {
        return { body: envelope(null, { auth: { ...AUTH, client_token: 'hvs.CHILD' } }) };
      }
      if (request.url === '/v1/auth/token/lookup') return { body: envelope(LOOKUP) };
      if (request.url === '/v1/auth/token/renew-self') {
        return { body: envelope(null, { auth: AUTH }) };
      }
      if (request.url.startsWith('/v1/auth/token/revoke')) return {};
      if (request.url === '/v1/sys/capabilities-self') {
        const capabilities = ['read', 'list'];
        return { body: envelope({ capabilities, 'secret/data/app': capabilities }) };
      }
      return { status: 404, body: { errors: [] } };
    });
    cli = new CliEnv(fake.address);
  });

  afterEach(async () => {
    await fake.close();
    cli.cleanup();
  });

  const helperFile = (): string => join(cli.home, '.vault-token');

  it('logs in with userpass, prompting for the password, storing the token 0600', async () => {
    const result = await cli.run(['login', '-method=userpass', 'username=alice'], {
      prompts: ['pw'],
    });
    assert.equal(result.status, 0, result.err);
    assert.deepEqual(cli.questions, ['Password (will be hidden): ']);

    const request = fake.requests[0];
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/v1/auth/userpass/login/alice');
    assert.deepEqual(request?.json, { password: 'pw' });
    assert.equal(request?.headers['x-vault-token'], undefined, 'a login sends no token');
    assert.equal(request?.headers['x-vault-request'], 'true');

    assert.equal(readFileSync(helperFile(), 'utf8'), 'hvs.ALICE');
    assert.equal(statSync(helperFile()).mode & 0o777, 0o600);
    assert.match(result.out, /^Success! You are now authenticated\./);
    assert.match(result.out, /\ntoken +hvs\.ALICE\n/);
    assert.match(result.out, /\ntoken_duration +1h\n/);
    assert.match(result.out, /\ntoken_policies +\["app","default"\]\n/);
    assert.match(result.out, /\ntoken_meta_username +alice\n/);

    // Later commands send the stored token.
    const lookup = await cli.run(['token', 'lookup']);
    assert.equal(lookup.status, 0, lookup.err);
    assert.equal(fake.requests[1]?.headers['x-vault-token'], 'hvs.ALICE');
    assert.match(lookup.out, /\npolicies +\[default app\]\n/);
    assert.match(lookup.out, /\ndisplay_name +userpass-alice\n/);
  });

  it('refuses a wrong password with exit 2 and stores nothing', async () => {
    const result = await cli.run(['login', '-method=userpass', 'username=alice', 'password=bad']);
    assert.equal(result.status, 2);
    assert.match(result.err, /^Error authenticating: Error making API request\./);
    assert.match(result.err, /\* invalid username or password\n$/);
    assert.ok(!result.err.includes('bad\n') && !result.err.includes('password=bad'));
    assert.throws(() => statSync(helperFile()));
  });

  it('logs in with a token read from stdin, prints -field=token_accessor', async () => {
    const result = await cli.run(['login', '-field=token_accessor', '-'], { stdin: 'hvs.ALICE\n' });
    assert.equal(result.status, 0, result.err);
    assert.equal(result.out, 'acc-123');
    assert.equal(fake.requests[0]?.headers['x-vault-token'], 'hvs.ALICE');
    assert.equal(readFileSync(helperFile(), 'utf8'), 'hvs.ALICE');
  });

  it('answers a bad token login with a 403 and exit 2, without echoing the token', async () => {
    const result = await cli.run(['login', 'hvs.WRONG']);
    assert.equal(result.status, 2);
    assert.match(result.err, /Code: 403\. Errors:\n\n\* permission denied/);
    assert.ok(!result.err.includes('hvs.WRONG'));
  });

  it('replaces an older stored token, leaving the file readable by its owner only', async () => {
    writeFileSync(helperFile(), 'hvs.OLD', { mode: 0o644 });
    const result = await cli.run(['login', 'hvs.ALICE']);
    assert.equal(result.status, 0, result.err);
    assert.equal(fake.requests[0]?.headers['x-vault-token'], 'hvs.ALICE');
    assert.equal(readFileSync(helperFile(), 'utf8'), 'hvs.ALICE');
    assert.equal(statSync(helperFile()).mode & 0o777, 0o600);
  });

  it('does not store the token with -no-store', async () => {
    const result = await cli.run(['login', '-no-store', 'hvs.ALICE']);
    assert.equal(result.status, 0, result.err);
    assert.throws(() => statSync(helperFile()));
  });

  it('creates a token with the flags as the API fields', async () => {
    cli.env.VAULT_TOKEN = 'hvs.ALICE';
    const result = await cli.run([
      'token',
      'create',
      '-policy=app',
      '-policy',
      'db',
      '-ttl=1h',
      '-renewable=false',
      '-metadata=team=a',
      '-orphan',
      '-field=token',
    ]);
    assert.equal(result.status, 0, result.err);
    assert.equal(result.out, 'hvs.CHILD');
    const request = fake.requests[0];
    assert.equal(request?.url, '/v1/auth/token/create-orphan');
    assert.deepEqual(request?.json, {
      policies: ['app', 'db'],
      ttl: '1h',
      renewable: false,
      no_default_policy: false,
      meta: { team: 'a' },
    });
  });

  it('looks up, renews and revokes other tokens by body, never by URL', async () => {
    cli.env.VAULT_TOKEN = 'hvs.ALICE';
    assert.equal((await cli.run(['token', 'lookup', 'hvs.OTHER'])).status, 0);
    assert.deepEqual(fake.requests[0]?.json, { token: 'hvs.OTHER' });
    assert.equal((await cli.run(['token', 'renew', '-increment=2h'])).status, 0);
    assert.deepEqual(fake.requests[1]?.json, { increment: '2h' });
    const revoked = await cli.run(['token', 'revoke', 'hvs.OTHER']);
    assert.equal(revoked.out, 'Success! Revoked token (if it existed)\n');
    assert.equal(fake.requests[2]?.url, '/v1/auth/token/revoke');
    assert.equal((await cli.run(['token', 'revoke'])).status, 1, 'a token or -self is required');
  });

  it('prints capabilities comma-separated', async () => {
    cli.env.VAULT_TOKEN = 'hvs.ALICE';
    const result = await cli.run(['token', 'capabilities', 'secret/data/app']);
    assert.equal(result.out, 'list, read\n');
    assert.deepEqual(fake.requests[0]?.json, { paths: ['secret/data/app'] });
  });

  it('prefers COFFER_ variables over VAULT_ ones', async () => {
    const other = new CliEnv('http://127.0.0.1:1', {
      COFFER_ADDR: fake.address,
      VAULT_TOKEN: 'hvs.WRONG',
      COFFER_TOKEN: 'hvs.ALICE',
      VAULT_NAMESPACE: 'root',
    });
    try {
      const result = await other.run(['token', 'lookup', '-format=json']);
      assert.equal(result.status, 0, result.err);
      assert.equal(fake.requests[0]?.headers['x-vault-token'], 'hvs.ALICE');
      assert.equal(fake.requests[0]?.headers['x-vault-namespace'], 'root');
      const json = JSON.parse(result.out) as { data: { accessor: string } };
      assert.equal(json.data.accessor, 'acc-123');

      other.env.VAULT_NAMESPACE = 'team-a';
      const refused = await other.run(['token', 'lookup']);
      assert.equal(refused.status, 1);
      assert.match(refused.err, /only the root namespace/);
    } finally {
      other.cleanup();
    }
  });
});
