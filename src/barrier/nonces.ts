/**
 * Random nonces drawn from a pooled buffer: one call into the system's random source fills
 * enough bytes for many nonces, where a call per 12-byte nonce costs more than the copy.
 *
 * Each byte of a fill is handed out once, in order, and the pool refills only when fewer bytes
 * than one nonce remain, so no two nonces share bytes of the same fill. The bytes are as random
 * as `randomFillSync` makes them; pooling changes only how many are asked for at a time. Nonces
 * are public (they are written in every frame), so the pool holds nothing to wipe.
 */
import { randomFillSync } from 'node:crypto';

/** How the pool refills: `randomFillSync` in production, a stand-in in tests. */
export type RandomFill = (target: Buffer) => void;

/** Hands out `nonceBytes`-byte random nonces, `noncesPerFill` per fill of its buffer. */
export class NoncePool {
  private readonly pool: Buffer;
  /** Where the next nonce starts; the pool length when everything was handed out. */
  private offset: number;

  constructor(
    private readonly nonceBytes: number,
    noncesPerFill: number,
    private readonly fill: RandomFill = (target) => void randomFillSync(target),
  ) {
    if (!(Number.isInteger(nonceBytes) && nonceBytes > 0)) {
      throw new RangeError(`nonce size must be a positive integer, got ${nonceBytes}`);
    }
    if (!(Number.isInteger(noncesPerFill) && noncesPerFill > 0)) {
      throw new RangeError(`nonces per fill must be a positive integer, got ${noncesPerFill}`);
    }
    // Not a slice of Node's shared pool, so that nothing else ever reads or writes these bytes.
    this.pool = Buffer.allocUnsafeSlow(nonceBytes * noncesPerFill);
    this.offset = this.pool.length;
  }

  /** Writes the next nonce into `target`, which must be exactly one nonce long. */
  next(target: Uint8Array): void {
    if (target.byteLength !== this.nonceBytes) {
      throw new RangeError(`a nonce is ${this.nonceBytes} bytes, got ${target.byteLength}`);
    }
    if (this.offset + this.nonceBytes > this.pool.length) {
      this.fill(this.pool);
      this.offset = 0;
    }
    this.pool.copy(target, 0, this.offset, this.offset + this.nonceBytes);
    this.offset += this.nonceBytes;
  }
}
