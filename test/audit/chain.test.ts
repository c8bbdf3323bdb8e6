import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { verifyAuditChain, verifyAuditFile } from '../../src/audit/index.js';
import { fileDevice, requestEntry, tempDir } from './support.js';

const run = promisify(execFile);

describe('audit hash chain', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: string;
  let lines: string[];

  /** Five lines from a real device; `lines` holds them without newlines. */
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    file = path.join(dir, 'audit.log');
    const { device } = await fileDevice(file);
    for (let i = 1; i <= 5; i++) {
      const entry = requestEntry();
      await device.logRequest({ ...entry, request: { ...entry.request, id: `req-${i}` } });
    }
    await device.close();
    lines = (await readFile(file, 'utf8')).split('\n').slice(0, -1);
  });
  afterEach(() => cleanup());

  const join = (edited: string[]): string => edited.map((line) => `${line}\n`).join('');

  it('verifies an untouched file', async () => {
    assert.deepEqual(await verifyAuditFile(file), { ok: true, lines: 5 });
    assert.deepEqual(verifyAuditChain(''), { ok: true, lines: 0 });
  });

  it('detects an edited line at the line after it', () => {
    const edited = [...lines];
    edited[2] = (edited[2] as string).replace('"req-3"', '"req-X"');
    const result = verifyAuditChain(join(edited));
    assert.equal(result.ok, false);
    assert.equal(result.firstBadLine, 4);
    assert.match(result.reason ?? '', /prev_hash/);
  });

  it('detects an edited last line only through its own prev_hash', () => {
    const edited = [...lines];
    const last = JSON.parse(edited[4] as string);
    last.prev_hash = 'f'.repeat(64);
    edited[4] = JSON.stringify(last);
    assert.equal(verifyAuditChain(join(edited)).firstBadLine, 5);
  });

  it('detects a deleted middle line', () => {
    const result = verifyAuditChain(join([...lines.slice(0, 2), ...lines.slice(3)]));
    assert.deepEqual(
      { ok: result.ok, firstBadLine: result.firstBadLine, lines: result.lines },
      { ok: false, firstBadLine: 3, lines: 4 },
    );
  });

  it('detects two swapped lines', () => {
    const swapped = [lines[0], lines[2], lines[1], lines[3], lines[4]] as string[];
    assert.equal(verifyAuditChain(join(swapped)).firstBadLine, 2);
  });

  it('detects a deleted first line and an inserted line', () => {
    assert.equal(verifyAuditChain(join(lines.slice(1))).firstBadLine, 1);
    const inserted = [...lines.slice(0, 3), lines[1] as string, ...lines.slice(3)];
    assert.equal(verifyAuditChain(join(inserted)).firstBadLine, 4);
  });

  it('reports a line that is not JSON or has no prev_hash', () => {
    assert.equal(verifyAuditChain(join([...lines.slice(0, 2), 'garbage'])).firstBadLine, 3);
    const bare = join([lines[0] as string, '{"type":"request"}']);
    assert.match(verifyAuditChain(bare).reason ?? '', /no prev_hash/);
  });

  it('cannot tell that lines were cut off the end', () => {
    assert.deepEqual(verifyAuditChain(join(lines.slice(0, 3))), { ok: true, lines: 3 });
  });

  describe('cluster/audit-verify.ts', () => {
    const script = path.resolve('cluster/audit-verify.ts');
    const verify = (target: string) =>
      run(process.execPath, ['--import', 'tsx', script, target]).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
      );

    it('exits 0 for a good file and 1 with the bad line for a tampered one', async () => {
      const good = await verify(file);
      assert.equal(good.code, 0);
      assert.equal(JSON.parse(good.stdout).ok, true);

      const tampered = path.join(dir, 'tampered.log');
      await writeFile(tampered, join([lines[0], lines[2], lines[1]] as string[]));
      const bad = await verify(tampered);
      assert.equal(bad.code, 1);
      assert.equal(JSON.parse(bad.stdout).firstBadLine, 2);
    });
  });
});
