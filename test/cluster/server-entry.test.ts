/**
 * The process entry of a node: the `coffer` command line (src/cli/program.ts) and the server's
 * logger (src/server/server-logger.ts). The processes themselves run in cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';

import { normaliseFlags, runCli, type CliIo } from '../../src/cli/program.js';
import { createServerLogger, REDACTED } from '../../src/server/server-logger.js';

function capture(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

describe('coffer CLI', () => {
  it('rewrites single-dash long flags the way Vault spells them', () => {
    assert.deepEqual(normaliseFlags(['server', '-config=a.hcl']), ['server', '--config=a.hcl']);
    assert.deepEqual(normaliseFlags(['server', '-config', 'a.hcl']), [
      'server',
      '--config',
      'a.hcl',
    ]);
    assert.deepEqual(normaliseFlags(['-h', '--config=x', '--', '-config']), [
      '-h',
      '--config=x',
      '--',
      '-config',
    ]);
  });

  it('exits 1 with a usage message when -config is missing or the command unknown', async () => {
    const io = capture();
    assert.equal(await runCli(['server'], io), 1);
    assert.match(io.err.join(''), /required option '--config <path>'/);
    assert.equal(await runCli(['bogus'], io), 1);
    assert.equal(await runCli([], io), 1);
  });

  it('takes -config=file and -config file alike, and exits 1 on a configuration error', async () => {
    for (const argv of [
      ['server', '-config=/nonexistent/coffer.hcl'],
      ['server', '-config', '/nonexistent/coffer.hcl'],
      ['server', '--config', '/nonexistent/coffer.hcl'],
    ]) {
      const io = capture();
      assert.equal(await runCli(argv, io), 1, argv.join(' '));
      assert.match(io.err.join(''), /Error loading configuration: \/nonexistent\/coffer\.hcl/);
    }
  });

  it('exits 0 for help', async () => {
    const io = capture();
    assert.equal(await runCli(['--help'], io), 0);
    assert.match(io.out.join(''), /server \[options\]/);
  });
});

describe('server logger', () => {
  it('redacts token headers, data, unseal keys and root tokens', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createServerLogger({ level: 'info', destination });
    log.info(
      {
        headers: { 'x-vault-token': 'hvs.TOKEN1', authorization: 'Bearer hvs.TOKEN2' },
        data: { password: 'PASSWORD1' },
        request: { data: { password: 'PASSWORD2' } },
        keys: ['SHARE1'],
        root_token: 'hvs.ROOT',
        path: 'secret/data/app',
      },
      'request received',
    );
    const line = lines.join('');
    for (const secret of ['TOKEN1', 'TOKEN2', 'PASSWORD1', 'PASSWORD2', 'SHARE1', 'ROOT']) {
      assert.equal(line.includes(secret), false, secret);
    }
    assert.ok(line.includes(REDACTED));
    assert.ok(line.includes('secret/data/app'));
  });
});
