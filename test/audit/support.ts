/** Shared pieces of the audit tests: temp dirs, a fixed clock, sample entries, file devices. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  AuditSalt,
  FileAuditDevice,
  parseFileOptions,
  type AuditRequestEntry,
  type AuditResponseEntry,
} from '../../src/audit/index.js';
import { InmemStorage } from '../../src/logical/index.js';
import { silentLogger } from '../../src/util/logger.js';

export const NOW = Date.parse('2024-01-01T00:00:00.000Z');

/** A fresh temp dir and a function that removes it; call the latter in `afterEach`. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'coffer-audit-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function requestEntry(overrides: Partial<AuditRequestEntry> = {}): AuditRequestEntry {
  return {
    auth: {
      clientToken: 'hvs.root-token',
      accessor: 'acc-123',
      displayName: 'root',
      policies: ['root'],
      tokenPolicies: ['root'],
      metadata: { team: 'ops' },
      entityId: '',
      tokenType: 'service',
      tokenTtl: 0,
      policyResults: { allowed: true },
    },
    request: {
      id: 'req-1',
      operation: 'update',
      path: 'secret/data/app',
      mountPoint: 'secret/',
      mountType: 'kv',
      mountAccessor: 'kv_1234',
      clientToken: 'hvs.root-token',
      clientTokenAccessor: 'acc-123',
      data: { data: { password: 'hunter2', port: 5432, tags: ['a', ['b', 7]], on: true } },
      remoteAddress: '127.0.0.1',
      remotePort: 50000,
    },
    ...overrides,
  };
}

export function responseEntry(overrides: Partial<AuditResponseEntry> = {}): AuditResponseEntry {
  return {
    ...requestEntry(),
    response: {
      data: { version: 3, created_time: '2024-01-01T00:00:00Z' },
      secret: { leaseId: 'secret/creds/abc' },
      warnings: ['careful'],
    },
    ...overrides,
  };
}

/** A file device writing to `file` with `options` (strings, as `sys/audit` takes them). */
export async function fileDevice(
  file: string,
  options: Record<string, string> = {},
  storage = new InmemStorage(),
): Promise<{ device: FileAuditDevice; storage: InmemStorage }> {
  const device = await FileAuditDevice.open({
    options: parseFileOptions({ file_path: file, ...options }),
    salt: new AuditSalt(storage),
    logger: silentLogger,
    now: () => NOW,
  });
  return { device, storage };
}

/** The file's lines, parsed. */
export async function readLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
