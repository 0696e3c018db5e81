/**
 * `npm run bench` (issue: foundation) — forward-pass latency of full-size BagNet-33 on a 224×224
 * image per Node backend (median of ≥ 5 runs after warm-up), achieved GFLOP/s, the WASM backend's
 * measured conv peak (a large 1×1 conv as the roofline, same run), and PyTorch on the same machine
 * when Debian's python3-torch is installed. Not a test: it prints a report.
 *
 *   npm run bench [-- --backends wasm,cpu] [--runs 5] [--q 33] [--size 224]
 *   npm run bench -- dense ...   (the dense-heatmap benchmark, test/bench/dense.ts)
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';

import { BagNet, bagnetArchitecture, forwardMacs, useBackend } from '@bagnet-vis/core';
import type { BackendName, StandardReceptiveField } from '@bagnet-vis/core';

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
  const script = fileURLToPath(new URL('./forward_torch.py', import.meta.url));
  const out = execFileSync(
    python,
    [script, '--q', String(q), '--size', String(size), '--runs', String(runs), '--threads', String(threads)],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as { median_s: number; torch: string; threads: number };
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      backends: { type: 'string', default: 'wasm,cpu' },
      runs: { type: 'string', default: '5' },
      q: { type: 'string', default: '33' },
      size: { type: 'string', default: '224' },
    },
  });
  const runs = Math.max(5, Number(values.runs));
  const q = Number(values.q) as StandardReceptiveField;
  const size = Number(values.size);
  const arch = bagnetArchitecture({ q });
  const gflop = (2 * forwardMacs(arch, size, size)) / 1e9;
  console.log(
    `BagNet-${q}, full size (ResNet-50 widths, 1000 classes), ${size}×${size}, ${gflop.toFixed(2)} GFLOP per forward pass`,
  );
  console.log(`median of ${runs} runs after one warm-up\n`);
  const rows: string[][] = [['backend', 'forward (s)', 'GFLOP/s', '1×1-conv peak GFLOP/s', '% of peak']];
  const results = new Map<string, number>();
  for (const name of values.backends.split(',') as BackendName[]) {
    await useBackend(name);
    const net = BagNet.create(arch, { seed: 0 });
    const x = tf.randomNormal([1, size, size, 3]) as tf.Tensor4D;
    const backendRuns = name === 'cpu' ? Math.min(runs, 5) : runs;
    const times = await time(async () => {
      const y = net.logitMap(x);
      await y.data();
      y.dispose();
    }, backendRuns);
    tf.dispose(x);
    net.dispose();
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
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  console.log('');
  for (const threads of [1, availableParallelism()]) {
    const torch = torchTime(q, size, runs, threads);
    if (typeof torch === 'string') {
      console.log(`PyTorch: ${torch}`);
      break;
    }
    const label = `PyTorch ${torch.torch} CPU, ${torch.threads} thread${torch.threads > 1 ? 's' : ''}`;
    const ratios = [...results].map(([b, t]) => `${b} ${(t / torch.median_s).toFixed(2)}×`).join(', ');
    console.log(
      `${label}: ${torch.median_s.toFixed(3)} s (${(gflop / torch.median_s).toFixed(1)} GFLOP/s); tfjs / PyTorch: ${ratios}`,
    );
  }
}

const args = process.argv.slice(2);
if (args[0] === 'dense') {
  const denseModule = './dense.js'; // resolved at run time: the dense benchmark is optional here
  const dense = (await import(denseModule)) as { main?: (argv: string[]) => Promise<void> };
  if (typeof dense.main !== 'function') throw new Error('test/bench/dense.ts does not export main(argv)');
  await dense.main(args.slice(1));
} else {
  await main(args);
}
