/**
 * Packets of a demo run, for `synack demo … --pcap FILE` (Node only: writes files), observed through
 * the demo's link tap.
 *
 * @module
 */

import { runDemo, type DemoOptions, type DemoRun } from '../cli/demo-scenarios.js';
import { PcapFileWriter } from './pcap-file.js';

/** A packet as handed to the simulated link (IPv4, no link-layer header), at virtual time `time` ms. */
export interface DemoPacket {
  time: number;
  data: Uint8Array;
  /** Which port of the link sent it: `a` is the client, `b` the server. */
  from: 'a' | 'b';
}

/** Runs scenario `name` like `runDemo`, and also returns every packet sent on the link (lost ones included). */
export function runDemoWithPackets(name: string, options: DemoOptions = {}): { run: DemoRun; packets: DemoPacket[] } {
  const packets: DemoPacket[] = [];
  const run = runDemo(name, {
    ...options,
    tap: (ev) => {
      if (ev.kind === 'send') packets.push({ time: ev.time, data: ev.packet.slice(), from: ev.from as 'a' | 'b' });
    },
  });
  return { run, packets };
}

/**
 * Writes `packets` to `path`: pcapng if it ends in `.pcapng`, else classic pcap, link type RAW (IPv4),
 * timestamps = virtual time from the Unix epoch. Returns the number of packets written.
 */
export function writeDemoPcap(path: string, packets: readonly DemoPacket[]): number {
  const file = new PcapFileWriter(path, { epochMs: 0 });
  try {
    for (const p of packets) file.writePacket(p.data, p.time);
    return file.packetCount;
  } finally {
    file.close();
  }
}
