/**
 * The Shamir seal: init and unseal, as `sys/init`, `sys/unseal`, `sys/seal-status` and
 * `sys/seal` need them.
 *
 * Init draws a random 256-bit unseal key, lets the barrier create the root key and keyring
 * under it, splits the unseal key into shares and hands them out; the unseal key itself is then
 * wiped and exists nowhere. Unseal collects shares until the threshold, combines them and offers
 * the result to the barrier, whose stored root key record (an AES-GCM tag) is what tells a right
 * key from a wrong one; no hash of the key or of any share is stored.
 *
 * Calls that change unseal progress run one at a time, in order of arrival.
 */
import { ConditionFailedError } from '../physical/errors.js';
import type { PhysicalStore } from '../physical/types.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { randomKey, wipe } from '../barrier/aead.js';
import type { Barrier } from '../barrier/barrier.js';
import {
  BarrierAlreadyInitializedError,
  BarrierNotInitializedError,
  InvalidUnsealKeyError,
} from '../barrier/errors.js';
import { SEAL_CONFIG_PATH } from '../barrier/paths.js';
import { UnsealFailedError } from './errors.js';
import {
  decodeSealConfig,
  encodeSealConfig,
  resolveSealConfig,
  type InitParams,
  type SealConfig,
} from './seal-config.js';
import { combineShares, formatShare, parseShare, shareSize, splitUnsealKey } from './shares.js';
import { UnsealProgress } from './unseal-progress.js';

/** The fields of Vault's `sys/seal-status` that the seal decides. */
export interface SealStatus {
  type: 'shamir';
  initialized: boolean;
  sealed: boolean;
  /** The threshold; 0 before init. */
  t: number;
  /** The number of shares; 0 before init. */
  n: number;
  /** Shares collected in the current unseal attempt. */
  progress: number;
  /** The current unseal attempt's nonce, `''` when none is under way. */
  nonce: string;
}

/** What init hands the operator: the only copy of the shares, in both of Vault's encodings. */
export interface InitResult {
  /** The shares as hex (Vault's `keys`). */
  keys: string[];
  /** The same shares as base64 (Vault's `keys_base64`). */
  keysBase64: string[];
  secretShares: number;
  secretThreshold: number;
}

export interface ShamirSealOptions {
  logger?: Logger;
}

/** The barrier calls the seal needs; the {@link Barrier} class provides them. */
export type SealableBarrier = Pick<
  Barrier,
  'initialize' | 'unseal' | 'seal' | 'sealed' | 'isInitialized'
>;

export class ShamirSeal {
  private readonly progress = new UnsealProgress();
  private config: SealConfig | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    private readonly physical: PhysicalStore,
    private readonly barrier: SealableBarrier,
    options: ShamirSealOptions = {},
  ) {
    this.log = options.logger ?? silentLogger;
  }

  /** True once init has run on this storage (here or on another node of the cluster). */
  async isInitialized(): Promise<boolean> {
    return (await this.readConfig()) !== null;
  }

  /**
   * Initialises empty storage: validates `params` (`InvalidSealConfigError`, 400), then
   * creates the barrier and stores the seal configuration in one atomic batch, and returns the
   * shares. The barrier stays sealed. Throws `BarrierAlreadyInitializedError` (400, "Vault is
   * already initialized") when the storage was initialised before, even by a concurrent call.
   */
  async initialize(params: InitParams = {}): Promise<InitResult> {
    const config = resolveSealConfig(params);
    return this.serialize(async () => {
      if ((await this.readConfig()) !== null || (await this.barrier.isInitialized())) {
        throw new BarrierAlreadyInitializedError();
      }

      const unsealKey = randomKey();
      let shares: Uint8Array[] = [];
      try {
        shares = await splitUnsealKey(unsealKey, config);
        await this.barrier.initialize(unsealKey, [
          {
            type: 'put',
            key: SEAL_CONFIG_PATH,
            value: encodeSealConfig(config),
            condition: { ifAbsent: true },
          },
        ]);
        const formatted = shares.map(formatShare);
        this.config = config;
        this.log.info(
          { shares: config.secretShares, threshold: config.secretThreshold },
          'vault initialized',
        );
        return {
          keys: formatted.map((share) => share.hex),
          keysBase64: formatted.map((share) => share.base64),
          secretShares: config.secretShares,
          secretThreshold: config.secretThreshold,
        };
      } catch (err) {
        if (err instanceof ConditionFailedError) throw new BarrierAlreadyInitializedError();
        throw err;
      } finally {
        wipe(unsealKey);
        for (const share of shares) wipe(share);
      }
    });
  }

  /** The seal-status fields: configuration, sealed state and the current attempt's progress. */
  async status(): Promise<SealStatus> {
    const config = await this.readConfig();
    return {
      type: 'shamir',
      initialized: config !== null,
      sealed: this.barrier.sealed,
      t: config?.secretThreshold ?? 0,
      n: config?.secretShares ?? 0,
      progress: this.progress.progress,
      nonce: this.progress.nonce,
    };
  }

  /**
   * Adds one share (hex or base64) to the current unseal attempt and returns the new status.
   * On the threshold-th share the shares are combined and offered to the barrier; the attempt
   * ends either way and every share and the combined key are wiped. When already unsealed the
   * share is ignored, as Vault does.
   *
   * Throws `BarrierNotInitializedError` before init; `InvalidShareError` for a malformed or
   * mis-sized share and `DuplicateShareError` for one already given (both 400, progress
   * unchanged); `UnsealFailedError` (400) when the threshold was reached with wrong shares.
   */
  submitShare(key: string): Promise<SealStatus> {
    return this.serialize(async () => {
      const config = await this.readConfig();
      if (config === null) throw new BarrierNotInitializedError();
      if (!this.barrier.sealed) return this.status();

      const share = parseShare(key, shareSize(config));
      const progress = this.progress.add(share, config.secretShares > 1);
      if (progress < config.secretThreshold) return this.status();

      await this.unsealWith(this.progress.take(), config);
      return this.status();
    });
  }

  /** Abandons the current unseal attempt, wiping its shares. Returns the new status. */
  reset(): Promise<SealStatus> {
    return this.serialize(async () => {
      this.progress.reset();
      return this.status();
    });
  }

  /** Seals the barrier (wiping its keys) and abandons any unseal attempt. */
  seal(): void {
    this.progress.reset();
    this.barrier.seal();
    this.log.info({}, 'vault sealed');
  }

  private async unsealWith(shares: Buffer[], config: SealConfig): Promise<void> {
    let unsealKey: Buffer | undefined;
    try {
      try {
        unsealKey = await combineShares(shares, config);
      } catch (cause) {
        // The package refuses share sets it cannot interpolate; to the operator that is simply
        // a set of shares that does not rebuild the key.
        throw new UnsealFailedError({ cause });
      }
      await this.barrier.unseal(unsealKey);
    } catch (err) {
      if (err instanceof InvalidUnsealKeyError) {
        this.log.warn({ threshold: config.secretThreshold }, 'unseal attempt failed: wrong shares');
        throw new UnsealFailedError({ cause: err });
      }
      throw err;
    } finally {
      for (const share of shares) share.fill(0);
      wipe(unsealKey);
    }
    this.log.info({}, 'vault unsealed');
  }

  /**
   * The stored seal configuration, or null before init. Cached once found: it never changes
   * after init (there is no rekey yet).
   */
  private async readConfig(): Promise<SealConfig | null> {
    if (this.config !== null) return this.config;
    const stored = await this.physical.get(SEAL_CONFIG_PATH);
    if (stored === undefined) return null;
    this.config = decodeSealConfig(stored);
    return this.config;
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
