/**
 * Parity with the reference: fixtures from ../shared/reference/make_fixture.py (PyTorch, float64
 * expected values) read through @bagnet-vis/convert into @bagnet-vis/core, on the CPU and WASM
 * backends in Node. Tolerance: max |actual − expected| ≤ 2.5e-5 × max|logit map|, about ten times
 * the largest error measured (cpu 1.2–2.3e-6, wasm 1.1–2.4e-6 of max|map|); array lengths are
 * checked by maxAbsDiff.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';

import { useBackend } from '@bagnet-vis/core';
import { bagnetFromStateDict, readTorchCheckpoint } from '@bagnet-vis/convert';

import { chwToHwc, cropRgb, FIXTURE_QS, loadFixture, maxAbs, maxAbsDiff } from '../helpers/fixtures.js';
import { noLeaks } from '../helpers/leaks.js';

const TOLERANCE = 2.5e-5; // × max|map|, CPU and WASM: ~10× the measured 2.4e-6

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`parity with the reference on ${backend}`, () => {
    for (const q of FIXTURE_QS) {
      it(`BagNet-${q}: logits, logit map, non-square crop and embeddings`, async (t) => {
        await useBackend(backend);
        const f = loadFixture(q);
        await noLeaks(async () => {
          const net = bagnetFromStateDict(readTorchCheckpoint(f.checkpoint));
          try {
            assert.equal(net.receptiveField, q);
            const ev = await net.evidence(f.image);
            const expected = chwToHwc(f.logitMapChw);
            const scale = maxAbs(expected);
            const err = maxAbsDiff(ev.logitMap, expected);
            t.diagnostic(`${backend} q=${q}: max error / max|map| = ${(err / scale).toExponential(2)}`);
            assert.ok(err <= TOLERANCE * scale, `map error ${err} > ${TOLERANCE * scale}`);
            assert.ok(maxAbsDiff(ev.logits, f.logits) <= TOLERANCE * scale, 'logits');
            // logits are exactly the mean of the map (float64 accumulation, float32 result)
            const c = ev.numClasses;
            for (let k = 0; k < c; k++) {
              let s = 0;
              for (let i = 0; i < ev.geometry.size; i++) s += ev.logitMap[i * c + k]!;
              assert.equal(ev.logits[k], Math.fround(s / ev.geometry.size));
            }
            ev.dispose();

            const rect = await net.evidence(cropRgb(f.image, f.rect.y, f.rect.x, f.rect.height, f.rect.width));
            assert.deepEqual([rect.geometry.rows, rect.geometry.cols], f.rect.logitMapChw.shape.slice(1));
            const rectErr = maxAbsDiff(rect.logitMap, chwToHwc(f.rect.logitMapChw));
            assert.ok(rectErr <= TOLERANCE * scale, `rect map error ${rectErr}`);
            rect.dispose();

            const emb = await net.embeddings(f.image);
            const pooled = tf.tidy(() => tf.mean(emb.features, [0, 1]));
            const pooledErr = maxAbsDiff(await pooled.data(), f.featuresPooled);
            assert.ok(pooledErr <= TOLERANCE * Math.max(1, maxAbs(f.featuresPooled)), `features error ${pooledErr}`);
            tf.dispose([pooled, emb.features]);
          } finally {
            net.dispose();
          }
        });
      });
    }
  });
}
