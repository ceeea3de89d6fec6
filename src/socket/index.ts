/**
 * `node:net`-compatible sockets and servers over a synack stack.
 *
 * @module
 */

export { Socket, type SocketOptions, type SocketConnectOptions, type AddressInfo } from './socket.js';
export { Server, type ServerOptions, type ServerListenOptions, type DropArgument } from './server.js';
export { createNet, type Net, type NetConnectOptions, type NetServerOptions } from './net.js';
export { isIP, isIPv4, isIPv6 } from './address.js';
export { type SystemError } from './errors.js';
export {
  createDgram,
  DgramSocket,
  type Dgram,
  type DgramStack,
  type DgramSocketType,
  type DgramSocketOptions,
  type DgramBindOptions,
  type DgramAddressInfo,
  type DgramMessage,
  type RemoteInfo,
} from './dgram.js';
