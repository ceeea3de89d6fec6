#!/usr/bin/env node
import fs from 'node:fs';
import { demoJsonLines, diagramSvg, formatDemo, formatDiagram } from './demo-format.js';
import { SCENARIOS, runDemo } from './demo-scenarios.js';
import { asciify } from '../trace/diagram-text.js';
import { runDemoWithPackets, writeDemoPcap } from '../trace/demo-pcap.js';
import { TRANSFER_USAGE, TransferUsageError, transferCommand } from './transfer.js';
import { SERVE_USAGE, TunUsageError, serveCommand } from './serve.js';
import { GET_USAGE, getCommand } from './get.js';

const USAGE = `usage: synack <command> [options]

commands:
  demo <scenario> [--seed N] [--trace | --json] [--verbose] [--explain] [--ascii]
                  [--absolute] [--svg FILE] [--pcap FILE]
      Run a scenario on the simulated network and draw it as a sequence diagram
      (time on the left, client and server lifelines, arrows sloping with latency,
      states at every transition, lost segments ending in ✕).
      scenarios: ${Object.keys(SCENARIOS).join(', ')}
      --seed N      simulation seed (1): other ISNs (and impairments)
      --trace       one line per event instead of the diagram: segments, states,
                    timers that fired, congestion events (cwnd/ssthresh, recovery),
                    segments the TCP discarded
      --json        one JSON object per event (the same events as --trace)
      --verbose     with --trace or --json: also every timer set, re-armed, cancelled,
                    and every per-ACK cwnd increase
      --explain     follow each arrow/state (or trace line) with its RFC rule
      --ascii       plain ASCII instead of box drawing
      --absolute    absolute seq/ack in the diagram (default: relative to each ISN)
      --svg FILE    also write the diagram as a standalone SVG
      --pcap FILE   also write the demo's packets (.pcapng: pcapng, else pcap)
  ${TRANSFER_USAGE.split('\n').join('\n  ')}
  ${SERVE_USAGE.split('\n').join('\n  ')}
  ${GET_USAGE.split('\n').join('\n  ')}
  help
      Show this text.`;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--') && VALUE_FLAGS.has(a.slice(2))) flags.set(a.slice(2), argv[++i]!);
      else flags.set(a.slice(2), true);
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

const VALUE_FLAGS = new Set(['seed', 'svg', 'pcap']);
const DEMO_FLAGS = ['seed', 'json', 'explain', 'trace', 'verbose', 'ascii', 'absolute', 'svg', 'pcap'];

function fail(message: string): never {
  process.stderr.write(`synack: ${message}\n`);
  process.exit(2);
}

function demo(args: Parsed): void {
  const name = args.positional[1];
  if (name === undefined) fail(`demo needs a scenario: ${Object.keys(SCENARIOS).join(', ')}`);
  if (SCENARIOS[name] === undefined) fail(`unknown scenario '${name}'; one of: ${Object.keys(SCENARIOS).join(', ')}`);
  for (const k of args.flags.keys()) if (!DEMO_FLAGS.includes(k)) fail(`unknown option --${k}`);
  const seedFlag = args.flags.get('seed');
  const seed = seedFlag === undefined ? 1 : Number(seedFlag);
  if (!Number.isInteger(seed)) fail(`--seed needs an integer`);
  const file = (flag: string): string | undefined => {
    const v = args.flags.get(flag);
    if (v === true || v === '') fail(`--${flag} needs a file name`);
    return v;
  };
  const svgFile = file('svg');
  const pcapFile = file('pcap');
  const has = (f: string): boolean => args.flags.has(f);
  if (has('json') && has('trace')) fail('--json and --trace are exclusive');
  if (has('verbose') && !has('json') && !has('trace')) fail('--verbose goes with --trace or --json');
  // The packets are observed only when asked for (see src/trace/demo-pcap.ts); the engines' timer,
  // congestion and drop events only for the line traces (the diagram does not draw them).
  const details = has('json') || has('trace');
  const { run, packets } = pcapFile !== undefined ? runDemoWithPackets(name, { seed, details }) : { run: runDemo(name, { seed, details }), packets: [] };
  const absolute = has('absolute');
  if (svgFile !== undefined) writeOut(svgFile, () => fs.writeFileSync(svgFile, diagramSvg(run, { absolute })), 'SVG diagram');
  if (pcapFile !== undefined) writeOut(pcapFile, () => writeDemoPcap(pcapFile, packets), `${packets.length} packets`);
  let out: string;
  if (has('json')) out = demoJsonLines(run, { verbose: has('verbose') });
  else if (has('trace')) out = formatDemo(run, { explain: has('explain'), verbose: has('verbose') });
  else out = formatDiagram(run, { absolute, explain: has('explain') });
  if (has('ascii')) out = asciify(out);
  process.stdout.write(out + '\n');
}

/** Runs `write`; says on stderr what was written, or fails with exit status 1. */
function writeOut(path: string, write: () => unknown, what: string): void {
  try {
    write();
  } catch (e) {
    process.stderr.write(`synack: cannot write ${path}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(`synack: wrote ${what} to ${path}\n`);
}

async function transfer(argv: string[]): Promise<void> {
  try {
    process.exitCode = await transferCommand(argv);
  } catch (e) {
    if (e instanceof TransferUsageError) fail(`transfer: ${e.message} (see 'synack help')`);
    throw e;
  }
}

/** `serve` and `get` (real TUN devices): usage errors exit 2, run-time failures 1. */
async function tunCommand(name: string, command: (argv: string[]) => Promise<number>, argv: string[]): Promise<void> {
  try {
    process.exitCode = await command(argv);
  } catch (e) {
    if (e instanceof TunUsageError) fail(`${name}: ${e.message} (see 'synack help')`);
    process.stderr.write(`synack: ${name}: ${(e as Error).message ?? String(e)}\n`);
    process.exit(1);
  }
}

function main(argv: string[]): void {
  if (argv[0] === 'transfer') {
    // Its own parser: every option but --json takes a value.
    void transfer(argv.slice(1));
    return;
  }
  if (argv[0] === 'serve' || argv[0] === 'get') {
    void tunCommand(argv[0], argv[0] === 'serve' ? serveCommand : getCommand, argv.slice(1));
    return;
  }
  const args = parseArgs(argv);
  switch (args.positional[0]) {
    case 'demo':
      return demo(args);
    case undefined:
    case 'help':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      fail(`unknown command '${args.positional[0]}'\n${USAGE}`);
  }
}

main(process.argv.slice(2));
