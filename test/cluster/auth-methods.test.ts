/**
 * The auth methods on a real three-node cluster (issue "Auth methods"): userpass, AppRole and
 * TLS certificates, each through the leader and through a follower, with their refusals, the
 * token_bound_cidrs check, login lockout, and the workstation flow of a client certificate
 * driven by curl.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import {
  generateCa,
  issueCertificate,
  type CertificateBundle,
} from '../../src/util/tls.js';
import { issue, issueCrl } from '../auth/cert/pki.js';
import { TestCluster, type TestNode } from './support.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Answer {
  status: number;
  headers?: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> & {
    data?: Record<string, unknown>;
    auth?: Record<string, unknown>;
    errors?: string[];
  };
}

describe('Auth methods on a three-node cluster', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let root: string;
  let leader: TestNode;
  let follower: TestNode;
  let other: TestNode;
  let caPem: string;

  /**
   * One request to `node`, optionally over mutual TLS with `client`, from the loopback address
   * `from` (127.0.0.1 unless given), with extra `headers`.
   */
  function call(
    node: TestNode,
    method: string,
    url: string,
    options: {
      body?: unknown;
      token?: string;
      client?: CertificateBundle;
      from?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (options.token !== undefined) headers['x-vault-token'] = options.token;
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${node.api}/v1/${url}`,
        {
          method,
          ca: caPem,
          headers,
          timeout: 20_000,
          agent: false,
          ...(options.from === undefined ? {} : { localAddress: options.from }),
          ...(options.client === undefined
            ? {}
            : { cert: options.client.certPem, key: options.client.keyPem }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: text === '' ? {} : JSON.parse(text),
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async function ok(answer: Promise<Answer>, status = 200): Promise<Answer> {
    const done = await answer;
    assert.equal(done.status, status, JSON.stringify(done.body));
    return done;
  }

  before(async () => {
    const started = await TestCluster.started(3);
    cluster = started.cluster;
    root = started.init.root_token;
    caPem = (await import('node:fs')).readFileSync(path.join(cluster.dir, 'ca.pem'), 'utf8');
    leader = await cluster.agreedLeader(cluster.nodes);
    [follower, other] = cluster.nodes.filter((node) => node !== leader) as [TestNode, TestNode];

    await ok(
      call(leader, 'PUT', 'sys/policies/acl/app-reader', {
        token: root,
        body: { policy: 'path "secret/data/app/*" { capabilities = ["read"] }' },
      }),
      204,
    );
    await ok(
      call(leader, 'PUT', 'secret/data/app/db', {
        token: root,
        body: { data: { password: 'pw1' } },
      }),
    );
    await ok(
      call(leader, 'PUT', 'secret/data/ops/db', {
        token: root,
        body: { data: { password: 'pw2' } },
      }),
    );
  });

  after(async function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.logTails());
    await cluster?.destroy();
  });

  /** The token can read the app secret through `node` and nothing else. */
  async function assertAppReader(node: TestNode, token: string): Promise<void> {
    const read = await ok(call(node, 'GET', 'secret/data/app/db', { token }));
    assert.equal((read.body.data?.data as Record<string, unknown>).password, 'pw1');
    assert.equal((await call(node, 'GET', 'secret/data/ops/db', { token })).status, 403);
    assert.equal((await call(node, 'GET', 'sys/mounts', { token })).status, 403);
  }

  describe('userpass', () => {
    before(async () => {
      const body = { type: 'userpass' };
      await ok(call(leader, 'POST', 'sys/auth/userpass', { token: root, body }), 204);
      await ok(
        call(follower, 'POST', 'auth/userpass/users/alice', {
          token: root,
          body: { password: 'correct horse', token_policies: 'app-reader' },
        }),
        204,
      );
    });

    it('logs in through the leader and through a follower, case-insensitively', async () => {
      for (const [node, name] of [
        [leader, 'alice'],
        [follower, 'ALICE'],
      ] as const) {
        const login = await ok(
          call(node, 'POST', `auth/userpass/login/${name}`, {
            body: { password: 'correct horse' },
          }),
        );
        const auth = login.body.auth as { client_token: string; policies: string[] };
        assert.deepEqual(auth.policies, ['app-reader', 'default']);
        await assertAppReader(other, auth.client_token);
      }
    });

    it('refuses a wrong password and an unknown user alike', async () => {
      const wrong = await call(follower, 'POST', 'auth/userpass/login/alice', {
        body: { password: 'wrong' },
      });
      const unknown = await call(leader, 'POST', 'auth/userpass/login/mallory', {
        body: { password: 'wrong' },
      });
      assert.equal(wrong.status, 400);
      assert.equal(unknown.status, 400);
      assert.deepEqual(wrong.body.errors, unknown.body.errors);
    });

    it('refuses a login from outside the user\'s token_bound_cidrs', async () => {
      await ok(
        call(leader, 'POST', 'auth/userpass/users/bound', {
          token: root,
          body: { password: 'pw', token_policies: 'app-reader', token_bound_cidrs: '10.99.0.0/16' },
        }),
        204,
      );
      for (const node of [leader, follower]) {
        const login = await call(node, 'POST', 'auth/userpass/login/bound', {
          body: { password: 'pw' },
        });
        assert.equal(login.status, 403, JSON.stringify(login.body));
      }
    });

    it('locks a user after 5 failures through any node, with 429 and Retry-After', async () => {
      await ok(
        call(leader, 'POST', 'auth/userpass/users/carol', {
          token: root,
          body: { password: 'pw' },
        }),
        204,
      );
      const nodes = [leader, follower, other, follower, leader];
      for (const node of nodes) {
        const failed = await call(node, 'POST', 'auth/userpass/login/carol', {
          body: { password: 'nope' },
        });
        assert.equal(failed.status, 400);
      }
      const locked = await call(other, 'POST', 'auth/userpass/login/Carol', {
        body: { password: 'pw' },
      });
      assert.equal(locked.status, 429, JSON.stringify(locked.body));
      const retryAfter = Number(locked.headers?.['retry-after']);
      assert.ok(retryAfter > 14 * 60 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
      const listed = await ok(call(follower, 'GET', 'sys/locked-users', { token: root }));
      assert.equal(listed.body.data?.total, 1);
      const mounts = (listed.body.data?.by_namespace as { mount_accessors: unknown[] }[])[0]
        ?.mount_accessors as { mount_accessor: string; alias_identifiers: string[] }[];
      assert.deepEqual(mounts[0]?.alias_identifiers, ['carol']);

      const unlock = `sys/locked-users/${mounts[0]?.mount_accessor}/unlock/carol`;
      await ok(call(other, 'POST', unlock, { token: root }), 204);
      await ok(call(follower, 'POST', 'auth/userpass/login/carol', { body: { password: 'pw' } }));
      const after = await ok(call(leader, 'GET', 'sys/locked-users', { token: root }));
      assert.equal(after.body.data?.total, 0);
    });
  });

  describe('token_bound_cidrs', () => {
    it('refuses a bound token on every use from outside its blocks, on every node', async () => {
      await ok(
        call(leader, 'POST', 'auth/token/roles/bound', {
          token: root,
          body: { allowed_policies: 'app-reader', token_bound_cidrs: '10.99.0.0/16' },
        }),
        204,
      );
      const created = await ok(
        call(follower, 'POST', 'auth/token/create/bound', {
          token: root,
          body: { policies: ['app-reader'] },
        }),
      );
      const token = (created.body.auth as { client_token: string }).client_token;
      for (const node of cluster.nodes) {
        assert.equal((await call(node, 'GET', 'secret/data/app/db', { token })).status, 403);
        assert.equal((await call(node, 'GET', 'auth/token/lookup-self', { token })).status, 403);
      }
      const lookup = await ok(
        call(other, 'POST', 'auth/token/lookup', { token: root, body: { token } }),
      );
      assert.deepEqual(lookup.body.data?.bound_cidrs, ['10.99.0.0/16']);
    });
  });

  describe('client addresses through forwarding', () => {
    // The client connects from 127.0.0.2; a follower reaches the leader from 127.0.0.1. Only
    // the address the receiving node saw, carried with the forwarded request, can satisfy a
    // block of 127.0.0.2/32; an X-Forwarded-For header never does.
    const CLIENT = '127.0.0.2';
    const SPOOF = { 'x-forwarded-for': CLIENT };

    it('checks a bound token on every node against the client address, not a header', async () => {
      await ok(
        call(leader, 'POST', 'auth/token/roles/here', {
          token: root,
          body: { allowed_policies: 'app-reader', token_bound_cidrs: `${CLIENT}/32` },
        }),
        204,
      );
      const created = await ok(
        call(leader, 'POST', 'auth/token/create/here', {
          token: root,
          body: { policies: ['app-reader'] },
        }),
      );
      const token = (created.body.auth as { client_token: string }).client_token;
      for (const node of cluster.nodes) {
        // renew-self writes, so a follower forwards it to the leader.
        await ok(call(node, 'POST', 'auth/token/renew-self', { token, from: CLIENT }));
        await ok(call(node, 'GET', 'secret/data/app/db', { token, from: CLIENT }));
        for (const headers of [{}, SPOOF]) {
          const renew = await call(node, 'POST', 'auth/token/renew-self', { token, headers });
          assert.equal(renew.status, 403, `${node.id}: ${JSON.stringify(renew.body)}`);
          const read = await call(node, 'GET', 'secret/data/app/db', { token, headers });
          assert.equal(read.status, 403, node.id);
        }
      }
    });

    it('refuses a userpass login from outside token_bound_cidrs by client address', async () => {
      await ok(
        call(leader, 'POST', 'auth/userpass/users/here', {
          token: root,
          body: { password: 'pw', token_policies: 'app-reader', token_bound_cidrs: CLIENT },
        }),
        204,
      );
      const body = { password: 'pw' };
      for (const node of [leader, follower]) {
        const login = await ok(
          call(node, 'POST', 'auth/userpass/login/here', { body, from: CLIENT }),
        );
        const token = (login.body.auth as { client_token: string }).client_token;
        await ok(call(other, 'GET', 'secret/data/app/db', { token, from: CLIENT }));
        const spoofed = await call(node, 'POST', 'auth/userpass/login/here', {
          body,
          headers: SPOOF,
        });
        assert.equal(spoofed.status, 403, JSON.stringify(spoofed.body));
      }
    });
  });

  describe('AppRole', () => {
    let roleId: string;

    before(async () => {
      const body = { type: 'approle' };
      await ok(call(leader, 'POST', 'sys/auth/approle', { token: root, body }), 204);
      await ok(
        call(leader, 'POST', 'auth/approle/role/ci', {
          token: root,
          body: { token_policies: 'app-reader', secret_id_num_uses: 1 },
        }),
        204,
      );
      const read = await ok(call(follower, 'GET', 'auth/approle/role/ci/role-id', { token: root }));
      roleId = read.body.data?.role_id as string;
      assert.ok(roleId.length > 0);
    });

    async function secretId(options: Record<string, unknown> = {}): Promise<string> {
      const created = await ok(
        call(follower, 'POST', 'auth/approle/role/ci/secret-id', { token: root, body: options }),
      );
      return created.body.data?.secret_id as string;
    }

    it('logs in with a role id and secret id through a follower', async () => {
      const login = await ok(
        call(follower, 'POST', 'auth/approle/login', {
          body: { role_id: roleId, secret_id: await secretId() },
        }),
      );
      await assertAppReader(leader, (login.body.auth as { client_token: string }).client_token);
    });

    it('lets only one of two concurrent logins through two nodes spend the last use', async () => {
      for (let round = 0; round < 5; round += 1) {
        const secret = await secretId();
        const body = { role_id: roleId, secret_id: secret };
        const answers = await Promise.all([
          call(follower, 'POST', 'auth/approle/login', { body }),
          call(other, 'POST', 'auth/approle/login', { body }),
        ]);
        const statuses = answers.map((answer) => answer.status).sort();
        assert.deepEqual(statuses, [200, 400], JSON.stringify(answers.map((a) => a.body)));
      }
    });

    it('refuses a used-up secret id', async () => {
      const body = { role_id: roleId, secret_id: await secretId() };
      await ok(call(leader, 'POST', 'auth/approle/login', { body }));
      assert.equal((await call(follower, 'POST', 'auth/approle/login', { body })).status, 400);
    });

    it('refuses an expired secret id', async () => {
      const body = { role_id: roleId, secret_id: await secretId({ ttl: '2s' }) };
      // The secret id's TTL is the point here, not speed: wait it out.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.equal((await call(follower, 'POST', 'auth/approle/login', { body })).status, 400);
    });

    it('refuses a bound login from outside its token_bound_cidrs', async () => {
      await ok(
        call(leader, 'POST', 'auth/approle/role/bound', {
          token: root,
          body: { token_policies: 'app-reader', token_bound_cidrs: '10.99.0.0/16' },
        }),
        204,
      );
      const id = (await ok(call(leader, 'GET', 'auth/approle/role/bound/role-id', { token: root })))
        .body.data?.role_id as string;
      const secret = (
        await ok(call(leader, 'POST', 'auth/approle/role/bound/secret-id', { token: root }))
      ).body.data?.secret_id as string;
      const login = await call(follower, 'POST', 'auth/approle/login', {
        body: { role_id: id, secret_id: secret },
      });
      assert.equal(login.status, 400, JSON.stringify(login.body));
    });

    it('refuses a login from outside the secret id bound CIDRs', async () => {
      const body = { role_id: roleId, secret_id: await secretId({ cidr_list: '10.99.0.0/16' }) };
      assert.equal((await call(follower, 'POST', 'auth/approle/login', { body })).status, 400);
      assert.equal((await call(leader, 'POST', 'auth/approle/login', { body })).status, 400);
    });

    it('checks secret id bound CIDRs against the client address a follower saw', async () => {
      const body = { role_id: roleId, secret_id: await secretId({ cidr_list: '127.0.0.2/32' }) };
      const headers = { 'x-forwarded-for': '127.0.0.2' };
      const spoofed = await call(follower, 'POST', 'auth/approle/login', { body, headers });
      assert.equal(spoofed.status, 400, JSON.stringify(spoofed.body));
      await ok(call(follower, 'POST', 'auth/approle/login', { body, from: '127.0.0.2' }));
    });
  });

  describe('TLS certificates', () => {
    let clientCa: CertificateBundle;
    let workstation: CertificateBundle;

    before(async () => {
      clientCa = generateCa({ commonName: 'Workstations CA' });
      workstation = issueCertificate(clientCa, {
        commonName: 'ws1.example.com',
        usages: ['client'],
      });
      await ok(call(leader, 'POST', 'sys/auth/cert', { token: root, body: { type: 'cert' } }), 204);
      await ok(
        call(leader, 'POST', 'auth/cert/certs/web', {
          token: root,
          body: { certificate: clientCa.certPem, token_policies: 'app-reader' },
        }),
        204,
      );
    });

    it('logs in with a certificate through the leader and through a follower', async () => {
      for (const node of [leader, follower]) {
        const login = await ok(
          call(node, 'POST', 'auth/cert/login', { body: { name: 'web' }, client: workstation }),
        );
        await assertAppReader(other, (login.body.auth as { client_token: string }).client_token);
      }
    });

    it('refuses no certificate, one from another CA and an expired one', async () => {
      const strangers = generateCa({ commonName: 'Other CA' });
      const stranger = issueCertificate(strangers, {
        commonName: 'ws1.example.com',
        usages: ['client'],
      });
      const longAgo = new Date(Date.now() - 400 * 86_400_000);
      const expired = issueCertificate(clientCa, {
        commonName: 'ws1.example.com',
        usages: ['client'],
        now: longAgo,
        validDays: 30,
      });
      for (const node of [leader, follower]) {
        assert.equal((await call(node, 'POST', 'auth/cert/login', { body: {} })).status, 400);
        for (const client of [stranger, expired]) {
          const refused = await call(node, 'POST', 'auth/cert/login', { body: {}, client });
          assert.equal(refused.status, 400, JSON.stringify(refused.body));
        }
      }
    });

    it('logs in a leaf under an intermediate the client sends, through a follower', async () => {
      const top = issue({ cn: 'Chain Root CA', ca: true });
      const intermediate = issue({ cn: 'Chain Issuing CA', ca: true, issuer: top });
      const leaf = issue({ cn: 'ws3.example.com', issuer: intermediate });
      const keyPem = leaf.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await ok(
        call(leader, 'POST', 'auth/cert/certs/chained', {
          token: root,
          body: { certificate: top.pem, token_policies: 'app-reader' },
        }),
        204,
      );
      const body = { name: 'chained' };
      for (const node of [follower, leader]) {
        const login = await ok(
          call(node, 'POST', 'auth/cert/login', {
            body,
            client: { certPem: leaf.pem + intermediate.pem, keyPem },
          }),
        );
        await assertAppReader(other, (login.body.auth as { client_token: string }).client_token);
        // Without the intermediate, the leaf does not chain to the role's root.
        const alone = await call(node, 'POST', 'auth/cert/login', {
          body,
          client: { certPem: leaf.pem, keyPem },
        });
        assert.equal(alone.status, 400, JSON.stringify(alone.body));
      }
    });

    it('re-checks the certificate when a cert token is renewed through a follower', async () => {
      const login = await ok(
        call(follower, 'POST', 'auth/cert/login', { body: { name: 'web' }, client: workstation }),
      );
      const token = (login.body.auth as { client_token: string }).client_token;
      await ok(call(follower, 'POST', 'auth/token/renew-self', { token, client: workstation }));
      const bare = await call(follower, 'POST', 'auth/token/renew-self', { token });
      assert.equal(bare.status, 400, JSON.stringify(bare.body));
      assert.match(String(bare.body.errors), /must present the certificate/u);
      const another = issueCertificate(clientCa, {
        commonName: 'ws1.example.com',
        usages: ['client'],
      });
      const swapped = await call(other, 'POST', 'auth/token/renew-self', {
        token,
        client: another,
      });
      assert.equal(swapped.status, 400, JSON.stringify(swapped.body));
    });

    it('never takes a certificate from a header, forwarded or not', async () => {
      // The headers proxies commonly use to pass on a client certificate, and a forged marker.
      const pem = encodeURIComponent(workstation.certPem);
      const headers = {
        'x-coffer-forwarded': 'guess:guess',
        'x-forwarded-client-cert': `Cert="${pem}"`,
        'x-ssl-client-cert': pem,
      };
      for (const node of cluster.nodes) {
        const refused = await call(node, 'POST', 'auth/cert/login', {
          body: { name: 'web' },
          headers,
        });
        assert.equal(refused.status, 400, `${node.id}: ${JSON.stringify(refused.body)}`);
      }
    });

    it('refuses a certificate once a CRL revoking it is written, through any node', async () => {
      const ca = issue({ cn: 'Revoking CA', ca: true });
      const leaf = issue({ cn: 'ws2.example.com', issuer: ca });
      const client: CertificateBundle = {
        certPem: leaf.pem,
        keyPem: leaf.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      };
      await ok(
        call(leader, 'POST', 'auth/cert/certs/revoking', {
          token: root,
          body: { certificate: ca.pem, token_policies: 'app-reader' },
        }),
        204,
      );
      const body = { name: 'revoking' };
      await ok(call(follower, 'POST', 'auth/cert/login', { body, client }));
      await ok(
        call(follower, 'POST', 'auth/cert/crls/revoking', {
          token: root,
          body: { crl: issueCrl(ca, [leaf]) },
        }),
        204,
      );
      for (const node of cluster.nodes) {
        const refused = await call(node, 'POST', 'auth/cert/login', { body, client });
        assert.equal(refused.status, 400, JSON.stringify(refused.body));
      }
    });

    it('matches a pinned leaf only by the whole certificate', async () => {
      const pinned = issueCertificate(clientCa, { commonName: 'pinned', usages: ['client'] });
      const twin = issueCertificate(clientCa, {
        commonName: 'pinned',
        usages: ['client'],
        keyPem: pinned.keyPem,
      });
      await ok(
        call(leader, 'POST', 'auth/cert/certs/pinned', {
          token: root,
          body: { certificate: pinned.certPem, token_policies: 'app-reader' },
        }),
        204,
      );
      await ok(
        call(follower, 'POST', 'auth/cert/login', { body: { name: 'pinned' }, client: pinned }),
      );
      const refused = await call(follower, 'POST', 'auth/cert/login', {
        body: { name: 'pinned' },
        client: twin,
      });
      assert.equal(refused.status, 400);

      // The pinned certificate with one byte of its signature changed, same key.
      const der = new X509Certificate(pinned.certPem).raw;
      der[der.length - 1] ^= 0x01;
      const lines = der.toString('base64').match(/.{1,64}/gu) ?? [];
      const flipped =
        `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
      for (const node of [leader, follower]) {
        const changed = await call(node, 'POST', 'auth/cert/login', {
          body: { name: 'pinned' },
          client: { certPem: flipped, keyPem: pinned.keyPem },
        });
        assert.equal(changed.status, 400, JSON.stringify(changed.body));
      }
    });

    it('serves the workstation flow to curl over mutual TLS', async () => {
      const dir = cluster.dir;
      const files = {
        ca: path.join(dir, 'ca.pem'),
        cert: path.join(dir, 'ws1.pem'),
        key: path.join(dir, 'ws1-key.pem'),
      };
      writeFileSync(files.cert, workstation.certPem);
      writeFileSync(files.key, workstation.keyPem, { mode: 0o600 });
      const curl = async (args: string[]): Promise<Answer> => {
        const { stdout } = await run('curl', [
          '-sS',
          '--cacert',
          files.ca,
          '-w',
          '\n%{http_code}',
          ...args,
          '--max-time',
          '20',
        ]);
        const lines = stdout.trimEnd().split('\n');
        const status = Number(lines.pop());
        const text = lines.join('\n');
        return { status, body: text === '' ? {} : JSON.parse(text) };
      };

      const login = await curl([
        '--cert',
        files.cert,
        '--key',
        files.key,
        '-X',
        'POST',
        '-d',
        '{"name":"web"}',
        `${follower.api}/v1/auth/cert/login`,
      ]);
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const token = (login.body.auth as { client_token: string }).client_token;

      const read = await curl([
        '-H',
        `X-Vault-Token: ${token}`,
        `${other.api}/v1/secret/data/app/db`,
      ]);
      assert.equal(read.status, 200);
      assert.equal((read.body.data?.data as Record<string, unknown>).password, 'pw1');
      for (const url of ['secret/data/ops/db', 'sys/policies/acl', 'auth/token/accessors']) {
        const refused = await curl(['-H', `X-Vault-Token: ${token}`, `${leader.api}/v1/${url}`]);
        assert.equal(refused.status, 403, url);
      }

      // The Python walk-through of docs/auth-cert.md, with requests, through a follower.
      const script = path.join(ROOT, 'docs', 'examples', 'cert_login.py');
      const args = [script, follower.api, files.ca, files.cert, files.key, 'web'];
      const { stdout } = await run('/usr/bin/python3', [...args, 'secret/app/db']);
      assert.deepEqual(JSON.parse(stdout), { password: 'pw1' });
      await assert.rejects(run('/usr/bin/python3', [...args, 'secret/ops/db']), /403/u);
    });
  });

  describe('lockout across a leader change', () => {
    it('keeps a user locked after the leader steps down', async () => {
      await ok(
        call(leader, 'POST', 'auth/userpass/users/dan', { token: root, body: { password: 'pw' } }),
        204,
      );
      for (let i = 0; i < 5; i += 1) {
        const failed = await call(follower, 'POST', 'auth/userpass/login/dan', {
          body: { password: 'nope' },
        });
        assert.equal(failed.status, 400);
      }
      const old = leader;
      await ok(call(old, 'PUT', 'sys/step-down', { token: root }), 204);
      const deadline = Date.now() + 30_000;
      let next = old;
      while (next === old && Date.now() < deadline) {
        next = await cluster.agreedLeader(cluster.nodes);
        if (next === old) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.notEqual(next, old, 'no new leader after step-down');
      for (const node of cluster.nodes) {
        const locked = await call(node, 'POST', 'auth/userpass/login/dan', {
          body: { password: 'pw' },
        });
        assert.equal(locked.status, 429, `${node.id}: ${JSON.stringify(locked.body)}`);
      }
    });
  });
});
