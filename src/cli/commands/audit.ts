/**
 * `coffer audit enable|disable|list` over `sys/audit` (vault-api.md §2.1, §7), and
 * `coffer audit verify <file>`, which checks an audit file's hash chain on this machine.
 */
import { readFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { verifyAuditChain } from '../audit-chain.js';
import { argList, argString, defineCommand, type Runtime } from '../command-kit.js';
import { EXIT_OK, EXIT_SERVER, LocalError } from '../errors.js';
import { formatValue, sortedEntries, table } from '../format.js';
import { parseKeyValues } from '../kv-args.js';
import { isObject } from '../output.js';
import { mountPath } from './mounts.js';
import { withoutUndefined } from './token.js';

export function registerAudit(audit: Command, runtime: Runtime): void {
  defineCommand<{ path?: string; description?: string; local?: boolean }>(audit, runtime, {
    usage: 'enable <type> [options...]',
    summary: 'Enable an audit device; options are key=value (file_path=... for file)',
    examples: ['coffer audit enable file file_path=/var/log/coffer/audit.log'],
    options: (command) =>
      command
        .option('--path <path>', 'where to enable it (default: the type)')
        .option('--description <text>', 'a description shown by list')
        .option('--local', 'accepted for compatibility'),
    errorContext: (args) => `Error enabling audit device ${argString(args, 0)}`,
    run: async (ctx, args, options) => {
      const type = argString(args, 0);
      const path = mountPath(options.path ?? type);
      const deviceOptions = await parseKeyValues(argList(args, 1), ctx.io);
      await ctx.client.send({
        method: 'PUT',
        path: `sys/audit/${path}`,
        body: withoutUndefined({
          type,
          description: options.description,
          options: deviceOptions,
          local: options.local === true,
        }),
      });
      ctx.out.line(`Success! Enabled the ${type} audit device at: ${path}`);
    },
  });

  defineCommand(audit, runtime, {
    usage: 'disable <path>',
    summary: 'Disable the audit device at a path',
    examples: ['coffer audit disable file/'],
    errorContext: (args) => `Error disabling audit device ${argString(args, 0)}`,
    run: async (ctx, args) => {
      const path = mountPath(argString(args, 0));
      await ctx.client.send({ method: 'DELETE', path: `sys/audit/${path}` });
      ctx.out.line(`Success! Disabled audit device (if it was enabled) at: ${path}`);
    },
  });

  defineCommand<{ detailed?: boolean }>(audit, runtime, {
    usage: 'list',
    summary: 'List the enabled audit devices',
    examples: ['coffer audit list', 'coffer audit list -detailed'],
    options: (command) => command.option('--detailed', 'show each device\'s options'),
    errorContext: () => 'Error listing audits',
    run: async (ctx, _args, options) => {
      const answer = await ctx.client.json({ method: 'GET', path: 'sys/audit' });
      const all = answer?.data ?? answer ?? {};
      const devices = Object.fromEntries(
        sortedEntries(all).filter(([path, value]) => path.endsWith('/') && isObject(value)),
      );
      if (Object.keys(devices).length === 0 && ctx.out.format === 'table') {
        ctx.out.line('No audit devices are enabled.');
        return;
      }
      ctx.out.print(devices, () => {
        const header = ['Path', 'Type', 'Description'];
        if (options.detailed) header.push('Options');
        const rows = sortedEntries(devices).map(([path, raw]) => {
          const device = isObject(raw) ? raw : {};
          const row = [path, String(device.type ?? ''), String(device.description ?? '')];
          if (options.detailed) row.push(formatValue(device.options ?? null));
          return row;
        });
        return table(header, rows);
      });
    },
  });

  defineCommand(audit, runtime, {
    usage: 'verify <file>',
    summary: "Check an audit file's hash chain: each line's prev_hash is the previous line's",
    examples: ['coffer audit verify /var/log/coffer/audit.log'],
    api: false,
    run: async (ctx, args) => {
      const file = argString(args, 0);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (cause) {
        throw new LocalError(`Error reading audit file ${file}`, { cause });
      }
      const result = verifyAuditChain(bytes);
      const report = result.ok
        ? { verified: true, lines: result.lines, last_hash: result.lastHash }
        : { verified: false, lines: result.lines, line: result.line, reason: result.reason };
      ctx.out.print(report, () =>
        result.ok
          ? `Success! The hash chain of ${file} is intact: ${result.lines} lines.\n`
          : `Error verifying ${file}: line ${result.line}: ${result.reason}\n`,
      );
      return result.ok ? EXIT_OK : EXIT_SERVER;
    },
  });
}
