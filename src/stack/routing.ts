import { ipv4InPrefix, parseIpv4Address, parseIpv4Prefix } from '../wire/ipv4.js';
import type { LinkPort } from '../link/types.js';
import { StackError } from './errors.js';

/** One address assigned to an interface. */
export interface InterfaceAddress {
  address: number;
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

  /** The address used as source for traffic leaving through this interface. */
  get primaryAddress(): number | undefined {
    return this.addresses[0]?.address;
  }
}

/** A route: destinations within prefix/length leave through `iface` (towards `gateway` if given). */
export interface Route {
  prefix: number;
  prefixLength: number;
  iface: NetworkInterface;
  gateway?: number;
}

/** Longest-prefix-match routing table. Connected routes are added for each interface address. */
export class RoutingTable {
  private routes: Route[] = [];

  add(route: Route): void {
    this.routes.push(route);
    // Longest prefix first, so lookup takes the first match.
    this.routes.sort((a, b) => b.prefixLength - a.prefixLength);
  }

  lookup(dst: number): Route | undefined {
    for (const r of this.routes) if (ipv4InPrefix(dst, r.prefix, r.prefixLength)) return r;
    return undefined;
  }

  list(): readonly Route[] {
    return this.routes;
  }
}

/** Parse "a.b.c.d/len" (or a bare address, taken as /32), throwing EINVAL on nonsense. */
export function parsePrefixOrThrow(text: string): { addr: number; prefixLen: number } {
  const p = text.includes('/') ? parseIpv4Prefix(text) : parseAddressAsHost(text);
  if (p === undefined) throw new StackError('EINVAL', `invalid IPv4 prefix: ${text}`);
  return p;
}

function parseAddressAsHost(text: string): { addr: number; prefixLen: number } | undefined {
  const addr = parseIpv4Address(text);
  return addr === undefined ? undefined : { addr, prefixLen: 32 };
}

/** Parse a dotted-quad address, throwing EINVAL on nonsense. */
export function parseAddressOrThrow(text: string): number {
  const a = parseIpv4Address(text);
  if (a === undefined) throw new StackError('EINVAL', `invalid IPv4 address: ${text}`);
  return a;
}
