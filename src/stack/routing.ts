import type { LinkPort } from '../link/types.js';
import { inPrefix, parseIp, type IpAddress } from './address.js';
import { StackError } from './errors.js';

/** One address assigned to an interface. */
export interface InterfaceAddress {
  address: IpAddress;
  prefixLength: number;
}

/** A network interface: a link plus the addresses the stack owns on it. */
export class NetworkInterface {
  constructor(
    readonly name: string,
    readonly link: LinkPort,
    readonly addresses: InterfaceAddress[],
  ) {}

  get mtu(): number {
    return this.link.mtu;
  }

  /** The source address for traffic of a family leaving through this interface. */
  primaryAddress(family: 4 | 6): IpAddress | undefined {
    return this.addresses.find((a) => a.address.family === family)?.address;
  }
}

/** A route: destinations within prefix/length leave through `iface` (towards `gateway` if given). */
export interface Route {
  prefix: IpAddress;
  prefixLength: number;
  iface: NetworkInterface;
  gateway?: IpAddress;
}

/** Longest-prefix-match routing table for both families. Connected routes are added per interface address. */
export class RoutingTable {
  private routes: Route[] = [];

  add(route: Route): void {
    this.routes.push(route);
    // Longest prefix first, so lookup takes the first match.
    this.routes.sort((a, b) => b.prefixLength - a.prefixLength);
  }

  lookup(dst: IpAddress): Route | undefined {
    for (const r of this.routes) if (inPrefix(dst, r.prefix, r.prefixLength)) return r;
    return undefined;
  }

  list(): readonly Route[] {
    return this.routes;
  }
}

/** Parse "addr/len" of either family (a bare address is a host prefix), throwing EINVAL on nonsense. */
export function parsePrefixOrThrow(text: string): { address: IpAddress; prefixLength: number } {
  const slash = text.lastIndexOf('/');
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined) throw new StackError('EINVAL', `invalid IP prefix: ${text}`);
  const max = address.family === 4 ? 32 : 128;
  if (slash < 0) return { address, prefixLength: max };
  const lenText = text.slice(slash + 1);
  const prefixLength = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= max)) throw new StackError('EINVAL', `invalid prefix length in ${text}`);
  return { address, prefixLength };
}

/** Parse an address of either family, throwing EINVAL on nonsense. */
export function parseAddressOrThrow(text: string): IpAddress {
  const a = parseIp(text);
  if (a === undefined) throw new StackError('EINVAL', `invalid IP address: ${text}`);
  return a;
}
