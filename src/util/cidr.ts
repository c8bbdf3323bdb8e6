/**
 * Whether a client address lies in a list of CIDR blocks, for `token_bound_cidrs` and AppRole's
 * `secret_id_bound_cidrs`. Built on Node's `net.BlockList`. An IPv4 address written as IPv6
 * (`::ffff:10.0.0.1`, what a dual-stack listener reports) is matched as the IPv4 address, and a
 * block written without a prefix length (`10.0.0.1`) is that one host.
 */
import { BlockList, isIP } from 'node:net';

/** True when `address` is inside one of `cidrs`; false for an address that is not an IP. */
export function addressInCidrs(address: string, cidrs: readonly string[]): boolean {
  const client = plainAddress(address);
  const family = isIP(client);
  if (family === 0) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', bits] = cidr.trim().split('/');
    const net = plainAddress(network);
    const netFamily = isIP(net);
    if (netFamily === 0) continue;
    const type = netFamily === 4 ? 'ipv4' : 'ipv6';
    const prefix = bits === undefined ? (netFamily === 4 ? 32 : 128) : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (netFamily === 4 ? 32 : 128)) continue;
    list.addSubnet(net, prefix, type);
  }
  return list.check(client, family === 4 ? 'ipv4' : 'ipv6');
}

/** `::ffff:a.b.c.d` as `a.b.c.d`; anything else unchanged. */
function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/iu.exec(address);
  return mapped?.[1] ?? address;
}
