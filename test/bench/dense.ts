/**
 * Dense-heatmap benchmark. Not a test: it prints a report.
 *
 * For full-size BagNet-33, -17 and -9 (random weights: speed does not depend on values) on a
 * 224×224 image, one class, stride 1:
 * - `denseEvidence` (all progressive levels, default options) — timed once, whole;
 * - the patch-by-patch reference `patchwiseEvidence` on the same backend — 50,176 patches take too
 *   long, so it times the first rows of the image and extrapolates linearly (said in the output);
 * - the ratio of the two against the arithmetic limit (patch-by-patch multiply-adds with a
 *   one-class head over dense multiply-adds, counted from the architecture);
 * - achieved GMAC/s against the backend's measured peak (best of a few large 1×1 convolutions);
 * - PyTorch running the reference method (test/bench/dense_torch.py) when python3-torch exists;
 * - the step durations of `denseEvidence` on a small model (the main-thread blocking time).
 *
 *   node --conditions=source --import tsx test/bench/dense.ts [options]
 *   npm run bench -- dense [options]
 *
 * Options: --backend wasm|cpu (default wasm), --q 33,17,9, --size 224, --patch-seconds 20
 * (time budget of the patchwise subset), --patch-batch 256, --torch-patches 2000, --no-torch.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';

import {
  BagNet,
  bagnetArchitecture,
  denseEvidence,
  denseEvidenceMacs,
  forwardMacs,
  patchwiseEvidence,
  patchwiseEvidenceMacs,
  useBackend,
} from '@bagnet-vis/core';
import type { StandardReceptiveField } from '@bagnet-vis/core';

import { seededImage } from '../helpers/images.js';

const giga = 1e9;

/** Wall and process CPU seconds of `fn`. */
interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const t = performance.now();
  const c = cpuSeconds();
  await fn();
  return { wall: (performance.now() - t) / 1000, cpu: cpuSeconds() - c };
}

/**
 * GMAC per CPU second of the best of a few large 1×1 convolutions (GEMMs: the best case for conv
 * kernels).
 */
async function convPeak(): Promise<{ gmacs: number; shape: string }> {
  let best = { gmacs: 0, shape: '' };
  for (const [hw, cin, cout] of [
    [56, 256, 1024],
    [28, 1024, 512],
    [28, 512, 2048],
  ] as const) {
    const x = tf.randomNormal([1, hw, hw, cin]) as tf.Tensor4D;
    const w = tf.randomNormal([1, 1, cin, cout]) as tf.Tensor4D;
    const times: number[] = [];
    for (let r = 0; r < 4; r++) {
      const t = await timed(async () => {
        const y = tf.conv2d(x, w, 1, 'valid');
        await y.data();
        y.dispose();
      });
      times.push(t.cpu);
    }
    tf.dispose([x, w]);
    const t = times.slice(1).sort((a, b) => a - b)[1]!; // median of 3 after a warm-up
    const gmacs = (hw * hw * cin * cout) / t / giga;
    if (gmacs > best.gmacs) best = { gmacs, shape: `[${hw}×${hw}×${cin}] · [${cin}×${cout}]` };
  }
  return best;
}

interface TorchResult {
  readonly seconds_total_extrapolated: number;
  readonly cpu_seconds_total_extrapolated: number;
  readonly patches_timed: number;
  readonly threads: number;
  readonly torch: string;
}

function torchReference(q: number, size: number, patches: number): TorchResult | string {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return 'skipped: python3-torch is not installed (apt-get install -y python3-torch)';
  }
  const script = fileURLToPath(new URL('./dense_torch.py', import.meta.url));
  const out = execFileSync(
    '/usr/bin/python3',
    [script, '--q', String(q), '--size', String(size), '--patches', String(patches)],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as TorchResult;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padStart(widths[c]!)).join('  ')).join('\n');
}

/** Step durations (ms) of `denseEvidence` on a small model: what a page's main thread would feel. */
async function smallModelSteps(size: number): Promise<string> {
  const net = BagNet.create(bagnetArchitecture({ q: 33, widthScale: 0.125, blocks: [1, 1, 1, 1], numClasses: 10 }));
  try {
    const img = seededImage(size, size, 3);
    await denseEvidence(net, img, { classes: [0] }); // warm-up
    const steps: number[] = [];
    let last = 0;
    const start = performance.now();
    last = start;
    await denseEvidence(net, img, {
      classes: [0],
      yieldIntervalMs: 0,
      onProgress: () => {
        const now = performance.now();
        steps.push(now - last);
        last = now;
      },
    });
    const total = performance.now() - start;
    const sorted = [...steps].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(0);
    return (
      `small model (BagNet-33, width 0.125, 1 block per stage) at ${size}×${size}: ${total.toFixed(0)} ms in ` +
      `${steps.length} steps; step median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms (first step includes setup)`
    );
  } finally {
    net.dispose();
  }
}

