/**
 * Certified patch robustness benchmark. Not a test: it prints a report.
 *
 * `patchRobustness` on the evidence map a full BagNet-33 gives for a 224×224 ImageNet image
 * (24×24 cells × 1,000 classes; random values — the cost does not depend on them), for a 32 px
 * patch (8×8-cell windows, 17×17 positions), both methods. Median and 90th percentile of --runs
 * calls after --warmup calls, as wall-clock time and as this process's CPU time (user + system;
 * tfjs-wasm in Node runs on one thread, so on a busy shared machine the CPU time is the better
 * estimate of the idle wall-clock time). Goal: ≤ 10 ms per image on WASM.
 *
 *   node --conditions=source --import tsx test/bench/robustness.ts [--backend wasm|cpu] [--runs 50]
 */
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';

import { bagnetArchitecture, EvidenceMap, PatchGeometry, patchRobustness, useBackend } from '@bagnet-vis/core';
import type { BackendName, PatchRobustnessOptions } from '@bagnet-vis/core';

import { seededUniform } from '../helpers/images.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    runs: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '20' },
    patch: { type: 'string', default: '32' },
  },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const patchPx = Number(values.patch);

await useBackend(values.backend as BackendName);
const geometry = PatchGeometry.of(bagnetArchitecture({ q: 33 }), 224, 224);
const classes = 1000;
const map = seededUniform(geometry.size * classes, -10, 10, 17);
const evidence = new EvidenceMap({
  logitMap: map,
  geometry,
  labels: Array.from({ length: classes }, (_, k) => `class ${k}`),
});
console.log(
  `backend ${tf.getBackend()}, map ${geometry.rows}×${geometry.cols}×${classes} (BagNet-33, 224² px), ` +
    `patch ${patchPx} px, ${runs} runs after ${warmup} warm-up`,
);
const before = tf.memory().numTensors;
for (const options of [
  { patchPx, method: 'mask' },
  { patchPx, method: 'clip' },
  { patchPx, method: 'mask', threshold: 0.2 },
] satisfies PatchRobustnessOptions[]) {
  const wall: number[] = [];
  const cpu: number[] = [];
  let window = '';
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await patchRobustness(evidence, options);
    const c1 = process.cpuUsage(c0);
    const ms = performance.now() - t0;
    if (i >= warmup) {
      wall.push(ms);
      cpu.push((c1.user + c1.system) / 1000);
    }
    window = `${r.windowRows}×${r.windowCols} cells, ${r.positionRows}×${r.positionCols} positions`;
  }
  const at = (xs: number[], q: number) =>
    xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!.toFixed(2);
  console.log(
    `${JSON.stringify(options).padEnd(48)} ${window}: wall median ${at(wall, 0.5)} ms, p90 ${at(wall, 0.9)} ms; ` +
      `CPU median ${at(cpu, 0.5)} ms, p90 ${at(cpu, 0.9)} ms`,
  );
}
evidence.dispose();
if (tf.memory().numTensors !== before) throw new Error('tensor leak');
