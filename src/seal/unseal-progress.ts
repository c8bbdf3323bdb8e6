/**
 * The shares collected so far in one unseal attempt. It lives in this process's memory only:
 * unseal is per node (DESIGN.md "Seal, barrier, join"), and a restart starts over.
 *
 * An attempt starts with its first share, which draws a fresh random nonce (as Vault's
 * seal-status `nonce` does), and ends when the shares are taken to be combined or on `reset`.
 * The collector owns the share buffers it holds and zeroes them when it lets go of them.
 */
import { randomUUID } from 'node:crypto';

import { DuplicateShareError } from './errors.js';
import { sameShare, shareIndex } from './shares.js';

export class UnsealProgress {
  private shares: Buffer[] = [];
  private attemptNonce = '';

  /** How many distinct shares the current attempt holds. */
  get progress(): number {
    return this.shares.length;
  }

  /** The current attempt's nonce, or `''` when no attempt is under way. */
  get nonce(): string {
    return this.attemptNonce;
  }

  /**
   * Adds `share` (taking ownership of the buffer) and returns the new progress. Throws
   * `DuplicateShareError`, and wipes `share`, when the attempt already holds the same share or,
   * for split shares, another share with the same index: either way it adds no information.
   * Every held share is compared, in constant time, so timing does not say which one matched.
   */
  add(share: Buffer, split: boolean): number {
    let duplicate = false;
    for (const held of this.shares) {
      const same = sameShare(held, share);
      const sameIndex = split && shareIndex(held) === shareIndex(share);
      duplicate = duplicate || same || sameIndex;
    }
    if (duplicate) {
      share.fill(0);
      throw new DuplicateShareError();
    }

    if (this.shares.length === 0) this.attemptNonce = randomUUID();
    this.shares.push(share);
    return this.shares.length;
  }

  /**
   * Ends the attempt and hands its shares to the caller, who must wipe them once combined.
   * Progress goes back to 0 and the nonce to `''`.
   */
  take(): Buffer[] {
    const taken = this.shares;
    this.shares = [];
    this.attemptNonce = '';
    return taken;
  }

  /** Ends the attempt, wiping every share it held. */
  reset(): void {
    for (const share of this.take()) share.fill(0);
  }
}
