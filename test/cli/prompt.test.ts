/**
 * `coffer operator unseal` with no key, on a real terminal: the process runs under `script`
 * (util-linux), which gives it a pseudo-terminal, and the key typed at the prompt must not come
 * back in what the terminal shows, nor in the error that follows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort } from '../cluster/support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('coffer operator unseal on a terminal', function () {
  this.timeout(60_000);

  it('asks for the key without echoing it, and never repeats it', async () => {
    const key = 'hvs-key-that-must-stay-hidden';
    const address = `http://127.0.0.1:${await freePort()}`;
    const command = [
      process.execPath,
      '--import',
      'tsx',
      join(ROOT, 'src', 'cli', 'main.ts'),
      'operator',
      'unseal',
      `-address=${address}`,
    ].join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: ROOT, TERM: 'dumb' },
    });
    let shown = '';
    const prompted = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        shown += chunk.toString('utf8');
        if (shown.includes('Unseal Key (will be hidden): ')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    try {
      // Typed only once the prompt is up: the terminal is in raw mode by then.
      await Promise.race([prompted, exited]);
      child.stdin.write(`${key}\r`);
      const status = await exited;
      assert.match(shown, /Unseal Key \(will be hidden\): /);
      // Nothing listens at the address: the key was read and sent, and the request failed.
      assert.match(shown, /Error unsealing: PUT http:\/\/127\.0\.0\.1:\d+\/v1\/sys\/unseal: /);
      assert.equal(status, 2, shown);
      assert.ok(!shown.includes(key), shown);
    } finally {
      clearTimeout(timer);
      child.kill();
    }
  });
});
