/**
 * `npm run bench` (issue: foundation) — the forward-pass benchmark, which lives in the CLI as
 * `bagnet bench` (packages/cli/src/bench/forward.ts): latency of a full-size BagNet on a square
 * image per Node backend, achieved GFLOP/s, the backend's 1×1-conv peak and PyTorch on the same
 * machine when python3-torch is installed. Not a test: it prints a report.
 *
 *   npm run bench [-- --backends wasm,cpu] [--runs 5] [--q 33] [--size 224]
 *   npm run bench -- --browser [--q 33] [--size 224] [--runs 5] [--backends wasm,webgl,webgpu] [--threads 1,2]
 *       (headless Chromium, cross-origin isolated page: WASM on its threaded SIMD binary, once per
 *       thread count; default all cores)
 *   npm run bench -- dense ...   (the dense-heatmap benchmark, test/bench/dense.ts)
 */
import { parseArgs } from 'node:util';

import { bagnetArchitecture, forwardMacs } from '@bagnet-vis/core';
import type { StandardReceptiveField } from '@bagnet-vis/core';

import { forwardBenchmark } from '../../packages/cli/src/bench/forward.js';
import { browserForward } from './browser-forward.js';

async function browserBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      browser: { type: 'boolean' },
      backends: { type: 'string', default: 'wasm,webgl,webgpu' },
      threads: { type: 'string' },
      runs: { type: 'string', default: '5' },
      q: { type: 'string', default: '33' },
      size: { type: 'string', default: '224' },
    },
  });
  const q = Number(values.q) as StandardReceptiveField;
  const size = Number(values.size);
  const runs = Math.max(5, Number(values.runs));
  const gflop = (2 * forwardMacs(bagnetArchitecture({ q }), size, size)) / 1e9;
  console.log(
    `BagNet-${q} full size, ${size}×${size}, ${gflop.toFixed(2)} GFLOP, headless Chromium, median of ${runs}`,
  );
  // WASM once per thread count asked for (default: all cores), each in a fresh page.
  const threadCounts = values.threads?.split(',').map(Number) ?? [undefined];
  const specs = values.backends
    .split(',')
    .flatMap((backend) => (backend === 'wasm' ? threadCounts.map((threads) => ({ backend, threads })) : [{ backend }]));
  const rows = [['backend', 'threads', 'forward (s)', 'GFLOP/s', '1×1-conv peak GFLOP/s', '% of peak']];
  for (const r of await browserForward(specs, q, size, runs)) {
    const rate = gflop / r.forward;
    rows.push([
      r.backend,
      r.threads === undefined ? '' : String(r.threads),
      r.forward.toFixed(3),
      rate.toFixed(1),
      r.peakGflops.toFixed(1),
      `${((100 * rate) / r.peakGflops).toFixed(0)} %`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

const args = process.argv.slice(2);
if (args[0] === 'dense') {
  const denseModule = './dense.js'; // resolved at run time: the dense benchmark is optional here
  const dense = (await import(denseModule)) as { main?: (argv: string[]) => Promise<void> };
  if (typeof dense.main !== 'function') throw new Error('test/bench/dense.ts does not export main(argv)');
  await dense.main(args.slice(1));
} else if (args.includes('--browser')) {
  await browserBench(args);
} else {
  await forwardBenchmark(args, (line) => console.log(line));
}
