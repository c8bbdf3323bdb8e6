/**
 * CIDR blocks and the addresses they contain, IPv4 and IPv6, for the checks auth methods and the
 * core make against a client's address (`secret_id_bound_cidrs`, `token_bound_cidrs`).
 *
 * Addresses are compared as bytes: 4 for IPv4, 16 for IPv6. An IPv4-mapped IPv6 address
 * (`::ffff:10.1.2.3`, what a dual-stack listener reports for an IPv4 client) is the IPv4 address
 * it maps, so it matches `10.0.0.0/8`; and an IPv4 address also matches an IPv6 block that covers
 * its mapped form (`::ffff:0:0/96`). A zone index (`fe80::1%eth0`) is ignored. A bare address is
 * a block of one host, and host bits set in a block (`10.1.2.3/8`) are cleared, as Go's
 * `net.ParseCIDR` (which Vault uses) does.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A parsed CIDR block. */
export interface CidrBlock {
  /** The network address with its host bits cleared: 4 bytes for IPv4, 16 for IPv6. */
  readonly network: Uint8Array;
  /** The number of leading bits that name the network (0–32 or 0–128). */
  readonly prefixLength: number;
}

/** The block `text` names (`10.0.0.0/8`, `2001:db8::/32`, or one address), or null. */
export function parseCidr(text: string): CidrBlock | null {
  const parts = text.trim().split('/');
  if (parts.length > 2) return null;
  const [addressText = '', bitsText] = parts;
  const address = parseAddressBytes(addressText, false);
  if (address === null) return null;

  const width = address.length * 8;
  let prefixLength = width;
  if (bitsText !== undefined) {
    if (!/^\d{1,3}$/u.test(bitsText)) return null;
    prefixLength = Number(bitsText);
    if (prefixLength > width) return null;
  }
  return { network: mask(address, prefixLength), prefixLength };
}

/**
 * The bytes of an IP address (4 or 16), or null when `text` is not one. An IPv4-mapped IPv6
 * address comes back as its 4 IPv4 bytes.
 */
export function parseAddress(text: string): Uint8Array | null {
  return parseAddressBytes(text, true);
}

/** True when `address` (bytes from {@link parseAddress}) lies in `block`. */
export function cidrContains(block: CidrBlock, address: Uint8Array): boolean {
  const comparable =
    block.network.length === 16 && address.length === 4 ? mappedIpv6(address) : address;
  if (comparable.length !== block.network.length) return false;
  return equalPrefix(block.network, comparable, block.prefixLength);
}

/**
 * True when the address `remoteAddress` lies in at least one of `cidrs`. An address that does
 * not parse, and an empty list, match nothing; so does a block that does not parse.
 */
export function addressInCidrs(remoteAddress: string, cidrs: readonly string[]): boolean {
  const address = parseAddress(remoteAddress);
  if (address === null) return false;
  return cidrs.some((text) => {
    const block = parseCidr(text);
    return block !== null && cidrContains(block, address);
  });
}

/** True when every address of `inner` is also in `outer`. */
export function cidrWithin(inner: CidrBlock, outer: CidrBlock): boolean {
  if (inner.network.length !== outer.network.length) return false;
  return (
    inner.prefixLength >= outer.prefixLength &&
    equalPrefix(outer.network, inner.network, outer.prefixLength)
  );
}

/**
 * True when each block of `inner` lies within some block of `outer` (an AppRole secret ID's
 * `cidr_list` within its role's `secret_id_bound_cidrs`). Blocks that do not parse are never
 * within anything.
 */
export function cidrsWithin(inner: readonly string[], outer: readonly string[]): boolean {
  const outerBlocks = outer.map(parseCidr);
  return inner.every((text) => {
    const block = parseCidr(text);
    return block !== null && outerBlocks.some((o) => o !== null && cidrWithin(block, o));
  });
}

function parseAddressBytes(text: string, unmapIpv4: boolean): Uint8Array | null {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  const bare = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  if (!isIPv6(bare)) return null;
  const bytes = ipv6Bytes(bare);
  if (unmapIpv4 && isMappedIpv4(bytes)) return bytes.slice(12);
  return bytes;
}

/** The 16 bytes of a valid IPv6 address (already checked by `isIPv6`). */
function ipv6Bytes(text: string): Uint8Array {
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) stands for the last two 16-bit groups.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  let hex = text;
  if (last.includes('.')) {
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    const high = ((a << 8) | b).toString(16);
    const low = ((c << 8) | d).toString(16);
    hex = `${text.slice(0, lastColon + 1)}${high}:${low}`;
  }

  const groupsOf = (part: string): number[] =>
    part.length === 0 ? [] : part.split(':').map((group) => parseInt(group, 16));
  const gap = hex.indexOf('::');
  const head = groupsOf(gap === -1 ? hex : hex.slice(0, gap));
  const tail = gap === -1 ? [] : groupsOf(hex.slice(gap + 2));
  const zeros = new Array<number>(8 - head.length - tail.length).fill(0);

  const bytes = new Uint8Array(16);
  [...head, ...zeros, ...tail].forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function isMappedIpv4(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function mappedIpv6(ipv4: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(ipv4, 12);
  return bytes;
}

function mask(address: Uint8Array, prefixLength: number): Uint8Array {
  const out = new Uint8Array(address.length);
  for (let i = 0; i < address.length; i++) {
    const bits = Math.min(8, Math.max(0, prefixLength - i * 8));
    out[i] = (address[i] as number) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** True when `a` and `b` (of one length) agree on their first `prefixLength` bits. */
function equalPrefix(a: Uint8Array, b: Uint8Array, prefixLength: number): boolean {
  const left = mask(a, prefixLength);
  const right = mask(b, prefixLength);
  return left.every((byte, index) => byte === right[index]);
}
