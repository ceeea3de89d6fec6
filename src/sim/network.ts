import { Simulation, type AsyncRunOptions, type SimulationOptions } from '../link/sim/simulation.js';
import type { SimLink, SimLinkOptions } from '../link/sim/link.js';
import { Stack } from '../stack/stack.js';
import type { TcpConfig } from '../tcp/config.js';
import { createNet, type Net } from '../socket/net.js';
import { createDgram, type Dgram } from '../socket/dgram.js';
import { ipv4ToString, parseIpv4Prefix } from '../wire/ipv4.js';

/** Options of {@link SimNetwork.host}. */
export interface SimHostOptions {
  /** TCP defaults for this host's connections. */
  tcp?: Partial<TcpConfig>;
  /** Forward packets not addressed to the host (make it a router). */
  forwarding?: boolean;
  /** Most half-open connections per listener. */
  synBacklog?: number;
}

/** Options of {@link SimNetwork.connect}: the link's impairments plus addressing. */
export interface SimConnectOptions extends SimLinkOptions {
  /** Subnet of the link, "a.b.c.d/len"; hosts get its .1 and .2 (default 10.0.N.0/24, N counting up). */
  subnet?: string;
  /** Explicit "addr/len" (or several, of either family) for host `a`'s end. */
  addressA?: string | string[];
  /** Explicit "addr/len" (or several) for host `b`'s end. */
  addressB?: string | string[];
  /**
   * Dual stack: also give the ends IPv6 addresses ::1 and ::2 of `fd00:0:0:N::/64` (N counting up
   * like the IPv4 subnets), or of the "prefix::/64" given here.
   */
  ipv6?: boolean | string;
}

/** A simulated host: a {@link Stack} plus a `net`-compatible socket API bound to it. */
export class SimHost {
  /** `net`-compatible API: `host.net.createServer(...)`, `host.net.connect(...)`. */
  readonly net: Net;
  /** `dgram`-like UDP API: `host.dgram.createSocket('udp4')`. */
  readonly dgram: Dgram;

  constructor(
    readonly name: string,
    readonly stack: Stack,
  ) {
    this.net = createNet(stack);
    this.dgram = createDgram(stack);
  }

  /** The host's first IPv4 address (its first address when it has no IPv4 one). */
  get address(): string {
    const a = this.stack.addresses.find((x) => !x.includes(':')) ?? this.stack.addresses[0];
    if (a === undefined) throw new Error(`host ${this.name} has no address yet; connect it to another host first`);
    return a;
  }

  /** The host's first IPv6 address (connect it with `ipv6: true`). */
  get address6(): string {
    const a = this.stack.addresses.find((x) => x.includes(':'));
    if (a === undefined) throw new Error(`host ${this.name} has no IPv6 address; connect it with { ipv6: true }`);
    return a;
  }

  /** Route `destination` ("a.b.c.d/len" or "default") out of the interface that faces `via`. */
  route(destination: string, via: SimHost): void {
    const iface = this.stack.interfaces.find((i) => this.peerOf.get(i.name) === via);
    if (iface === undefined) throw new Error(`${this.name} has no link to ${via.name}`);
    this.stack.addRoute({ destination, interface: iface.name });
  }

  /** @internal Which host each interface's link leads to. */
  readonly peerOf = new Map<string, SimHost>();
}

/**
 * A deterministic simulated network of hosts, each running a synack {@link Stack}, joined by
 * impaired point-to-point links on one virtual clock. The same seed gives the same run, segment for
 * segment; simulated minutes pass in milliseconds.
 *
 * ```ts
 * const net = new SimNetwork({ seed: 7 });
 * const client = net.host('client');
 * const server = net.host('server');
 * net.connect(client, server, { latency: 20, loss: 0.01 });
 * server.net.createServer((s) => s.pipe(s)).listen(7);
 * const sock = client.net.connect(7, server.address);
 * await net.sim.runUntil(() => done);
 * ```
 */
export class SimNetwork {
  readonly sim: Simulation;
  readonly hosts: SimHost[] = [];
  readonly links: SimLink[] = [];
  private subnetCounter = 0;

  constructor(options: SimulationOptions | Simulation = {}) {
    this.sim = options instanceof Simulation ? options : new Simulation(options);
  }

  /** Add a host named `name` (names must be unique: they seed its randomness). */
  host(name: string, options: SimHostOptions = {}): SimHost {
    if (this.hosts.some((h) => h.name === name)) throw new Error(`host ${name} exists`);
    const stack = new Stack({
      name,
      runtime: this.sim.runtime(`host:${name}`),
      ...(options.tcp !== undefined ? { tcp: options.tcp } : {}),
      ...(options.forwarding !== undefined ? { forwarding: options.forwarding } : {}),
      ...(options.synBacklog !== undefined ? { synBacklog: options.synBacklog } : {}),
    });
    const host = new SimHost(name, stack);
    this.hosts.push(host);
    return host;
  }

  /** Join two hosts by a link, giving each an address on the link's subnet. Returns the link. */
  connect(a: SimHost, b: SimHost, options: SimConnectOptions = {}): SimLink {
    const { subnet, addressA, addressB, ipv6, ...linkOptions } = options;
    const n = this.subnetCounter++;
    const aAddr = addressA === undefined ? [] : [addressA].flat();
    const bAddr = addressB === undefined ? [] : [addressB].flat();
    if (addressA === undefined || addressB === undefined) {
      const net = subnet !== undefined ? parseIpv4Prefix(subnet) : { addr: (10 << 24) | (n << 8), prefixLen: 24 };
      if (net === undefined) throw new Error(`invalid subnet ${subnet}`);
      if (addressA === undefined) aAddr.push(`${ipv4ToString((net.addr + 1) >>> 0)}/${net.prefixLen}`);
      if (addressB === undefined) bAddr.push(`${ipv4ToString((net.addr + 2) >>> 0)}/${net.prefixLen}`);
    }
    if (ipv6 !== undefined && ipv6 !== false) {
      const prefix = typeof ipv6 === 'string' ? ipv6.replace(/::(\/\d+)?$/, '') : `fd00:0:0:${n.toString(16)}`;
      aAddr.push(`${prefix}::1/64`);
      bAddr.push(`${prefix}::2/64`);
    }
    const label = linkOptions.label ?? `${a.name}<->${b.name}#${this.links.length}`;
    const link = this.sim.link({ ...linkOptions, label });
    const ia = a.stack.addInterface({ link: link.a, addresses: aAddr });
    const ib = b.stack.addInterface({ link: link.b, addresses: bAddr });
    a.peerOf.set(ia.name, b);
    b.peerOf.set(ib.name, a);
    this.links.push(link);
    return link;
  }

  /** Virtual time in ms. */
  get now(): number {
    return this.sim.now;
  }

  /** Run until `pred()` holds, letting Node streams react between events (see {@link Simulation.runUntil}). */
  runUntil(pred: () => boolean, options?: AsyncRunOptions): Promise<void> {
    return this.sim.runUntil(pred, options);
  }

  /** Run until nothing is left to happen (see {@link Simulation.settle}). */
  settle(options?: AsyncRunOptions): Promise<void> {
    return this.sim.settle(options);
  }
}
