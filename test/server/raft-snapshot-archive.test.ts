/**
 * The snapshot archive (src/server/raft-snapshot-archive.ts) and its tar codec: what goes in
 * comes out, GNU tar reads it, and every kind of damage is refused with its reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import {
  hasClusterTag,
  openSnapshot,
  packSnapshot,
  SnapshotRejectedError,
  type SnapshotMeta,
  type SnapshotRejection,
} from '../../src/server/raft-snapshot-archive.js';
import { MalformedTarError, readTar, writeTar } from '../../src/server/raft-snapshot-tar.js';

const KEY = randomBytes(32);
const LIMIT = { maxStateBytes: 1024 * 1024 };

function meta(state: Uint8Array): SnapshotMeta {
  return {
    formatVersion: 1,
    index: 42,
    term: 3,
    nodeId: 'node1',
    createdAt: '2024-05-01T12:00:00.000Z',
    stateBytes: state.byteLength,
  };
}

async function pack(state: Uint8Array = randomBytes(3000)): Promise<Uint8Array> {
  return packSnapshot({ meta: meta(state), state, key: KEY });
}

/** Rewrites one file of an archive and packs it again. */
function rewrite(archive: Uint8Array, name: string, edit: (data: Buffer) => Buffer): Buffer {
  const files = readTar(gunzipSync(archive)).map((file) =>
    file.name === name ? { name, data: edit(Buffer.from(file.data)) } : file,
  );
  return gzipSync(writeTar(files, new Date()));
}

async function rejection(archive: Uint8Array, limit = LIMIT): Promise<SnapshotRejection> {
  try {
    await openSnapshot(archive, limit);
  } catch (err) {
    assert.ok(err instanceof SnapshotRejectedError, String(err));
    assert.equal(err.httpStatus, 400);
    return err.reason;
  }
  assert.fail('the archive was accepted');
}

describe('snapshot archive', () => {
  it('opens what it packs, with its meta, state and this cluster tag', async () => {
    const state = randomBytes(5000);
    const opened = await openSnapshot(await pack(state), LIMIT);
    assert.deepEqual(opened.meta, meta(state));
    assert.deepEqual(Buffer.from(opened.state), state);
    assert.equal(hasClusterTag(opened, KEY), true);
    assert.equal(hasClusterTag(opened, randomBytes(32)), false);
    assert.equal(hasClusterTag(opened, null), false);
  });

  it('is a tar.gz that GNU tar lists and extracts with matching SHA256SUMS', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coffer-snapshot-tar-'));
    try {
      const file = path.join(dir, 'snap.tar.gz');
      writeFileSync(file, await pack());
      const listing = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' });
      assert.deepEqual(listing.trim().split('\n'), [
        'meta.json',
        'state.bin',
        'SHA256SUMS',
        'SHA256SUMS.sealed',
      ]);
      execFileSync('tar', ['-xzf', file, '-C', dir]);
      execFileSync('sha256sum', ['--check', '--quiet', 'SHA256SUMS'], { cwd: dir });
      const metaJson = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
      assert.equal(metaJson.index, 42);
      assert.equal(metaJson.format_version, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a state or meta with a flipped byte (checksum)', async () => {
    const archive = await pack();
    const flip = (data: Buffer): Buffer => {
      data[data.length >> 1]! ^= 0x01;
      return data;
    };
    assert.equal(await rejection(rewrite(archive, 'state.bin', flip)), 'checksum');
    assert.equal(await rejection(rewrite(archive, 'meta.json', flip)), 'checksum');
  });

  it('fails the cluster tag when the checksums were rewritten to match a change', async () => {
    const archive = await pack();
    const files = readTar(gunzipSync(archive));
    const state = Buffer.from(files.find((f) => f.name === 'state.bin')!.data);
    state[0]! ^= 0xff;
    // Re-pack with the altered state and fresh sums, but an attacker's key.
    const forged = await packSnapshot({ meta: meta(state), state, key: randomBytes(32) });
    const opened = await openSnapshot(forged, LIMIT);
    assert.equal(hasClusterTag(opened, KEY), false);
  });

  it('refuses damaged containers as malformed', async () => {
    const archive = await pack();
    assert.equal(await rejection(Buffer.from('not gzip at all')), 'malformed');
    assert.equal(await rejection(gzipSync(Buffer.alloc(100))), 'malformed');
    const files = readTar(gunzipSync(archive));
    const withoutSealed = files.filter((f) => f.name !== 'SHA256SUMS.sealed');
    assert.equal(await rejection(gzipSync(writeTar(withoutSealed, new Date()))), 'malformed');
    const wrongVersion = rewrite(archive, 'SHA256SUMS.sealed', () => Buffer.from('{"x":1}'));
    assert.equal(await rejection(wrongVersion), 'malformed');
  });

  it('refuses a state past the limit without inflating all of it', async () => {
    const big = await pack(Buffer.alloc(300 * 1024));
    assert.equal(await rejection(big, { maxStateBytes: 100 * 1024 }), 'too_large');
    // A small archive that inflates far past the limit (a "zip bomb") stops early too.
    assert.ok(big.byteLength < 10 * 1024, `archive of ${big.byteLength} bytes`);
  });
});

describe('tar codec', () => {
  it('round-trips files of any size, padding each to 512-byte blocks', () => {
    const files = [
      { name: 'a', data: Buffer.alloc(0) },
      { name: 'b.bin', data: randomBytes(512) },
      { name: 'c/d.json', data: randomBytes(1000) },
    ];
    const tar = writeTar(files, new Date(0));
    assert.equal(tar.length % 512, 0);
    const read = readTar(tar);
    assert.deepEqual(
      read.map((f) => [f.name, Buffer.from(f.data)]),
      files.map((f) => [f.name, f.data]),
    );
  });

  it('refuses a bad header checksum, a non-regular entry and a truncated archive', () => {
    const tar = writeTar([{ name: 'x', data: randomBytes(700) }], new Date(0));
    const badSum = Buffer.from(tar);
    badSum[10] = 0x41;
    assert.throws(() => readTar(badSum), /checksum/);

    const symlink = Buffer.from(tar);
    symlink[156] = '2'.charCodeAt(0);
    resum(symlink);
    assert.throws(() => readTar(symlink), (err: unknown) => {
      assert.ok(err instanceof MalformedTarError);
      assert.match(err.message, /not a regular file/);
      return true;
    });

    assert.throws(() => readTar(tar.subarray(0, 1024)), /past the end|end-of-archive/);
  });
});

/** Recomputes the checksum of the header at the start of `tar` after a test edited it. */
function resum(tar: Buffer): void {
  tar.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[i]!;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
}
