/**
 * A connection table in the style of `ss -tni`: one line per listener and connection (state, queues,
 * addresses), then for each connection a line of TCP_INFO-like figures from its STATUS snapshot
 * (RFC 9293 §3.10.6). Used by `synack serve --status`; also as JSON lines.
 *
 * @module
 */

import type { ConnectionStatus } from '../tcp/connection.js';
import type { ListenerStatus } from '../stack/stack.js';

function endpoint(address: string, port: number | string): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

function ms(v: number | undefined): string {
  return v === undefined ? '-' : Number.isInteger(v) ? `${v}` : v.toFixed(1);
}

/** The TCP_INFO-like line of one connection (`ss -i` style keys). */
export function connectionDetails(c: ConnectionStatus, now?: number): string {
  const parts = [
    c.congestionControl,
    `wscale:${c.sndWscale},${c.rcvWscale}`,
    `rto:${ms(c.rto)}`,
    `rtt:${ms(c.srtt)}/${ms(c.rttvar)}`,
    `mss:${c.mss}`,
    // In segments, as ss shows them (the snapshot and the JSON keep bytes).
    `cwnd:${Math.round(c.cwnd / Math.max(1, c.mss))}`,
    `ssthresh:${c.ssthresh >= 0x7fffffff ? 'inf' : Math.round(c.ssthresh / Math.max(1, c.mss))}`,
    `snd_wnd:${c.sndWnd}`,
    `rcv_wnd:${c.rcvWnd}`,
    `pipe:${c.pipe}`,
    `bytes_sent:${c.stats.bytesSent}`,
    `bytes_acked:${c.stats.bytesAcked}`,
    `bytes_received:${c.stats.bytesReceived}`,
    `segs_out:${c.stats.segmentsSent}`,
    `segs_in:${c.stats.segmentsReceived}`,
    `retrans:${c.stats.retransmits}/${c.stats.rtoCount}`,
  ];
  if (c.sackPermitted) parts.push('sack');
  if (c.timestamps) parts.push('ts');
  if (c.inRecovery) parts.push('recovery');
  const timers = Object.entries(c.timers).filter(([, at]) => at !== undefined);
  if (timers.length > 0) {
    parts.push(`timer:(${timers.map(([name, at]) => (now === undefined ? name : `${name},${ms(Math.max(0, (at as number) - now))}ms`)).join(' ')})`);
  }
  return parts.join(' ');
}

/**
 * The table as text: a header, then per listener one line and per connection two (the second
 * indented, with {@link connectionDetails}). `now` (the stack's clock) turns timer deadlines into
 * time left.
 */
export function formatConnectionTable(listeners: readonly ListenerStatus[], connections: readonly ConnectionStatus[], now?: number): string {
  const rows: string[][] = [['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port']];
  const details: (string | undefined)[] = [undefined];
  for (const l of listeners) {
    rows.push(['LISTEN', `${l.acceptQueue}`, `${l.backlog}`, endpoint(l.address, l.port), endpoint(l.address.includes(':') ? '::' : '0.0.0.0', '*')]);
    details.push(undefined);
  }
  for (const c of connections) {
    rows.push([c.state, `${c.receiveQueue}`, `${c.sendQueue}`, endpoint(c.localAddress, c.localPort), endpoint(c.remoteAddress, c.remotePort)]);
    details.push(connectionDetails(c, now));
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines: string[] = [];
  rows.forEach((r, i) => {
    lines.push(r.map((cell, k) => (k === 1 || k === 2 ? cell.padStart(widths[k]!) : cell.padEnd(widths[k]!))).join('  ').trimEnd());
    const d = details[i];
    if (d !== undefined) lines.push(`\t ${d}`);
  });
  return lines.join('\n');
}

/** The table as JSON lines: one object per listener (`kind: 'listener'`) and connection (`kind: 'connection'`). */
export function connectionTableJson(listeners: readonly ListenerStatus[], connections: readonly ConnectionStatus[]): string {
  return [
    ...listeners.map((l) => JSON.stringify({ kind: 'listener', ...l })),
    ...connections.map((c) => JSON.stringify({ kind: 'connection', ...c })),
  ].join('\n');
}
