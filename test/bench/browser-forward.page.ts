/**
 * In-page part of the browser forward benchmark (bundled by browser-forward.ts): times a full-size
 * BagNet forward pass and a large 1×1 conv (the roofline) on one backend.
 */
import * as tf from '@tensorflow/tfjs-core';

import { BagNet, bagnetArchitecture, useBackend, wasmThreadCount } from '@bagnet-vis/core';
import type { BackendName, StandardReceptiveField } from '@bagnet-vis/core';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<void>, runs: number): Promise<number> {
  await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push((performance.now() - t) / 1000);
  }
  return median(out);
}

async function runBench(backend: BackendName, q: StandardReceptiveField, size: number, runs: number, threads?: number) {
  await useBackend(backend, { wasmPaths: '/wasm/', ...(threads === undefined ? {} : { threads }) });
  const net = BagNet.create(bagnetArchitecture({ q }), { seed: 0 });
  const x = tf.randomNormal([1, size, size, 3]) as tf.Tensor4D;
  const forward = await time(async () => {
    const y = net.logitMap(x);
    await y.data();
    y.dispose();
  }, runs);
  tf.dispose(x);
  net.dispose();
  const a = tf.randomNormal([1, 56, 56, 256]) as tf.Tensor4D;
  const w = tf.randomNormal([1, 1, 256, 1024]) as tf.Tensor4D;
  const conv = await time(async () => {
    const y = tf.conv2d(a, w, 1, 'valid');
    await y.data();
    y.dispose();
  }, runs);
  tf.dispose([a, w]);
  return {
    backend: tf.getBackend(),
    forward,
    peakGflops: (2 * 56 * 56 * 256 * 1024) / conv / 1e9,
    threads: backend === 'wasm' ? (wasmThreadCount() ?? 1) : undefined,
  };
}

(window as unknown as { runBench: typeof runBench }).runBench = runBench;
