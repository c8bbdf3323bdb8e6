/**
 * PEM (RFC 7468) decoding and encoding. Decoding is strict about what is inside a block (the
 * label, base64 that decodes back to itself) and allows explanatory text between blocks, as
 * OpenSSL writes it.
 */
import { InvalidCertificateError } from './errors.js';

/** One `-----BEGIN <label>-----` … `-----END <label>-----` block, decoded. */
export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----/gu;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/u;

/**
 * The PEM blocks in `text`, in order.
 *
 * @throws InvalidCertificateError when `text` holds no block, a block's END label differs from
 *   its BEGIN label, or its body is not base64.
 */
export function decodePem(text: string, field: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const found of text.matchAll(BLOCK)) {
    const [, label = '', body = '', endLabel = ''] = found;
    if (label !== endLabel) {
      throw new InvalidCertificateError(`${field}: PEM block "${label}" ends as "${endLabel}"`, {
        field,
      });
    }
    const compact = body.replace(/\s+/gu, '');
    const der = Buffer.from(compact, 'base64');
    if (!BASE64.test(compact) || compact.length % 4 !== 0 || der.toString('base64') !== compact) {
      throw new InvalidCertificateError(`${field}: PEM block "${label}" is not valid base64`, {
        field,
      });
    }
    blocks.push({ label, der });
  }
  if (blocks.length === 0) {
    throw new InvalidCertificateError(`${field}: no PEM block found`, { field });
  }
  return blocks;
}

/**
 * The DER of the one block of `text`, which must carry `label`.
 *
 * @throws InvalidCertificateError for anything but exactly one block with that label (a private
 *   key pasted along with a certificate is refused, and never stored).
 */
export function decodeSinglePem(text: string, label: string, field: string): Buffer {
  const blocks = decodePem(text, field);
  const other = blocks.find((block) => block.label !== label);
  if (other !== undefined) {
    throw new InvalidCertificateError(
      `${field}: expected only "${label}" PEM blocks, found "${other.label}"`,
      { field },
    );
  }
  const [block] = blocks;
  if (block === undefined || blocks.length !== 1) {
    throw new InvalidCertificateError(
      `${field}: expected exactly one "${label}" PEM block, found ${blocks.length}`,
      { field },
    );
  }
  return block.der;
}

/** `der` as a PEM block with `label`, base64 in lines of 64. */
export function encodePem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/gu) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
