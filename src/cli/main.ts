#!/usr/bin/env node
import { demoJsonLines, formatDemo } from './demo-format.js';
import { SCENARIOS, runDemo } from './demo-scenarios.js';
import { TRANSFER_USAGE, TransferUsageError, transferCommand } from './transfer.js';
import { SERVE_USAGE, TunUsageError, serveCommand } from './serve.js';
import { GET_USAGE, getCommand } from './get.js';

const USAGE = `usage: synack <command> [options]

commands:
  demo <scenario> [--seed N] [--json] [--explain]
      Run a scenario on the simulated network and print its trace.
      scenarios: ${Object.keys(SCENARIOS).join(', ')}
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

const VALUE_FLAGS = new Set(['seed']);

function fail(message: string): never {
  process.stderr.write(`synack: ${message}\n`);
  process.exit(2);
}

function demo(args: Parsed): void {
  const name = args.positional[1];
  if (name === undefined) fail(`demo needs a scenario: ${Object.keys(SCENARIOS).join(', ')}`);
  if (SCENARIOS[name] === undefined) fail(`unknown scenario '${name}'; one of: ${Object.keys(SCENARIOS).join(', ')}`);
  for (const k of args.flags.keys()) if (!['seed', 'json', 'explain'].includes(k)) fail(`unknown option --${k}`);
  const seedFlag = args.flags.get('seed');
  const seed = seedFlag === undefined ? 1 : Number(seedFlag);
  if (!Number.isInteger(seed)) fail(`--seed needs an integer`);
  const run = runDemo(name, { seed });
  const out = args.flags.has('json') ? demoJsonLines(run) : formatDemo(run, { explain: args.flags.has('explain') });
  process.stdout.write(out + '\n');
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
