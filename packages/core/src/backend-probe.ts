/**
 * The probe behind {@link pickBestBackend}: a small BagNet-shaped workload (a valid 3×3 conv,
 * ReLU, a 1×1 conv and the spatial mean — 20.6 M multiply-adds) timed on the active backend
 * within a time budget. @internal
 */
import * as tf from '@tensorflow/tfjs-core';

import type { BackendName } from './backend-name.js';

/** One backend's probe result. */
export interface BackendProbe {
  readonly backend: BackendName;
  /** Milliseconds of the fastest warm pass; undefined when the budget ended before one. */
  readonly warmMs: number | undefined;
  /** Milliseconds of the first pass (kernel compilation and uploads included). */
  readonly firstMs: number;
  /** Warm passes timed. */
  readonly runs: number;
}

/** Multiply-adds of one probe pass: 30·30·64·(3·3·32) + 30·30·64·64. */
export const PROBE_MACS = 30 * 30 * 64 * (9 * 32) + 30 * 30 * 64 * 64;

/** The best per-pass estimate of a probe: its warm time, else its first pass. */
export function probeMs(p: BackendProbe): number {
  return p.warmMs ?? p.firstMs;
}

/**
 * How many times slower `p` is than `q`, like for like: warm passes when both have one, else first
 * passes (`warm` says which).
 */
export function probeRatio(p: BackendProbe, q: BackendProbe): { ratio: number; warm: boolean } {
  return p.warmMs !== undefined && q.warmMs !== undefined
    ? { ratio: p.warmMs / q.warmMs, warm: true }
    : { ratio: p.firstMs / q.firstMs, warm: false };
}

/**
 * Times the probe on the active tfjs backend: one first pass, then warm passes until `budgetMs`
 * (counted from the start) is spent or `maxRuns` are done. One warm pass runs whenever the first
 * ended within `limitMs`, since a first pass can be mostly setup (kernel compilation, weight
 * packing). Leaves no tensors behind.
 */
export async function probeActiveBackend(
  backend: BackendName,
  budgetMs: number,
  limitMs = budgetMs,
  maxRuns = 3,
): Promise<BackendProbe> {
  const start = performance.now();
  const [x, w3, w1] = tf.tidy(() => {
    // Deterministic, non-trivial values without a random generator (same work on every backend).
    const ramp = (n: number, scale: number) => tf.sin(tf.mul(tf.range(0, n, 1, 'float32'), scale));
    return [
      tf.reshape(ramp(32 * 32 * 32, 0.37), [1, 32, 32, 32]) as tf.Tensor4D,
      tf.reshape(ramp(3 * 3 * 32 * 64, 0.11), [3, 3, 32, 64]) as tf.Tensor4D,
      tf.reshape(ramp(64 * 64, 0.23), [1, 1, 64, 64]) as tf.Tensor4D,
    ];
  });
  const pass = async (): Promise<number> => {
    const t = performance.now();
    const y = tf.tidy(() => tf.mean(tf.conv2d(tf.relu(tf.conv2d(x, w3, 1, 'valid')), w1, 1, 'valid')));
    await y.data();
    y.dispose();
    return performance.now() - t;
  };
  try {
    const firstMs = await pass();
    let warmMs: number | undefined;
    let runs = 0;
    while (runs < maxRuns) {
      const spent = performance.now() - start;
      if (warmMs === undefined ? spent >= limitMs : spent + warmMs > budgetMs) break;
      const ms = await pass();
      warmMs = warmMs === undefined ? ms : Math.min(warmMs, ms);
      runs++;
    }
    return { backend, warmMs, firstMs, runs };
  } finally {
    tf.dispose([x, w3, w1]);
  }
}
