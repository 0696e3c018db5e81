/**
 * The forward-pass benchmark (`bagnet bench`, `npm run bench`): latency of a full-size BagNet
 * (ResNet-50 widths, 1000 classes, random weights) on a square image per Node backend — median of
 * ≥ 5 runs after a warm-up — with achieved GFLOP/s, the backend's measured conv peak (a large 1×1
 * conv, the best case for conv kernels, same run) and PyTorch on the same machine when
 * python3-torch is installed (python/forward_torch.py). It prints a report; it is not a test.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import { BagNet, bagnetArchitecture, forwardMacs, useBackend } from '@bagnet-vis/core';
import type { BackendName, StandardReceptiveField } from '@bagnet-vis/core';

import { integer, parseCommandLine, positionals } from '../args.js';
import { UsageError } from '../errors.js';

/** `--help` of the benchmark. */
export const FORWARD_BENCH_HELP = `Usage: bagnet bench [--backends wasm,cpu] [--runs 5] [--q 33] [--size 224]

Times one forward pass of a full-size BagNet (ResNet-50 widths, 1000 classes, random
weights) on a size×size image per backend: median of at least 5 runs after a warm-up,
GFLOP/s achieved, the backend's peak on a large 1×1 convolution, and PyTorch on this
machine when python3-torch is installed (apt-get install -y python3-torch).

Options:
  --backends <list>   Node backends to time, comma-separated (default wasm,cpu)
  --runs <n>          timed runs per backend, at least 5 (default 5; cpu: at most 5)
  --q <9|17|33>       receptive field (default 33)
  --size <px>         image side (default 224)
  -h, --help          this help`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<void>, runs: number): Promise<number[]> {
  await fn(); // warm-up (kernel compilation, allocation)
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push((performance.now() - t) / 1000);
  }
  return out;
}

/** GFLOP/s of a large 1×1 conv (a GEMM: the best case for conv kernels) on the active backend. */
async function convPeak(runs: number): Promise<number> {
  const x = tf.randomNormal([1, 56, 56, 256]) as tf.Tensor4D;
  const w = tf.randomNormal([1, 1, 256, 1024]) as tf.Tensor4D;
  const flops = 2 * 56 * 56 * 256 * 1024;
  const times = await time(async () => {
    const y = tf.conv2d(x, w, 1, 'valid');
    await y.data();
    y.dispose();
  }, runs);
  tf.dispose([x, w]);
  return flops / median(times) / 1e9;
}

/** PyTorch's median forward time here, or why it was skipped. */
function torchTime(
  q: number,
  size: number,
  runs: number,
  threads: number,
): { median_s: number; torch: string; threads: number } | string {
  const python = ['/usr/bin/python3', 'python3'].find((p) => {
    try {
      execFileSync(p, ['-c', 'import torch'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (python === undefined) return 'skipped: python3-torch is not installed (apt-get install -y python3-torch)';
  // ../../python from src/bench/ and from dist/bench/ alike.
  const script = fileURLToPath(new URL('../../python/forward_torch.py', import.meta.url));
  const out = execFileSync(
    python,
    [script, '--q', String(q), '--size', String(size), '--runs', String(runs), '--threads', String(threads)],
    { encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as { median_s: number; torch: string; threads: number };
}

/**
 * Runs the benchmark with command-line arguments `argv` and writes the report through `print`
 * (one call per line). Throws {@link UsageError} for bad arguments.
 */
export async function forwardBenchmark(
  argv: readonly string[],
  print: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
): Promise<void> {
  const { values, positionals: rest } = parseCommandLine({
    args: [...argv],
    allowPositionals: true,
    options: {
      backends: { type: 'string', default: 'wasm,cpu' },
      runs: { type: 'string', default: '5' },
      q: { type: 'string', default: '33' },
      size: { type: 'string', default: '224' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  positionals(rest, []);
  const runs = Math.max(5, integer(values.runs, '--runs', 1, 1000));
  const q = integer(values.q, '--q', 9, 33) as StandardReceptiveField;
  if (![9, 17, 33].includes(q)) throw new UsageError(`--q must be 9, 17 or 33, got ${q}`);
  const size = integer(values.size, '--size', q, 4096);
  const backends = values.backends.split(',').map((b) => b.trim()) as BackendName[];
  const unknown = backends.find((b) => b !== 'wasm' && b !== 'cpu');
  if (unknown !== undefined) throw new UsageError(`--backends takes wasm and/or cpu in Node, got '${unknown}'`);

  const arch = bagnetArchitecture({ q });
  const gflop = (2 * forwardMacs(arch, size, size)) / 1e9;
  print(
    `BagNet-${q}, full size (ResNet-50 widths, 1000 classes), ${size}×${size}, ${gflop.toFixed(2)} GFLOP per forward pass`,
  );
  print(`median of ${runs} runs after one warm-up\n`);
  const rows: string[][] = [['backend', 'forward (s)', 'GFLOP/s', '1×1-conv peak GFLOP/s', '% of peak']];
  const results = new Map<string, number>();
  for (const name of backends) {
    await useBackend(name);
    const net = BagNet.create(arch, { seed: 0 });
    const x = tf.randomNormal([1, size, size, 3]) as tf.Tensor4D;
    const backendRuns = name === 'cpu' ? Math.min(runs, 5) : runs;
    let times: number[];
    try {
      times = await time(async () => {
        const y = net.logitMap(x);
        await y.data();
        y.dispose();
      }, backendRuns);
    } finally {
      tf.dispose(x);
      net.dispose();
    }
    const t = median(times);
    const peak = await convPeak(backendRuns);
    results.set(name, t);
    rows.push([
      name,
      t.toFixed(3),
      (gflop / t).toFixed(1),
      peak.toFixed(1),
      ((100 * gflop) / t / peak).toFixed(0) + ' %',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) print(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  print('');
  for (const threads of [1, availableParallelism()]) {
    const torch = torchTime(q, size, runs, threads);
    if (typeof torch === 'string') {
      print(`PyTorch: ${torch}`);
      break;
    }
    const label = `PyTorch ${torch.torch} CPU, ${torch.threads} thread${torch.threads > 1 ? 's' : ''}`;
    const ratios = [...results].map(([b, t]) => `${b} ${(t / torch.median_s).toFixed(2)}×`).join(', ');
    print(
      `${label}: ${torch.median_s.toFixed(3)} s (${(gflop / torch.median_s).toFixed(1)} GFLOP/s); tfjs / PyTorch: ${ratios}`,
    );
  }
}
