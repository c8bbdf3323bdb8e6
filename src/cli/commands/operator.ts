/**
 * `coffer operator init|unseal|seal|step-down|key-status|rotate`: the seal lifecycle and the
 * barrier key, through `sys/init`, `sys/unseal`, `sys/seal`, `sys/step-down`, `sys/key-status`
 * and `sys/rotate` (vault-api.md §2.1). Unseal keys and root tokens are printed only where the
 * operator asked for them (init), never in an error.
 */
import type { Command } from 'commander';

import {
  argOptional,
  defineCommand,
  parseInteger,
  readSecretInput,
  type CommandContext,
  type Runtime,
} from '../command-kit.js';
import { EXIT_OK, EXIT_SERVER, UsageError } from '../errors.js';
import { columns } from '../format.js';
import { printStatus, type SealStatus } from './status.js';

interface InitAnswer {
  keys: string[];
  keys_base64: string[];
  root_token: string;
}

interface KeyStatus {
  term: number;
  install_time: string;
  encryptions?: number;
}

export function registerOperator(operator: Command, runtime: Runtime): void {
  defineCommand<{ keyShares: number; keyThreshold: number; status?: boolean }>(
    operator,
    runtime,
    {
      usage: 'init',
      summary: 'Initialise a new cluster: print its unseal key shares and root token',
      examples: [
        'coffer operator init',
        'coffer operator init -key-shares=3 -key-threshold=2 -format=json > init.json',
        'coffer operator init -status',
      ],
      options: (command) =>
        command
          .option('--key-shares <n>', 'shares to split the root key into', parseInteger, 5)
          .option('--key-threshold <n>', 'shares needed to unseal', parseInteger, 3)
          .option('--status', 'only report whether the cluster is initialised (exit 2 if not)'),
      errorContext: () => 'Error initializing',
      run: (ctx, _args, options) => init(ctx, options),
    },
  );

  defineCommand<{ reset?: boolean }>(operator, runtime, {
    usage: 'unseal [key]',
    summary: 'Give this node one unseal key share (prompted for, hidden, when not given)',
    examples: ['coffer operator unseal', 'coffer operator unseal -reset'],
    options: (command) => command.option('--reset', 'discard the key shares given so far'),
    errorContext: () => 'Error unsealing',
    run: async (ctx, args, options) => {
      let body: Record<string, unknown>;
      if (options.reset) {
        body = { reset: true };
      } else {
        const key =
          argOptional(args, 0) ??
          (await readSecretInput(ctx.io, 'Unseal Key (will be hidden): '));
        if (key === '') throw new UsageError('No unseal key given');
        body = { key };
      }
      const status = await ctx.client.json<SealStatus>({
        method: 'PUT',
        path: 'sys/unseal',
        body,
        unauthenticated: true,
      });
      await printStatus(ctx, status ?? ({} as SealStatus));
      return EXIT_OK;
    },
  });

  defineCommand(operator, runtime, {
    usage: 'seal',
    summary: 'Seal this node: it forgets its keys until unsealed again',
    examples: ['coffer operator seal'],
    errorContext: () => 'Error sealing',
    run: async (ctx) => {
      await ctx.client.send({ method: 'PUT', path: 'sys/seal' });
      ctx.out.line('Success! Coffer is sealed.');
    },
  });

  defineCommand(operator, runtime, {
    usage: 'step-down',
    summary: 'Make the active node give up leadership',
    examples: ['coffer operator step-down'],
    errorContext: () => 'Error stepping down',
    run: async (ctx) => {
      await ctx.client.send({ method: 'PUT', path: 'sys/step-down' });
      ctx.out.line(`Success! Stepped down: ${ctx.client.settings.address}`);
    },
  });

  defineCommand(operator, runtime, {
    usage: 'key-status',
    summary: "Print the barrier's active encryption key term",
    examples: ['coffer operator key-status'],
    errorContext: () => 'Error reading key status',
    run: async (ctx) => printKeyStatus(ctx, await readKeyStatus(ctx)),
  });

  defineCommand(operator, runtime, {
    usage: 'rotate',
    summary: 'Add a new barrier encryption key term; older terms still decrypt',
    examples: ['coffer operator rotate'],
    errorContext: () => 'Error rotating key',
    run: async (ctx) => {
      await ctx.client.send({ method: 'PUT', path: 'sys/rotate' });
      const status = await readKeyStatus(ctx);
      if (ctx.out.format === 'table' && ctx.out.field === undefined) {
        ctx.out.line('Success! Rotated key\n');
      }
      printKeyStatus(ctx, status);
    },
  });
}

async function init(
  ctx: CommandContext,
  options: { keyShares: number; keyThreshold: number; status?: boolean },
): Promise<number> {
  if (options.status) {
    const answer = await ctx.client.json<{ initialized: boolean }>({
      method: 'GET',
      path: 'sys/init',
      unauthenticated: true,
    });
    const initialized = answer?.initialized === true;
    ctx.out.line(initialized ? 'Coffer is initialized' : 'Coffer is not initialized');
    return initialized ? EXIT_OK : EXIT_SERVER;
  }
  if (options.keyThreshold > options.keyShares || options.keyThreshold < 1) {
    throw new UsageError('-key-threshold must be between 1 and -key-shares');
  }

  const answer = (await ctx.client.json<InitAnswer>({
    method: 'PUT',
    path: 'sys/init',
    body: { secret_shares: options.keyShares, secret_threshold: options.keyThreshold },
    unauthenticated: true,
  })) ?? { keys: [], keys_base64: [], root_token: '' };

  // The shape `vault operator init -format=json` prints, which runbooks feed to jq.
  const result = {
    unseal_keys_b64: answer.keys_base64,
    unseal_keys_hex: answer.keys,
    unseal_shares: options.keyShares,
    unseal_threshold: options.keyThreshold,
    recovery_keys_b64: [],
    recovery_keys_hex: [],
    recovery_keys_shares: 0,
    recovery_keys_threshold: 0,
    root_token: answer.root_token,
  };
  ctx.out.print(result, () => initText(answer, options.keyThreshold));
  return EXIT_OK;
}

function initText(answer: InitAnswer, threshold: number): string {
  const keys = answer.keys_base64.map((key, index) => `Unseal Key ${index + 1}: ${key}`);
  return [
    ...keys,
    '',
    `Initial Root Token: ${answer.root_token}`,
    '',
    `Coffer initialized with ${keys.length} key shares and a key threshold of ${threshold}.`,
    'Keep the shares apart, each with a different person or place: every node starts',
    `sealed after a restart and needs ${threshold} of them to unseal. Coffer keeps no copy`,
    'of the root key, so losing more than the spare shares loses the data.',
    '',
  ].join('\n');
}

async function readKeyStatus(ctx: CommandContext): Promise<KeyStatus> {
  const secret = await ctx.client.json<KeyStatus & { data?: KeyStatus }>({
    method: 'GET',
    path: 'sys/key-status',
  });
  return secret?.data ?? (secret as KeyStatus);
}

function printKeyStatus(ctx: CommandContext, status: KeyStatus): void {
  const shape = {
    term: status.term,
    install_time: status.install_time,
    encryptions: status.encryptions ?? 0,
  };
  ctx.out.print(shape, () =>
    columns([
      ['Key Term', String(status.term)],
      ['Install Time', status.install_time],
      ['Encryption Count', String(status.encryptions ?? 0)],
    ]),
  );
}