/** Runs the benchmark with command-line arguments `argv`. */
export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      backend: { type: 'string', default: 'wasm' },
      q: { type: 'string', default: '33,17,9' },
      size: { type: 'string', default: '224' },
      'patch-seconds': { type: 'string', default: '20' },
      'patch-batch': { type: 'string', default: '256' },
      'torch-patches': { type: 'string', default: '2000' },
      'no-torch': { type: 'boolean', default: false },
    },
  });
  const backend = values.backend;
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got ${backend}`);
  const qs = values.q.split(',').map(Number) as StandardReceptiveField[];
  const size = Number(values.size);
  const patchSeconds = Number(values['patch-seconds']);
  const batchSize = Number(values['patch-batch']);
  await useBackend(backend);
  const wasmThreads =
    backend === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : undefined;
  console.log(
    `dense-heatmap benchmark: backend ${backend}${wasmThreads !== undefined ? ` (${wasmThreads} thread(s), SIMD)` : ''}, ` +
      `${size}×${size} image, one class, stride 1, full-size models with random weights`,
  );
  console.log(
    `machine: ${cpus().length} CPU(s), load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}. Times are process CPU seconds (single-threaded here: CPU s ≈ wall s of an idle ` +
      'machine); wall seconds also shown for dense.',
  );
  const peak = await convPeak();
  console.log(`1×1-conv peak: ${peak.gmacs.toFixed(1)} GMAC per CPU second (${peak.shape})`);
  console.log(await smallModelSteps(size));

  const rows = [
    [
      'model',
      'dense s',
      'dense CPU s',
      'GMAC/CPU-s',
      '% peak',
      'patchwise CPU s*',
      'GMAC/CPU-s',
      'ratio',
      'limit',
      '% limit',
      'torch ref CPU s*',
      'torch / dense',
    ],
  ];
  const notes: string[] = [];
  for (const q of qs) {
    const arch = bagnetArchitecture({ q });
    const net = BagNet.create(arch, { seed: 0 });
    try {
      const img = seededImage(size, size, q);
      const denseMacs = denseEvidenceMacs(arch, size, size, { classes: 1 });
      const limit = (size * size * forwardMacs(arch, q, q, 1)) / denseMacs;
      const dense = await timed(() => denseEvidence(net, img, { classes: [0] }));

      // Patchwise: calibrate on one row, then time enough rows for ~patchSeconds; extrapolate.
      const region = (height: number) => ({ x: 0, y: 0, width: size, height });
      const one = await timed(() => patchwiseEvidence(net, img, { classes: [0], region: region(1), batchSize }));
      const rowsTimed = Math.max(1, Math.min(size, Math.round(patchSeconds / one.cpu)));
      const subset = await timed(() =>
        patchwiseEvidence(net, img, { classes: [0], region: region(rowsTimed), batchSize }),
      );
      const patchwiseCpu = (subset.cpu * size) / rowsTimed;
      const patchMacs = patchwiseEvidenceMacs(arch, size, size, { region: region(rowsTimed) });
      notes.push(
        `BagNet-${q}: patchwise timed on ${rowsTimed * size} of ${size * size} patches (${rowsTimed} row(s), ` +
          `batch ${batchSize}): ${subset.cpu.toFixed(1)} CPU s (${subset.wall.toFixed(1)} s wall), extrapolated ` +
          `×${(size / rowsTimed).toFixed(1)}. Multiply-adds: dense ${(denseMacs / giga).toFixed(0)} G, patchwise ` +
          `${(patchwiseEvidenceMacs(arch, size, size) / giga).toFixed(0)} G (the model computes all 1000 classes).`,
      );

      let torchCells = ['—', '—'];
      if (!values['no-torch']) {
        const t = torchReference(q, size, Number(values['torch-patches']));
        if (typeof t === 'string') notes.push(`PyTorch ${t}`);
        else {
          const torchCpu = t.cpu_seconds_total_extrapolated;
          torchCells = [torchCpu.toFixed(1), `${(torchCpu / dense.cpu).toFixed(1)}×`];
          notes.push(
            `BagNet-${q}: PyTorch ${t.torch} (${t.threads} thread(s), CPU) reference method timed on ` +
              `${t.patches_timed} patches (batches of 1000), extrapolated to ${size * size}: ` +
              `${torchCpu.toFixed(1)} CPU s (${t.seconds_total_extrapolated.toFixed(1)} s wall).`,
          );
        }
      }
      rows.push([
        `BagNet-${q}`,
        dense.wall.toFixed(1),
        dense.cpu.toFixed(1),
        (denseMacs / dense.cpu / giga).toFixed(1),
        `${((100 * denseMacs) / dense.cpu / giga / peak.gmacs).toFixed(0)} %`,
        patchwiseCpu.toFixed(0),
        (patchMacs / subset.cpu / giga).toFixed(1),
        `${(patchwiseCpu / dense.cpu).toFixed(1)}×`,
        `${limit.toFixed(1)}×`,
        `${((100 * patchwiseCpu) / dense.cpu / limit).toFixed(0)} %`,
        ...torchCells,
      ]);
    } finally {
      net.dispose();
    }
  }
  console.log(table(rows));
  console.log('* extrapolated linearly from a timed subset of patches:');
  for (const n of notes) console.log(`  ${n}`);
  console.log(
    '  ratio = patchwise / dense CPU time on the same backend; limit = patch-by-patch / dense multiply-adds ' +
      '(one-class head), counted from the architecture; torch / dense = PyTorch reference CPU time / dense CPU time.',
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
