/**
 * What every `bagnet` subcommand provides: a name, a one-line summary for `bagnet --help`, its own
 * help text, and a run function that throws {@link UsageError} or an error on failure.
 */
import type { CliIO, Progress } from './terminal.js';

/** The context a command runs in. */
export interface CommandContext {
  readonly io: CliIO;
  readonly progress: Progress;
}

/** A `bagnet` subcommand. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text (usage, options, examples). */
  readonly help: string;
  /** Runs the command with the arguments after its name. Resolves on success. */
  run(argv: readonly string[], context: CommandContext): Promise<void>;
}
