/**
 * `npm run bench` (issue: foundation) — the forward-pass benchmark, which lives in the CLI as
 * `bagnet bench` (packages/cli/src/bench/forward.ts): latency of a full-size BagNet on a square
 * image per Node backend, achieved GFLOP/s, the backend's 1×1-conv peak and PyTorch on the same
 * machine when python3-torch is installed. Not a test: it prints a report.
 *
 *   npm run bench [-- --backends wasm,cpu] [--runs 5] [--q 33] [--size 224]
 *   npm run bench -- dense ...   (the dense-heatmap benchmark, test/bench/dense.ts)
 */
import { forwardBenchmark } from '../../packages/cli/src/bench/forward.js';

const args = process.argv.slice(2);
if (args[0] === 'dense') {
  const denseModule = './dense.js'; // resolved at run time: the dense benchmark is optional here
  const dense = (await import(denseModule)) as { main?: (argv: string[]) => Promise<void> };
  if (typeof dense.main !== 'function') throw new Error('test/bench/dense.ts does not export main(argv)');
  await dense.main(args.slice(1));
} else {
  await forwardBenchmark(args, (line) => console.log(line));
}
