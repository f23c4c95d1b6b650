/**
 * `client-aliases` (README: *Admin HTTP API*, Alibaba's ClientDesc): CIDR → description, shown as `desc` in
 * GET /v1/clients. Given as "CIDR=description" items, e.g. `10.1.0.0/16=batch-jobs`.
 * The first alias whose network holds the client's IP wins.
 */
import net from 'node:net';

export interface ClientAlias {
  readonly cidr: string;
  readonly description: string;
  readonly network: net.BlockList;
}

/** "CIDR=description"; throws an Error saying what is wrong. */
export function parseClientAlias(item: string): ClientAlias {
  const eq = item.indexOf('=');
  if (eq <= 0 || eq === item.length - 1) throw new Error(`'${item}' is not CIDR=description (e.g. 10.0.0.0/8=office)`);
  const cidr = item.slice(0, eq).trim();
  const description = item.slice(eq + 1).trim();
  const slash = cidr.indexOf('/');
  const address = slash === -1 ? cidr : cidr.slice(0, slash);
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null;
  if (family === null) throw new Error(`'${cidr}' is not an IPv4 or IPv6 network`);
  const maxPrefix = family === 'ipv4' ? 32 : 128;
  const prefixText = slash === -1 ? String(maxPrefix) : cidr.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d+$/.test(prefixText) || prefix > maxPrefix) throw new Error(`'${cidr}' has a bad prefix length (0..${maxPrefix})`);
  const network = new net.BlockList();
  network.addSubnet(address, prefix, family);
  return { cidr, description, network };
}

/** The IP of an `ip:port` client address (IPv4-mapped IPv6 as plain IPv4). */
export function clientIp(addr: string): string {
  const ip = addr.slice(0, addr.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

export function describeClient(aliases: readonly ClientAlias[], addr: string): string | undefined {
  if (aliases.length === 0) return undefined;
  const ip = clientIp(addr);
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : null;
  if (family === null) return undefined;
  return aliases.find((alias) => alias.network.check(ip, family))?.description;
}
