import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { AuditFailedError, type AuditEnableConfig } from '../../src/audit/index.js';
import { BarrierAlreadyInitializedError, SealedError } from '../../src/barrier/index.js';
import {
  InvalidRequestError,
  PermissionDeniedError,
  UnsupportedPathError,
  VaultSealedError,
} from '../../src/logical/index.js';
import { InitOptionsError, REPORTED_VERSION } from '../../src/vault/index.js';
import { RecordingLogger } from '../http/support.js';
import { FakeCluster } from './fake-cluster.js';
import { coreHarness, initAndUnseal, type CoreHarness } from './support.js';

describe('Core', () => {
  let h: CoreHarness;

  beforeEach(() => {
    h = coreHarness();
  });

  describe('init', () => {
    it('returns the shares and a root token, and leaves the node sealed', async () => {
      const result = await h.core.initialize({ secretShares: 5, secretThreshold: 3 });
      assert.equal(result.keys.length, 5);
      assert.equal(result.keysBase64.length, 5);
      assert.match(result.rootToken, /^hvs\.[A-Za-z0-9]{24,}$/);
      assert.equal(h.core.sealed, true);
      assert.equal(await h.core.isInitialized(), true);
    });

    it('refuses a second init, and options a Shamir seal cannot honour', async () => {
      await assert.rejects(
        h.core.initialize({ secretShares: 1, secretThreshold: 1, recoveryShares: 2 }),
        InitOptionsError,
      );
      await assert.rejects(h.core.initialize({ pgpKeys: ['k'] }), InitOptionsError);
      await h.core.initialize({ secretShares: 1, secretThreshold: 1 });
      await assert.rejects(h.core.initialize({}), BarrierAlreadyInitializedError);
    });

    it('never stores the root token or a share in clear', async () => {
      const { keys, rootToken } = await initAndUnseal(h.core);
      const secrets = [rootToken, rootToken.slice(4), ...keys];
      for (const [key, value] of h.physical.entries()) {
        const stored = `${key} ${Buffer.from(value).toString('latin1')}`;
        for (const secret of secrets) assert.equal(stored.includes(secret), false, key);
      }
    });
  });

  describe('seal and unseal', () => {
    it('reports progress, then unsealed with the cluster identity', async () => {
      const { keys } = await h.core.initialize({ secretShares: 5, secretThreshold: 3 });
      const first = await h.core.unseal(keys[0] as string);
      assert.equal(first.progress, 1);
      assert.equal(first.sealed, true);
      await h.core.unseal(keys[3] as string);
      const done = await h.core.unseal(keys[4] as string);
      assert.equal(done.sealed, false);
      assert.equal(done.progress, 0);
      assert.equal(done.version, REPORTED_VERSION);
      assert.match(done.cluster?.name ?? '', /^vault-cluster-[a-z0-9]{8}$/);
    });

    it('answers 503 to everything but the seal endpoints while sealed', async () => {
      const { rootToken } = await h.core.initialize({});
      await assert.rejects(
        h.call('read', 'secret/data/app', { token: rootToken }),
        VaultSealedError,
      );
      await assert.rejects(
        h.call('read', 'sys/key-status', { token: rootToken }),
        VaultSealedError,
      );
      const status = await h.call('read', 'sys/seal-status');
      assert.equal((status?.raw?.body as { sealed: boolean }).sealed, true);
    });

    it('seals again on sys/seal, wiping access until the next unseal', async () => {
      const { keys, rootToken } = await initAndUnseal(h.core);
      assert.equal(await h.call('update', 'sys/seal', { token: rootToken }), null);
      assert.equal(h.core.sealed, true);
      await assert.rejects(h.call('read', 'secret/config', { token: rootToken }), VaultSealedError);
      for (const key of keys.slice(2)) await h.core.unseal(key);
      assert.ok(await h.call('read', 'secret/config', { token: rootToken }));
    });

    it('keeps secrets, the mount table and the root token across a restart', async () => {
      const { keys, rootToken } = await initAndUnseal(h.core);
      await h.call('update', 'secret/data/app', { token: rootToken, data: { data: { v: 1 } } });
      const mountsBefore = h.core.mounts();

      const restarted = coreHarness({ physical: h.physical });
      for (const key of keys.slice(1, 4)) await restarted.core.unseal(key);
      const read = await restarted.call('read', 'secret/data/app', { token: rootToken });
      assert.deepEqual((read?.data as { data: unknown }).data, { v: 1 });
      assert.deepEqual(restarted.core.mounts(), mountsBefore);
    });
  });

  describe('request pipeline', () => {
    let rootToken: string;

    beforeEach(async () => {
      ({ rootToken } = await initAndUnseal(h.core));
    });

    it('refuses a missing, an unknown and a malformed token with the same error', async () => {
      for (const token of [undefined, '', 'hvs.unknown', 'x'.repeat(10_000), 'jeton-été']) {
        await assert.rejects(
          h.call('read', 'secret/config', { token }),
          (err: unknown) =>
            err instanceof PermissionDeniedError && err.message === 'permission denied',
          String(token).slice(0, 20),
        );
      }
    });

    it('checks the token before the route, so unknown paths leak nothing without one', async () => {
      await assert.rejects(h.call('read', 'nowhere/x'), PermissionDeniedError);
      await assert.rejects(
        h.call('read', 'nowhere/x', { token: rootToken }),
        (err: unknown) =>
          err instanceof UnsupportedPathError &&
          err.message === 'no handler for route "nowhere/x". route entry not found.',
      );
    });

    it('routes secret/ to KV version 2 with the mount path cut off', async () => {
      const written = await h.call('update', 'secret/data/a/b', {
        token: rootToken,
        data: { data: { k: 'v' } },
      });
      assert.equal(written?.data?.version, 1);
      const listed = await h.call('list', 'secret/metadata/a/', { token: rootToken });
      assert.deepEqual(listed?.data, { keys: ['b'] });
    });

    it('refuses path traversal before routing', async () => {
      await assert.rejects(
        h.call('read', 'secret/../sys/key-status', { token: rootToken }),
        InvalidRequestError,
      );
    });

    it('reports and rotates the barrier key term', async () => {
      const before = await h.call('read', 'sys/key-status', { token: rootToken });
      assert.equal(before?.data?.term, 1);
      assert.equal(before?.dataAtTopLevel, true);
      assert.equal(await h.call('update', 'sys/rotate', { token: rootToken }), null);
      const after = await h.call('read', 'sys/key-status', { token: rootToken });
      assert.equal(after?.data?.term, 2);
    });

    it('lists the mounts with KV version 2 at secret/', async () => {
      const mounts = await h.call('read', 'sys/mounts', { token: rootToken });
      const secret = mounts?.data?.['secret/'] as { type: string; options: unknown };
      assert.equal(secret.type, 'kv');
      assert.deepEqual(secret.options, { version: '2' });
      const preflight = await h.call('read', 'sys/internal/ui/mounts/secret/app', {
        token: rootToken,
      });
      assert.equal(preflight?.data?.path, 'secret/');
    });

    it('fails requests in flight with SealedError when the node is sealed under them', async () => {
      const pending = h.call('read', 'secret/data/app', { token: rootToken });
      h.core.sealNode();
      await assert.rejects(
        pending,
        (err: unknown) => err instanceof SealedError || err instanceof VaultSealedError,
      );
    });
  });

  describe('configured audit devices', () => {
    const REFUSING = 'configured audit devices are not enabled; refusing requests';
    const SERVING = 'configured audit devices are enabled; serving requests again';
    let dir: string;
    /** Every core a test starts, sealed afterwards so that its audit files are closed. */
    let started: CoreHarness[];

    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-core-audit-'));
      started = [];
    });

    afterEach(() => {
      for (const { core } of started) core.sealNode();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A core for this test, with `configuredAudit` and no clock beacon rounds. */
    function startCore(options: Parameters<typeof coreHarness>[0]): CoreHarness {
      const harness = coreHarness({ clockBeaconMs: 0, ...options });
      started.push(harness);
      return harness;
    }

    function configured(file: string): AuditEnableConfig[] {
      return [{ type: 'file', options: { file_path: file, mode: '0600' } }];
    }

    function refusedFor(file: string): (err: unknown) => boolean {
      return (err) =>
        err instanceof AuditFailedError &&
        err.httpStatus === 500 &&
        JSON.stringify(err.fields.missing) === JSON.stringify([file]);
    }

    it('refuses audited requests while a configured device cannot be enabled', async () => {
      // A secret written before the configuration asked for a device.
      const { keys, rootToken } = await initAndUnseal(h.core);
      const data = { data: { password: 'hunter2' } };
      await h.call('update', 'secret/data/app', { token: rootToken, data });
      h.core.sealNode();

      const logger = new RecordingLogger();
      const file = path.join(dir, 'missing', 'audit.log');
      const node = startCore({ physical: h.physical, configuredAudit: configured(file), logger });
      for (const key of keys.slice(0, 3)) await node.core.unseal(key);
      await node.core.ensureConfiguredAudit();
      await node.core.ensureConfiguredAudit();

      for (let attempt = 0; attempt < 3; attempt += 1) {
        const read = node.call('read', 'secret/data/app', { token: rootToken });
        await assert.rejects(read, refusedFor(file));
      }
      await assert.rejects(node.call('read', 'sys/audit', { token: rootToken }), refusedFor(file));
      // The endpoints Vault never audits still answer, so the node's state can be seen.
      const status = await node.call('read', 'sys/seal-status');
      assert.equal((status?.raw?.body as { sealed: boolean }).sealed, false);
      assert.ok(await node.call('read', 'sys/health'));

      const errors = logger.records.filter((record) => record.level === 'error');
      assert.deepEqual(
        errors.map((record) => record.message),
        ['failed to enable configured audit devices', REFUSING],
        logger.text(),
      );
      assert.deepEqual(errors[1]?.fields, { missing: [file] });

      mkdirSync(path.dirname(file));
      await node.core.ensureConfiguredAudit();
      const read = await node.call('read', 'secret/data/app', { token: rootToken });
      assert.deepEqual((read?.data as { data: unknown }).data, data.data);
      const lines = readFileSync(file, 'utf8');
      assert.match(lines, /"secret\/data\/app"/);
      assert.equal(lines.includes('hunter2'), false);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const serving = logger.records.filter((record) => record.message === SERVING);
      assert.equal(serving.length, 1);
      assert.equal(serving[0]?.level, 'info');
      assert.equal(logger.records.filter((record) => record.message === REFUSING).length, 1);
    });

    it('enables again at the next round a configured device disabled through the API', async () => {
      const file = path.join(dir, 'audit.log');
      const node = startCore({ configuredAudit: configured(file) });
      const { rootToken } = await initAndUnseal(node.core);
      await node.core.ensureConfiguredAudit();
      assert.equal(await node.call('delete', 'sys/audit/file', { token: rootToken }), null);

      const read = node.call('read', 'secret/config', { token: rootToken });
      await assert.rejects(read, refusedFor(file));
      await node.core.ensureConfiguredAudit();
      const listed = await node.call('read', 'sys/audit', { token: rootToken });
      assert.deepEqual(Object.keys(listed?.data ?? {}), ['file/']);
      assert.ok(await node.call('read', 'secret/config', { token: rootToken }));
    });

    it('refuses on a follower until the leader has enabled the device', async () => {
      const file = path.join(dir, 'missing', 'audit.log');
      const leader = startCore({ configuredAudit: configured(file) });
      const { keys, rootToken } = await initAndUnseal(leader.core);
      await leader.core.ensureConfiguredAudit();

      const cluster = new FakeCluster();
      cluster.leading = false;
      const follower = startCore({
        physical: leader.physical,
        cluster,
        configuredAudit: configured(file),
      });
      for (const key of keys.slice(0, 3)) await follower.core.unseal(key);
      mkdirSync(path.dirname(file));
      // A follower never enables devices itself: the table is the leader's to write.
      await follower.core.ensureConfiguredAudit();
      const early = follower.call('read', 'secret/config', { token: rootToken });
      await assert.rejects(early, refusedFor(file));

      await leader.core.ensureConfiguredAudit();
      assert.ok(await follower.call('read', 'secret/config', { token: rootToken }));
    });

    it('serves the unaudited sys/seal while refusing, so a node can still be sealed', async () => {
      const file = path.join(dir, 'missing', 'audit.log');
      const node = startCore({ configuredAudit: configured(file) });
      const { rootToken } = await initAndUnseal(node.core);
      const read = node.call('read', 'secret/config', { token: rootToken });
      await assert.rejects(read, AuditFailedError);
      assert.equal(await node.call('update', 'sys/seal', { token: rootToken }), null);
      assert.equal(node.core.sealed, true);
    });
  });
});
