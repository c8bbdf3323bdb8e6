import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { chainHash, CHAIN_START, verifyAuditChain } from '../../src/cli/audit-chain.js';
import { formatValue, humanDuration, table } from '../../src/cli/format.js';
import { parseKeyValues } from '../../src/cli/kv-args.js';
import { formatPolicy } from '../../src/cli/policy-format.js';
import { resolveSettings } from '../../src/cli/settings.js';
import { CliEnv } from './support.js';

/** An audit file of `count` chained lines. */
function chainedLines(count: number): string[] {
  const lines: string[] = [];
  let previous = CHAIN_START;
  for (let i = 0; i < count; i++) {
    const line = JSON.stringify({ type: 'request', n: i, prev_hash: previous });
    lines.push(line);
    previous = chainHash(line);
  }
  return lines;
}

describe('coffer local helpers', () => {
  describe('format', () => {
    it('aligns columns four spaces apart and prints empty cells as n/a', () => {
      assert.equal(
        table(['Key', 'Value'], [['a', 'x'], ['longer', '']]),
        'Key       Value\n---       -----\na         x\nlonger    n/a\n',
      );
    });

    it('prints durations as Vault does, without trailing zero units', () => {
      assert.deepEqual(
        [0, 59, 90, 3600, 3660, 3601, 2764800].map(humanDuration),
        ['0s', '59s', '1m30s', '1h', '1h1m', '1h0m1s', '768h'],
      );
    });

    it('prints values as Go would: lists, sorted maps and nil', () => {
      assert.equal(formatValue(['a', 'b']), '[a b]');
      assert.equal(formatValue({ z: 1, a: [true] }), 'map[a:[true] z:1]');
      assert.equal(formatValue(null), '<nil>');
    });
  });

  describe('key=value arguments', () => {
    const io = { stdout: () => undefined, stderr: () => undefined };

    it('turns a repeated key into a list and reads @file values', async () => {
      const cli = new CliEnv('http://127.0.0.1:1');
      try {
        const file = join(cli.home, 'pw.txt');
        writeFileSync(file, 'from-file');
        assert.deepEqual(await parseKeyValues(['a=1', 'a=2', 'a=3', `pw=@${file}`, 'e=x=y'], io), {
          a: ['1', '2', '3'],
          pw: 'from-file',
          e: 'x=y',
        });
      } finally {
        cli.cleanup();
      }
    });

    it('reads stdin only once', async () => {
      const stdinIo = { ...io, readStdin: async () => Buffer.from('v') };
      await assert.rejects(parseKeyValues(['a=-', 'b=-'], stdinIo), /only once/);
    });
  });

  describe('settings', () => {
    it('lets flags win over COFFER_ variables, and COFFER_ over VAULT_', () => {
      const env = {
        VAULT_ADDR: 'http://vault:1',
        COFFER_ADDR: 'http://coffer:2',
        VAULT_FORMAT: 'json',
      };
      assert.equal(resolveSettings({}, env).address, 'http://coffer:2');
      assert.equal(resolveSettings({ address: 'http://flag:3/' }, env).address, 'http://flag:3');
      assert.equal(resolveSettings({}, env).format, 'json');
      assert.equal(resolveSettings({ format: 'yaml' }, env).format, 'yaml');
      assert.equal(resolveSettings({}, { VAULT_SKIP_VERIFY: 'true' }).skipVerify, true);
      assert.throws(() => resolveSettings({}, { VAULT_SKIP_VERIFY: 'maybe' }), /VAULT_SKIP_VERIFY/);
      const missingCa = { VAULT_CACERT: '/nonexistent/ca.pem' };
      assert.throws(() => resolveSettings({}, missingCa), /CA certificate/);
    });
  });

  describe('audit chain', () => {
    it('accepts an intact chain, with or without a final newline', () => {
      const lines = chainedLines(4);
      const result = verifyAuditChain(Buffer.from(`${lines.join('\n')}\n`));
      assert.deepEqual(result, { ok: true, lines: 4, lastHash: chainHash(lines[3] ?? '') });
      assert.equal(verifyAuditChain(Buffer.from(lines.join('\n'))).ok, true);
      assert.deepEqual(verifyAuditChain(Buffer.alloc(0)), {
        ok: true,
        lines: 0,
        lastHash: CHAIN_START,
      });
    });

    it('reports the line after an edit, a removal or a swap', () => {
      const lines = chainedLines(5);
      const edited = [...lines];
      edited[1] = (edited[1] ?? '').replace('"n":1', '"n":9');
      assert.deepEqual(verifyAuditChain(Buffer.from(edited.join('\n'))), {
        ok: false,
        lines: 5,
        line: 3,
        reason: 'prev_hash does not match line 2',
      });
      const removed = lines.filter((_, i) => i !== 2);
      assert.equal((verifyAuditChain(Buffer.from(removed.join('\n'))) as { line: number }).line, 3);
      const truncatedStart = lines.slice(1);
      assert.match(
        (verifyAuditChain(Buffer.from(truncatedStart.join('\n'))) as { reason: string }).reason,
        /start of a chain/,
      );
      assert.equal(
        (verifyAuditChain(Buffer.from('{"a":1}\n')) as { reason: string }).reason,
        'no prev_hash field',
      );
    });

    it('runs as audit verify: exit 0 when intact, 2 when broken, 1 when unreadable', async () => {
      const cli = new CliEnv('http://127.0.0.1:1');
      try {
        const file = join(cli.home, 'audit.log');
        const lines = chainedLines(3);
        writeFileSync(file, `${lines.join('\n')}\n`);
        const ok = await cli.run(['audit', 'verify', file]);
        assert.equal(ok.status, 0, ok.err);
        assert.equal(ok.out, `Success! The hash chain of ${file} is intact: 3 lines.\n`);

        writeFileSync(file, `${[lines[0], lines[2]].join('\n')}\n`);
        const broken = await cli.run(['audit', 'verify', '-format=json', file]);
        assert.equal(broken.status, 2);
        assert.deepEqual(JSON.parse(broken.out), {
          verified: false,
          lines: 2,
          line: 2,
          reason: 'prev_hash does not match line 1',
        });
        assert.equal((await cli.run(['audit', 'verify', join(cli.home, 'none')])).status, 1);
      } finally {
        cli.cleanup();
      }
    });
  });

  describe('policy fmt', () => {
    it('rewrites a policy in canonical HCL, keeping the order of its paths', async () => {
      const text = [
        'path "sys/*" { capabilities = ["deny"] }',
        'path "secret/data/*" {',
        '    capabilities=["create","read"]',
        '  required_parameters = ["a"]',
        '}',
      ].join('\n');
      assert.equal(
        await formatPolicy('p.hcl', text),
        [
          'path "sys/*" {',
          '  capabilities = ["deny"]',
          '}',
          '',
          'path "secret/data/*" {',
          '  capabilities        = ["create", "read"]',
          '  required_parameters = ["a"]',
          '}',
          '',
        ].join('\n'),
      );
    });

    it('formats the file in place and refuses one that does not parse', async () => {
      const cli = new CliEnv('http://127.0.0.1:1');
      try {
        const file = join(cli.home, 'app.hcl');
        writeFileSync(file, 'path "a" {capabilities=["read"]}');
        const result = await cli.run(['policy', 'fmt', file]);
        assert.equal(result.status, 0, result.err);
        assert.equal(result.out, `Success! Formatted policy: ${file}\n`);
        assert.equal(readFileSync(file, 'utf8'), 'path "a" {\n  capabilities = ["read"]\n}\n');

        writeFileSync(file, 'path "a" {');
        const bad = await cli.run(['policy', 'fmt', file]);
        assert.equal(bad.status, 1);
        assert.match(bad.err, /^Error parsing policy: /);
      } finally {
        cli.cleanup();
      }
    });
  });
});
