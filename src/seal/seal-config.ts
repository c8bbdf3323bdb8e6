/**
 * The seal configuration: how many Shamir shares the unseal key was split into and how many it
 * takes to rebuild it. It is chosen at init, validated the way Vault validates `sys/init`, and
 * stored in plaintext at `core/seal-config` (see barrier/paths.ts for why that one record is not
 * encrypted: seal-status must report it while sealed).
 */
import { InvalidSealConfigError, SealConfigCorruptError } from './errors.js';

/** What `sys/init` accepts. Omitted values take Vault's CLI defaults. */
export interface InitParams {
  /** How many shares to split the unseal key into; 5 when omitted. */
  secretShares?: number;
  /** How many shares unseal needs; 3 when omitted. */
  secretThreshold?: number;
}

/** A validated seal configuration. */
export interface SealConfig {
  readonly type: 'shamir';
  readonly secretShares: number;
  readonly secretThreshold: number;
}

export const DEFAULT_SECRET_SHARES = 5;
export const DEFAULT_SECRET_THRESHOLD = 3;
/** GF(2^8) has 255 non-zero points to hand out as share indexes. */
export const MAX_SECRET_SHARES = 255;

const ENCODING_VERSION = 1;

/**
 * Applies the defaults and checks the values, throwing `InvalidSealConfigError` (400) with a
 * message naming the `sys/init` field at fault. Accepted: integers with
 * 1 <= threshold <= shares <= 255, and a threshold of at least 2 whenever shares exceed 1
 * (a threshold of 1 over several shares would make each share the whole key).
 */
export function resolveSealConfig(params: InitParams = {}): SealConfig {
  const shares = params.secretShares ?? DEFAULT_SECRET_SHARES;
  const threshold = params.secretThreshold ?? DEFAULT_SECRET_THRESHOLD;

  if (!Number.isSafeInteger(shares)) {
    throw new InvalidSealConfigError('secret_shares must be an integer', { shares });
  }
  if (!Number.isSafeInteger(threshold)) {
    throw new InvalidSealConfigError('secret_threshold must be an integer', { threshold });
  }
  if (shares < 1) throw new InvalidSealConfigError('secret_shares must be at least 1', { shares });
  if (threshold < 1) {
    throw new InvalidSealConfigError('secret_threshold must be at least 1', { threshold });
  }
  if (shares > MAX_SECRET_SHARES) {
    throw new InvalidSealConfigError('secret_shares must be at most 255', { shares });
  }
  if (threshold > shares) {
    throw new InvalidSealConfigError('secret_threshold cannot be larger than secret_shares', {
      shares,
      threshold,
    });
  }
  if (shares > 1 && threshold === 1) {
    throw new InvalidSealConfigError(
      'secret_threshold must be at least 2 when secret_shares is more than 1',
      { shares, threshold },
    );
  }
  return { type: 'shamir', secretShares: shares, secretThreshold: threshold };
}

/** The stored form: small JSON with Vault's field names and a format version. */
export function encodeSealConfig(config: SealConfig): Uint8Array {
  const stored = {
    version: ENCODING_VERSION,
    type: config.type,
    secret_shares: config.secretShares,
    secret_threshold: config.secretThreshold,
  };
  return new TextEncoder().encode(JSON.stringify(stored));
}

/**
 * Reads the stored form back and re-validates it, so a damaged record is refused with
 * `SealConfigCorruptError` instead of driving unseal with nonsense.
 */
export function decodeSealConfig(bytes: Uint8Array): SealConfig {
  let stored: unknown;
  try {
    stored = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new SealConfigCorruptError('not JSON', { cause });
  }
  if (typeof stored !== 'object' || stored === null) {
    throw new SealConfigCorruptError('not an object');
  }
  const record = stored as Record<string, unknown>;
  if (record.version !== ENCODING_VERSION) throw new SealConfigCorruptError('unknown version');
  if (record.type !== 'shamir') throw new SealConfigCorruptError('unknown seal type');
  const shares = record.secret_shares;
  const threshold = record.secret_threshold;
  if (typeof shares !== 'number' || typeof threshold !== 'number') {
    throw new SealConfigCorruptError('missing shares or threshold');
  }
  try {
    return resolveSealConfig({ secretShares: shares, secretThreshold: threshold });
  } catch (cause) {
    throw new SealConfigCorruptError('invalid shares or threshold', { cause });
  }
}
