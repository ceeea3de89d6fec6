/**
 * synack: a TCP/IP stack in pure TypeScript.
 *
 * Layers, bottom up: `wire` (bytes ⇄ headers), `tcp` (the sans-IO engine), `stack` (demux, listeners,
 * timers, routes), `socket` (node:net-compatible sockets), `link` (the simulated network, impairments
 * and capture for real links), `trace` (pcap/pcapng) and `sim` (hosts on the simulated network).
 * @module
 */
export * as wire from './wire/index.js';
export { Connection, type ConnectionParams, type ConnectionStatus, type ConnectionStats } from './tcp/connection.js';
export { DEFAULT_TCP_CONFIG, PLAIN_RFC9293, type TcpConfig } from './tcp/config.js';
export type { ConnectionEvent, ConnectionTraceEvent } from './tcp/events.js';
export { TcpCallError, type TcpErrorCode, type TcpCallErrorCode } from './tcp/errors.js';
export type { TcpState } from './tcp/state.js';
export { RenoSlowStart, initialWindow, type CongestionControl, type AckSample } from './tcp/congestion.js';
export { createCongestionControl, CONGESTION_CONTROL_NAMES, Cubic, NewReno, type CongestionControlName } from './tcp/cc/index.js';
export { rfc6528Isn, type FourTuple } from './tcp/isn.js';
export { resetForClosed } from './tcp/reset.js';
export { Stack, type StackOptions, type StackCounters, type ConnectOptions, type ListenOptions } from './stack/stack.js';
export { TcpHandle, TcpListener } from './stack/tcp-handle.js';
export {
  UdpLayer,
  UdpEndpoint,
  type UdpHost,
  type UdpLayerOptions,
  type UdpBindOptions,
  type UdpCounters,
  type UdpErrorCode,
  type UdpIcmpErrorCode,
  type UdpMessageListener,
  type UdpErrorListener,
} from './stack/udp.js';
export { parseIp, type IpAddress } from './stack/address.js';
export { PathMtuCache } from './stack/pmtu.js';
export { StackError, type StackErrorCode } from './stack/errors.js';
export { realRuntime, type Runtime, type RealRuntimeOptions } from './stack/runtime.js';
export type {
  StackTraceEvent,
  TraceListener,
  TimerKind,
  TimerAction,
  CongestionChange,
  EngineDropReason,
  TimerTraceEvent,
  CongestionTraceEvent,
  ConnectionOrigin,
} from './stack/trace.js';
export * from './link/index.js';
export * from './link/impair/index.js';
export { CaptureLink, type CaptureHook, type CaptureDirection, type CaptureLinkOptions } from './link/capture.js';
export * from './trace/index.js';
export * from './socket/index.js';
export { SimNetwork, SimHost, type SimHostOptions, type SimConnectOptions } from './sim/network.js';
export { runDemo, SCENARIOS, type DemoEvent, type DemoRun } from './cli/demo-scenarios.js';
export { runTransfer, type TransferOptions, type TransferResult } from './cli/transfer.js';
