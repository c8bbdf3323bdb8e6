/**
 * The package's `coffer` executable: package.json names bin/coffer.js, which runs the compiled
 * CLI at dist/cli/main.js, and bin/coffer links to it for a PATH set to the checkout's bin/. The
 * executable runs here from a copy beside a stand-in for the compiled CLI, so the test needs no
 * build.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}

describe('the coffer executable', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-bin-'));
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(ROOT, 'bin', 'coffer.js'), join(dir, 'bin', 'coffer.js'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is the package bin, executable, and bin/coffer links to it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    assert.deepEqual(pkg.bin, { coffer: 'bin/coffer.js' });
    const file = join(ROOT, 'bin', 'coffer.js');
    assert.match(readFileSync(file, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    assert.equal(statSync(file).mode & 0o111, 0o111);
    assert.equal(readlinkSync(join(ROOT, 'bin', 'coffer')), 'coffer.js');
  });

  it('runs dist/cli/main.js with the arguments and its exit status', async () => {
    mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
    writeFileSync(
      join(dir, 'dist', 'cli', 'main.js'),
      "process.stdout.write(JSON.stringify(process.argv.slice(2)));\nprocess.exit(2);\n",
    );
    const result = await run(join(dir, 'bin', 'coffer.js'), ['kv', 'get', '-field=a', 'x/y']);
    assert.equal(result.stdout, '["kv","get","-field=a","x/y"]');
    assert.equal(result.status, 2);
  });

  it('says to build when dist/ is missing, in one line with exit 1', async () => {
    const result = await run(join(dir, 'bin', 'coffer.js'), ['status']);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, 'coffer: dist/cli/main.js is missing: run `make build` first\n');
  });
});
