/**
 * The `bagnet` command line: dispatch to a subcommand, `--help` everywhere, and the exit-code
 * contract — 0 success, 2 usage error, 1 failure — with one line on stderr and no stack trace
 * (set BAGNET_DEBUG=1 to get one for unexpected errors).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import { BagNetConvertError } from '@bagnet-vis/convert';
import { BagNetError, parseModelJson, printable } from '@bagnet-vis/core';

import type { Command } from './command.js';
import { benchCommand } from './commands/bench.js';
import { convertCommand } from './commands/convert.js';
import { explainCommand } from './commands/explain.js';
import { infoCommand } from './commands/info.js';
import { mergeCommand } from './commands/merge.js';
import { mineCommand } from './commands/mine.js';
import { trainCommand } from './commands/train.js';
import { CliError, UsageError } from './errors.js';
import { processIO, Progress } from './terminal.js';
import type { CliIO } from './terminal.js';

/** The subcommands, in the order `bagnet --help` lists them. */
export const COMMANDS: readonly Command[] = [
  convertCommand,
  explainCommand,
  mineCommand,
  mergeCommand,
  trainCommand,
  infoCommand,
  benchCommand,
];

/** Exit codes of {@link run}. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** This package's version (from its package.json, next to src/ and dist/). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const HELP = `Usage: bagnet <command> [options]

BagNets (Brendel & Bethge, ICLR 2019) in TensorFlow.js, from the terminal.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)}${c.summary}`).join('\n')}

Run 'bagnet <command> --help' for a command's options. Progress goes to stderr, results
to stdout. Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error.

Example:
  bagnet convert bagnet32-2ddd53ed.pth.tar --out bagnet33
  bagnet explain cat.jpg --model bagnet33/model.json --png cat-evidence.png`;

/** Whether `argv` asks for help before any `--` terminator. */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * A command's help; with `--model <path>` among the arguments, the help for that model (its patch
 * size and stride), or the general help with a note when the model cannot be read.
 */
async function helpText(command: Command, argv: readonly string[]): Promise<string> {
  const at = argv.findIndex((a) => a === '--model' || a.startsWith('--model='));
  const path = at < 0 ? undefined : argv[at]!.startsWith('--model=') ? argv[at]!.slice(8) : argv[at + 1];
  if (command.helpFor === undefined || path === undefined) return command.help;
  try {
    const file = path.endsWith('.json') ? path : join(path, 'model.json');
    const { receptiveField, stride } = parseModelJson(await readFile(file, 'utf8'), file).userDefinedMetadata.bagnet;
    return command.helpFor({ receptiveField, stride });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return `${command.help}\n\n(The help above is general: --model could not be read: ${oneLine(printable(why))})`;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Runs `bagnet` with `argv` (the arguments after the program name) and resolves with the exit
 * code. Never throws: every error becomes one line on `io.stderr`.
 */
export async function run(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  // tfjs prints notices on console.warn (e.g. the CPU backend's "Hi, looks like you are running
  // TensorFlow.js in Node.js" banner); production mode is tfjs' switch that silences them.
  tf.enableProdMode();
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(`${HELP}\n`);
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = COMMANDS.find((c) => c.name === rest[0]);
    io.stdout(`${topic?.help ?? HELP}\n`);
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr(
      `bagnet: unknown command '${name}'; commands: ${COMMANDS.map((c) => c.name).join(', ')} (see 'bagnet --help')\n`,
    );
    return EXIT.usage;
  }
  if (wantsHelp(rest)) {
    io.stdout(`${await helpText(command, rest)}\n`);
    return EXIT.ok;
  }
  const quiet = rest.includes('-q') || rest.includes('--quiet');
  const progress = new Progress(io, quiet);
  try {
    await command.run(rest, { io, progress });
    progress.done();
    return EXIT.ok;
  } catch (e) {
    progress.done();
    const prefix = `bagnet ${command.name}`;
    if (e instanceof UsageError) {
      io.stderr(`${prefix}: ${oneLine(e.message)} (see 'bagnet ${command.name} --help')\n`);
      return EXIT.usage;
    }
    if (e instanceof CliError || e instanceof BagNetError || e instanceof BagNetConvertError) {
      io.stderr(`${prefix}: error: ${oneLine(e.message)}\n`);
      return EXIT.failure;
    }
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    io.stderr(`${prefix}: unexpected error: ${oneLine(message)}\n`);
    if (process.env['BAGNET_DEBUG'] && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    return EXIT.failure;
  }
}
