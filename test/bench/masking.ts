/**
 * The masking figure of the default model. Not a test: it prints a report.
 *
 * core's `maskingByArea` over the default model's 50 held-out samples, each followed in its true
 * class: mask the share f of the image with the model's own q×q patches, most informative first,
 * against the same share masked in random patch order (10 draws, band = lowest..highest draw
 * mean). Prints, per f, the mean change of the true-class logit for both curves, the gap
 * (random − informed) and whether the informed curve lies below the whole band; then the wall
 * time and this process's CPU time (tfjs-wasm in Node runs on one thread).
 *
 *   node --conditions=source --import tsx test/bench/masking.ts [--backend wasm|cpu] [--draws 10]
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { PNG } from 'pngjs';

import { maskFractionsForPatches, maskingByArea, useBackend } from '@bagnet-vis/core';
import type { BackendName, MaskingSample } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';
import { defaultModelUrl, sampleImages } from '@bagnet-vis/models';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    draws: { type: 'string', default: '10' },
    seed: { type: 'string', default: '0' },
  },
});

await useBackend(values.backend as BackendName);
const model = await loadBagNetFromDisk(fileURLToPath(defaultModelUrl));
const samples: MaskingSample[] = await Promise.all(
  sampleImages.map(async (s) => {
    const png = PNG.sync.read(await readFile(fileURLToPath(s.url)));
    return { image: { data: png.data, width: png.width, height: png.height, channels: 4 }, classIndex: s.label };
  }),
);
const wall0 = performance.now();
const cpu0 = process.cpuUsage();
// The demo's shares: from one patch's share of the 28×28 samples to half of them.
const fractions = maskFractionsForPatches(model.geometry(28, 28));
const result = await maskingByArea(model, samples, {
  draws: Number(values.draws),
  seed: Number(values.seed),
  fractions,
});
const wall = (performance.now() - wall0) / 1000;
const cpu = process.cpuUsage(cpu0);
const g = model.geometry(...(model.metadata.inputSize as [number, number]));
console.log(
  `default model: q = ${model.receptiveField}, stride ${model.stride}, ${g.rows}×${g.cols} patches on ` +
    `${g.imageHeight}×${g.imageWidth}; ${result.images} samples (true class), ${result.draws} random draws; ` +
    `mean unmasked true-class logit ${result.baseline.toFixed(3)}`,
);
console.log('masked  informed  random (band)               gap    informed below band');
result.fractions.forEach((f, j) => {
  console.log(
    `${`${Math.round(f * 100)} %`.padStart(6)}  ${result.informed[j]!.toFixed(3).padStart(8)}  ` +
      `${result.random[j]!.toFixed(3).padStart(6)} (${result.randomLow[j]!.toFixed(3)}..${result.randomHigh[j]!.toFixed(3)})`.padEnd(
        28,
      ) +
      `${result.gaps[j]!.toFixed(3).padStart(6)}    ${result.belowBand[j] ? 'yes' : 'no'}`,
  );
});
console.log(`gap (mean over fractions): ${result.gap.toFixed(3)} logits`);
console.log(
  `time on ${values.backend}: ${wall.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU ` +
    `(${result.images} × ${1 + result.fractions.length * (1 + result.draws)} classified images)`,
);
model.dispose();
