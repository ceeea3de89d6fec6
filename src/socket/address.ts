/**
 * Address helpers shared by sockets and servers: Node's `net.isIP` family and host normalisation.
 *
 * @module
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// Accepts the textual IPv6 forms Node accepts (compressed, IPv4-suffixed, with a zone id).
const IPV6 =
  /^(?:(?:[0-9a-f]{1,4}:){7}(?:[0-9a-f]{1,4}|:)|(?:[0-9a-f]{1,4}:){6}(?:(?:\d{1,3}\.){3}\d{1,3}|:[0-9a-f]{1,4}|:)|(?:[0-9a-f]{1,4}:){5}(?::(?:\d{1,3}\.){3}\d{1,3}|(?::[0-9a-f]{1,4}){1,2}|:)|(?:[0-9a-f]{1,4}:){4}(?:(?::[0-9a-f]{1,4}){0,1}:(?:\d{1,3}\.){3}\d{1,3}|(?::[0-9a-f]{1,4}){1,3}|:)|(?:[0-9a-f]{1,4}:){3}(?:(?::[0-9a-f]{1,4}){0,2}:(?:\d{1,3}\.){3}\d{1,3}|(?::[0-9a-f]{1,4}){1,4}|:)|(?:[0-9a-f]{1,4}:){2}(?:(?::[0-9a-f]{1,4}){0,3}:(?:\d{1,3}\.){3}\d{1,3}|(?::[0-9a-f]{1,4}){1,5}|:)|(?:[0-9a-f]{1,4}:){1}(?:(?::[0-9a-f]{1,4}){0,4}:(?:\d{1,3}\.){3}\d{1,3}|(?::[0-9a-f]{1,4}){1,6}|:)|(?::(?:(?::[0-9a-f]{1,4}){0,5}:(?:\d{1,3}\.){3}\d{1,3}|(?::[0-9a-f]{1,4}){1,7}|:)))(?:%[0-9a-z]{1,})?$/i;

/** Like `net.isIPv4`: whether `input` is a dotted-quad IPv4 address. */
export function isIPv4(input: unknown): boolean {
  return typeof input === 'string' && IPV4.test(input);
}

/** Like `net.isIPv6`. */
export function isIPv6(input: unknown): boolean {
  return typeof input === 'string' && IPV6.test(input);
}

/** Like `net.isIP`: 4, 6, or 0 for anything else. */
export function isIP(input: unknown): 0 | 4 | 6 {
  if (isIPv4(input)) return 4;
  if (isIPv6(input)) return 6;
  return 0;
}

/** Hosts meaning "every local address" when listening. */
export function isWildcard(host: string | undefined | null): boolean {
  return host === undefined || host === null || host === '' || host === '0.0.0.0' || host === '::';
}

/**
 * The address a host name stands for, without DNS: literal IPv4 and IPv6 addresses (brackets and a
 * zone id are removed), and `localhost` as 127.0.0.1 (Node's default host). Anything else is
 * undefined (reported as ENOTFOUND).
 */
export function resolveHost(host: string): string | undefined {
  if (isIPv4(host)) return host;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIPv6(bare)) return bare.replace(/%.*$/, '');
  if (host === 'localhost') return '127.0.0.1';
  return undefined;
}

/** Node's family name of an address string. */
export function familyOf(address: string): 'IPv4' | 'IPv6' {
  return address.includes(':') ? 'IPv6' : 'IPv4';
}

/**
 * Like Node's `validatePort`: a number or numeric string in 0..65535, returned as a number.
 * Throws a RangeError with code ERR_SOCKET_BAD_PORT otherwise.
 */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  const ok =
    (typeof port === 'number' || (typeof port === 'string' && port.trim().length > 0)) &&
    +port === +port >>> 0 &&
    +port <= 0xffff &&
    (allowZero || +port !== 0);
  if (!ok) {
    const e = new RangeError(
      `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${typeof port === 'string' ? `type string ('${port}')` : `type ${typeof port} (${String(port)})`}.`,
    ) as RangeError & { code: string };
    e.code = 'ERR_SOCKET_BAD_PORT';
    throw e;
  }
  return +port;
}
