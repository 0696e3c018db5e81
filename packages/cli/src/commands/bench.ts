/**
 * `bagnet bench`: the forward-pass benchmark (see ../bench/forward.ts).
 */
import { FORWARD_BENCH_HELP, forwardBenchmark } from '../bench/forward.js';
import type { Command } from '../command.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'time a full-size BagNet forward pass per backend (and PyTorch, if installed)',
  help: FORWARD_BENCH_HELP,
  async run(argv, { io }) {
    await forwardBenchmark(argv, (line) => io.stdout(`${line}\n`));
  },
};
