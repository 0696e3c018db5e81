/**
 * What every `bagnet` subcommand provides: a name, a one-line summary for `bagnet --help`, its own
 * help text, and a run function that throws {@link UsageError} or an error on failure.
 */
import type { CliIO, Progress } from './terminal.js';

/** The numbers of a model that help texts quote. */
export interface ModelGeometry {
  /** Receptive field q (patch side) in px. */
  readonly receptiveField: number;
  /** Distance between neighbouring patches in px. */
  readonly stride: number;
}

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
  /**
   * The `--help` text for the model given with `--model` (its patch size and stride in place of
   * the general words), when the command's help talks about a model's geometry.
   */
  readonly helpFor?: (model: ModelGeometry) => string;
  /** Runs the command with the arguments after its name. Resolves on success. */
  run(argv: readonly string[], context: CommandContext): Promise<void>;
}
