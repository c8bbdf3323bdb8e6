import assert from 'node:assert/strict';
import { appendFile, chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import {
  AuditSalt,
  FileAuditDevice,
  GENESIS_HASH,
  lineHash,
  parseFileOptions,
  verifyAuditChain,
} from '../../src/audit/index.js';
import { InmemStorage, InvalidRequestError } from '../../src/logical/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { fileDevice, NOW, readLines, requestEntry, responseEntry, tempDir } from './support.js';

describe('FileAuditDevice', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: string;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    file = path.join(dir, 'audit.log');
  });
  afterEach(() => cleanup());

  describe('options', () => {
    it('creates the file with mode 0600 by default', async () => {
      const { device } = await fileDevice(file);
      await device.close();
      assert.equal((await stat(file)).mode & 0o777, 0o600);
    });

    it('sets the configured mode exactly, also on an existing file', async () => {
      await writeFile(file, '', { mode: 0o644 });
      const { device } = await fileDevice(file, { mode: '0640' });
      await device.close();
      assert.equal((await stat(file)).mode & 0o777, 0o640);
    });

    it('leaves an existing file mode alone with mode 0000', async () => {
      await writeFile(file, '');
      await chmod(file, 0o644);
      const { device } = await fileDevice(file, { mode: '0000' });
      await device.close();
      assert.equal((await stat(file)).mode & 0o777, 0o644);
    });

    it('refuses a mode with any executable bit, and one that is not octal', () => {
      for (const mode of ['0700', '0610', '0601', '0755', '777', '0800', 'rw', '06000']) {
        assert.throws(
          () => parseFileOptions({ file_path: file, mode }),
          InvalidRequestError,
          mode,
        );
      }
    });

    it('refuses a relative or missing path, unknown options, bad booleans and formats', () => {
      const bad: Record<string, string>[] = [
        {},
        { file_path: 'relative/audit.log' },
        { file_path: file, colour: 'blue' },
        { file_path: file, log_raw: 'maybe' },
        { file_path: file, format: 'jsonx' },
        { file_path: file, prefix: 'a\nb' },
      ];
      for (const options of bad) {
        const label = JSON.stringify(options);
        assert.throws(() => parseFileOptions(options), InvalidRequestError, label);
      }
    });

    it('reads the Vault defaults and the special targets', () => {
      const parsed = parseFileOptions({ file_path: file });
      assert.deepEqual(parsed.target, { kind: 'file', path: file });
      assert.equal(parsed.mode, 0o600);
      assert.deepEqual(parsed.format, {
        hmacAccessor: true,
        logRaw: false,
        elideListResponses: false,
      });
      assert.equal(parseFileOptions({ file_path: 'stdout' }).target.kind, 'stdout');
      assert.equal(parseFileOptions({ path: 'discard' }).target.kind, 'discard');
      assert.equal(parseFileOptions({ file_path: file, log_raw: 'true' }).format.logRaw, true);
    });
  });

  describe('lines', () => {
    it('appends one well-formed JSON line per entry, with hashed values', async () => {
      const { device } = await fileDevice(file);
      await device.logRequest(requestEntry());
      await device.logResponse(responseEntry());
      await device.close();

      const lines = await readLines(file);
      assert.equal(lines.length, 2);
      assert.deepEqual(
        lines.map((line) => line.type),
        ['request', 'response'],
      );
      assert.equal(lines[0]?.time, new Date(NOW).toISOString());
      const text = await readFile(file, 'utf8');
      assert.equal(text.includes('hunter2'), false);
      assert.ok(text.endsWith('\n'));
    });

    it('hashes as sys/audit-hash reports it', async () => {
      const { device } = await fileDevice(file);
      await device.logRequest(requestEntry());
      await device.close();
      const [line] = await readLines(file);
      const data = (line?.request as { data: { data: { password: string } } }).data;
      assert.equal(data.data.password, await device.hash('hunter2'));
    });

    it('does not interleave lines written concurrently', async () => {
      const { device } = await fileDevice(file);
      const big = 'x'.repeat(64 * 1024);
      const writes = Array.from({ length: 60 }, (_, i) => {
        const entry = requestEntry();
        const request = { ...entry.request, id: `req-${i}`, data: { blob: big, i } };
        return i % 2 === 0
          ? device.logRequest({ ...entry, request })
          : device.logResponse({ ...responseEntry(), request });
      });
      await Promise.all(writes);
      await device.close();

      const lines = await readLines(file);
      assert.equal(lines.length, 60);
      const ids = new Set(lines.map((line) => (line.request as { id: string }).id));
      assert.equal(ids.size, 60);
      assert.deepEqual(verifyAuditChain(await readFile(file)), { ok: true, lines: 60 });
    });

    it('writes the prefix before each line and chains over it', async () => {
      const { device } = await fileDevice(file, { prefix: 'AUDIT: ' });
      await device.logRequest(requestEntry());
      await device.logRequest(requestEntry());
      await device.close();
      const text = await readFile(file, 'utf8');
      assert.ok(text.startsWith('AUDIT: {'));
      assert.equal(verifyAuditChain(text, { prefix: 'AUDIT: ' }).ok, true);
      assert.equal(verifyAuditChain(text).ok, true);
    });

    it('writes to a sink for stdout and nothing for discard', async () => {
      const chunks: string[] = [];
      const sink = {
        write: (chunk: Uint8Array, done: (err?: Error | null) => void) => {
          chunks.push(Buffer.from(chunk).toString('utf8'));
          done();
        },
      };
      const init = {
        salt: new AuditSalt(new InmemStorage()),
        logger: silentLogger,
        now: () => NOW,
        stdout: sink,
      };
      const out = await FileAuditDevice.open({
        ...init,
        options: parseFileOptions({ file_path: 'stdout' }),
      });
      await out.logRequest(requestEntry());
      assert.equal(chunks.length, 1);
      assert.equal(JSON.parse(chunks[0] as string).prev_hash, GENESIS_HASH);

      const none = await FileAuditDevice.open({
        ...init,
        options: parseFileOptions({ file_path: 'discard' }),
      });
      await none.logRequest(requestEntry());
      assert.equal(chunks.length, 1);
    });

    it('rejects writes after close', async () => {
      const { device } = await fileDevice(file);
      await device.close();
      await assert.rejects(device.logRequest(requestEntry()), /closed/);
    });
  });

  describe('chain across restarts and rotation', () => {
    it('starts a new file from the genesis hash', async () => {
      const { device } = await fileDevice(file);
      await device.logRequest(requestEntry());
      await device.close();
      assert.equal((await readLines(file))[0]?.prev_hash, GENESIS_HASH);
    });

    it('continues the chain of an existing file after a restart', async () => {
      const storage = new InmemStorage();
      const first = await fileDevice(file, {}, storage);
      await first.device.logRequest(requestEntry());
      await first.device.close();
      const second = await fileDevice(file, {}, storage);
      await second.device.logResponse(responseEntry());
      await second.device.close();

      const text = await readFile(file, 'utf8');
      assert.deepEqual(verifyAuditChain(text), { ok: true, lines: 2 });
      const firstLine = text.split('\n')[0] as string;
      assert.equal((await readLines(file))[1]?.prev_hash, lineHash(Buffer.from(firstLine)));
    });

    it('reopens: the rotated file keeps its lines and the new file starts a chain', async () => {
      const { device } = await fileDevice(file);
      await device.logRequest(requestEntry());
      const rotated = path.join(dir, 'audit.log.1');
      await rename(file, rotated);
      await device.logRequest(requestEntry()); // still the old file until reopen
      await device.reopen();
      await device.logRequest(requestEntry());
      await device.close();

      assert.deepEqual(verifyAuditChain(await readFile(rotated)), { ok: true, lines: 2 });
      const fresh = await readLines(file);
      assert.equal(fresh.length, 1);
      assert.equal(fresh[0]?.prev_hash, GENESIS_HASH);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
    });

    it('reopens onto the same file and continues its chain', async () => {
      const { device } = await fileDevice(file);
      await device.logRequest(requestEntry());
      await device.reopen();
      await device.logRequest(requestEntry());
      await device.close();
      assert.deepEqual(verifyAuditChain(await readFile(file)), { ok: true, lines: 2 });
    });

    it('ends a torn last line and chains from it, so the verifier points at it', async () => {
      const first = await fileDevice(file);
      await first.device.logRequest(requestEntry());
      await first.device.close();
      await appendFile(file, '{"time":"2024-01-01T00:0');
      const second = await fileDevice(file);
      await second.device.logRequest(requestEntry());
      await second.device.close();

      const text = await readFile(file, 'utf8');
      assert.equal(text.split('\n').length, 4);
      const result = verifyAuditChain(text);
      assert.equal(result.ok, false);
      assert.equal(result.firstBadLine, 2);
      assert.match(result.reason ?? '', /JSON/);
    });

    it('fails to open a file in a missing directory', async () => {
      await assert.rejects(fileDevice(path.join(dir, 'missing', 'audit.log')), { code: 'ENOENT' });
    });
  });
});
