/**
 * `npm run bench` (issue: foundation) — the forward-pass benchmark, which lives in the CLI as
 * `bagnet bench` (packages/cli/src/bench/forward.ts): latency of a full-size BagNet on a square
 * image per Node backend, achieved GFLOP/s, the backend's 1×1-conv peak and PyTorch on the same
 * machine when python3-torch is installed. Not a test: it prints a report.
 *
 *   npm run bench [-- --backends wasm,cpu] [--runs 5] [--q 33] [--size 224]
 *   npm run bench -- --browser [--q 33] [--size 224] [--runs 5] [--backends wasm,ort-web,webgl,webgpu] [--threads 1,2]
 *       (headless Chromium, cross-origin isolated page: tfjs WASM on its threaded SIMD binary and its
 *       peer onnxruntime-web (WASM SIMD) on the same BagNet, once per thread count, default all
 *       cores; then tfjs-wasm / ort-web per thread count)
 *   npm run bench -- dense ...   (the dense-heatmap benchmark, test/bench/dense.ts)
 *   npm run bench -- targets     (the speed targets without a GPU, test/bench/targets.ts)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { bagnetArchitecture, forwardMacs } from '@bagnet-vis/core';
import type { StandardReceptiveField } from '@bagnet-vis/core';

import { forwardBenchmark } from '../../packages/cli/src/bench/forward.js';
import { browserForward } from './browser-forward.js';

/**
 * The peer's model: the same BagNet-q, exported from the reference PyTorch architecture by
 * test/bench/export_onnx.py (Debian python3-torch and python3-onnx; a build step, ~70 MB, written to
 * a temporary folder and deleted after the run).
 */
function exportOnnx(q: number, size: number, out: string): { ok: true; path: string } | { ok: false; why: string } {
  const ortBuild = fileURLToPath(new URL('../../node_modules/onnxruntime-web/dist/ort.wasm.min.mjs', import.meta.url));
  if (!existsSync(ortBuild)) return { ok: false, why: 'skipped: onnxruntime-web is not installed (npm install)' };
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch, onnx'], { stdio: 'ignore' });
  } catch {
    return {
      ok: false,
      why: 'skipped: needs Debian python3-torch and python3-onnx (apt-get install -y python3-torch python3-onnx)',
    };
  }
  const script = fileURLToPath(new URL('./export_onnx.py', import.meta.url));
  execFileSync('/usr/bin/python3', [script, '--q', String(q), '--size', String(size), '--out', out], {
    stdio: 'ignore',
  });
  return { ok: true, path: out };
}

async function browserBench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      browser: { type: 'boolean' },
      backends: { type: 'string', default: 'wasm,ort-web,webgl,webgpu' },
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
  // WASM and its peer once per thread count asked for (default: all cores), each in a fresh page.
  const cores = availableParallelism();
  const threadCounts = values.threads?.split(',').map(Number) ?? [cores];
  let backends = values.backends.split(',');
  let onnx: string | undefined;
  let scratch: string | undefined;
  if (backends.includes('ort-web')) {
    scratch = mkdtempSync(join(tmpdir(), 'bagnet-onnx-'));
    const exported = exportOnnx(q, size, join(scratch, `bagnet${q}.onnx`));
    if (exported.ok) onnx = exported.path;
    else {
      console.log(`ort-web: ${exported.why}`);
      backends = backends.filter((b) => b !== 'ort-web');
    }
  }
  const specs = backends.flatMap((backend) =>
    backend === 'wasm' || backend === 'ort-web' ? threadCounts.map((threads) => ({ backend, threads })) : [{ backend }],
  );
  const rows = [['backend', 'threads', 'forward (s)', 'GFLOP/s', '1×1-conv peak GFLOP/s', '% of peak']];
  let results;
  try {
    results = await browserForward(specs, q, size, runs, onnx);
  } finally {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }
  for (const r of results) {
    const rate = gflop / r.forward;
    const peak = Number.isFinite(r.peakGflops);
    rows.push([
      r.backend === 'wasm' ? 'tfjs wasm' : r.backend,
      r.threads === undefined ? '' : String(r.threads),
      r.forward.toFixed(3),
      rate.toFixed(1),
      peak ? r.peakGflops.toFixed(1) : '',
      peak ? `${((100 * rate) / r.peakGflops).toFixed(0)} %` : '',
    ]);
  }
  const ratios = threadCounts.flatMap((t) => {
    const tfjs = results.find((r) => r.backend === 'wasm' && r.threads === t);
    const ort = results.find((r) => r.backend === 'ort-web' && r.threads === t);
    return tfjs && ort
      ? [`tfjs-wasm / ort-web, ${t} thread${t === 1 ? '' : 's'}: ${(tfjs.forward / ort.forward).toFixed(2)}×`]
      : [];
  });
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  for (const line of ratios) console.log(line);
}

const args = process.argv.slice(2);
if (args[0] === 'dense') {
  const denseModule = './dense.js'; // resolved at run time: the dense benchmark is optional here
  const dense = (await import(denseModule)) as { main?: (argv: string[]) => Promise<void> };
  if (typeof dense.main !== 'function') throw new Error('test/bench/dense.ts does not export main(argv)');
  await dense.main(args.slice(1));
} else if (args[0] === 'targets') {
  const { main } = await import('./targets.js');
  await main(args.slice(1));
} else if (args.includes('--browser')) {
  await browserBench(args);
} else {
  await forwardBenchmark(args, (line) => console.log(line));
}
