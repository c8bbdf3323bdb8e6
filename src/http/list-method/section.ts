/**
 * Collection of the line-based sections of a request: its head, and the trailer section of a
 * chunked body (RFC 9112 §2.1, §7.1.2).
 *
 * @module
 */
import { FramingError } from './errors.js';
import type { FramingFault } from './errors.js';

const CR = 0x0d;
const LF = 0x0a;

/**
 * Collects a section of CRLF-terminated lines that ends with an empty line: a request head, or
 * a trailer section. It checks line endings as bytes arrive (a bare LF or a CR not followed by
 * LF is refused at once, RFC 9112 §2.2) and bounds the size; the lines themselves are parsed
 * once the section is complete.
 */
export class SectionCollector {
  #parts: Buffer[] = [];
  #size = 0;
  #lineLength = 0;
  #afterCR = false;
  #sawLine = false;

  constructor(
    readonly limit: number,
    /** Empty lines before the first line are part of the section (before a request line). */
    readonly leadingEmptyLines: boolean,
    readonly tooLarge: FramingFault,
  ) {}

  /** Whether a non-empty line has begun. */
  get started(): boolean {
    return this.#sawLine || this.#lineLength > 0;
  }

  /**
   * Consumes bytes from `offset` up to the end of the section, or of `input`. Keeps views of
   * `input`, not copies, until {@link take}: the caller must not reuse the buffer meanwhile.
   */
  feed(input: Buffer, offset: number): { next: number; complete: boolean } {
    for (let at = offset; at < input.length; at += 1) {
      this.#size += 1;
      if (this.#size > this.limit) throw new FramingError(this.tooLarge, { limit: this.limit });
      const byte = input[at];
      if (this.#afterCR) {
        if (byte !== LF) throw new FramingError('invalid-line-ending');
        this.#afterCR = false;
        if (this.#lineLength === 0 && (this.#sawLine || !this.leadingEmptyLines)) {
          this.#parts.push(input.subarray(offset, at + 1));
          return { next: at + 1, complete: true };
        }
        if (this.#lineLength > 0) this.#sawLine = true;
        this.#lineLength = 0;
      } else if (byte === CR) {
        this.#afterCR = true;
      } else if (byte === LF) {
        throw new FramingError('invalid-line-ending');
      } else {
        this.#lineLength += 1;
      }
    }
    this.#parts.push(input.subarray(offset));
    return { next: input.length, complete: false };
  }

  /** Returns the complete section and resets for the next one. */
  take(): Buffer {
    const parts = this.#parts;
    const section = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.#parts = [];
    this.#size = 0;
    this.#lineLength = 0;
    this.#sawLine = false;
    return section;
  }
}
