/**
 * The paper's analyses, each on a small model with a known answer (CPU backend):
 * - logit linearity: exactly additive for a BagNet (patches farther apart than q), clearly not for
 *   a small CNN with a global max-pooling layer;
 * - masking: k = 0 is the unmasked logit, masking every cell leaves the logit of a uniform image,
 *   and a linear classifier's curve is computed by hand;
 * - scrambling: a permutation-invariant classifier does not change, a position-dependent one does;
 * - patch mining: equals a brute-force sort over all patches of all images.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {
  BagNet,
  BagNetAbortError,
  bagnetArchitecture,
  bagnetClassifier,
  BagNetInputError,
  logitLinearity,
  maskingCurve,
  minePatches,
  modelClassifier,
  PatchMiner,
  scrambleTiles,
  scramblingTest,
  useBackend,
} from '@bagnet-vis/core';
import type { BagNetImageInput, ImageClassifier, MinedPatch, PatchRect } from '@bagnet-vis/core';

import { seededImage } from '../../../test/helpers/images.js';
import { noLeaks } from '../../../test/helpers/leaks.js';

function smallBagNet(q: 9 | 17 | 33, seed: number): BagNet {
  return BagNet.create(bagnetArchitecture({ q, widthScale: 0.0625, blocks: [1, 1, 1, 1], numClasses: 4 }), { seed });
}

const image = seededImage;

/** Runs `fn` with the normalised image tensor, then disposes it. */
async function withInput<T>(net: BagNet, img: BagNetImageInput, fn: (x: Tensor4D) => Promise<T>): Promise<T> {
  const x = await net.preprocess(img);
  try {
    return await fn(x);
  } finally {
    x.dispose();
  }
}

before(async () => {
  await useBackend('cpu');
});

describe('logitLinearity', () => {
  it('a BagNet is additive over patches farther apart than q (error ≈ 0)', async () => {
    const net = smallBagNet(17, 3);
    try {
      await noLeaks(() =>
        withInput(net, image(64, 64, 2), async (x) => {
          const r = await logitLinearity(bagnetClassifier(net), x, { patchSize: 17, count: 4 });
          assert.equal(r.patches.length, 4); // a 2×2 grid with pitch 34
          assert.equal(r.original.length, 4);
          assert.ok(Math.max(...r.singles.flatMap((d) => Array.from(d, Math.abs))) > 1e-3, 'masking changes logits');
          assert.ok(r.relativeError < 1e-4, `BagNet relative error ${r.relativeError}`);
          // Adjacent patches (gap 0 < q − 1): cells that see two patches break additivity.
          const adjacent = await logitLinearity(bagnetClassifier(net), x, { patchSize: 17, gap: 0, count: 4 });
          assert.ok(adjacent.relativeError > 1e-3, `adjacent patches: ${adjacent.relativeError}`);
        }),
      );
    } finally {
      net.dispose();
    }
  });

  it('a small CNN with a global max-pooling layer is clearly not additive', async () => {
    const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
    const cnn = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [64, 64, 3],
          filters: 8,
          kernelSize: 3,
          activation: 'relu',
          kernelInitializer: init(1),
        }),
        tfl.layers.globalMaxPooling2d({}),
        tfl.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: init(2) }),
        tfl.layers.dense({ units: 4, kernelInitializer: init(3) }),
      ],
    });
    const net = smallBagNet(17, 3); // only for its preprocessing
    try {
      await noLeaks(() =>
        withInput(net, image(64, 64, 2), async (x) => {
          const r = await logitLinearity(modelClassifier(cnn), x, { patchSize: 17, count: 4 });
          assert.ok(r.relativeError > 0.05, `CNN relative error ${r.relativeError}`);
          // Same patches as explicit rectangles give the same answer.
          const again = await logitLinearity(modelClassifier(cnn), x, { patchSize: 17, patches: r.patches });
          assert.deepEqual(again.joint, r.joint);
        }),
      );
    } finally {
      cnn.dispose();
      net.dispose();
    }
  });

  it('rejects bad patches and too-small images, and can be aborted', async () => {
    const mean: ImageClassifier = (x) => tf.mean(x, [1, 2]) as Tensor2D;
    await noLeaks(async () => {
      const x = tf.zeros([1, 30, 30, 3]);
      try {
        await assert.rejects(logitLinearity(mean, x, { patchSize: 17 }), /room for 1 patch/);
        const outside: PatchRect = { x: 20, y: 0, width: 17, height: 17 };
        await assert.rejects(logitLinearity(mean, x, { patchSize: 17, patches: [outside] }), BagNetInputError);
        await assert.rejects(logitLinearity(mean, x, { patchSize: 0 }), /patchSize/);
        await assert.rejects(
          logitLinearity(mean, x, { patchSize: 5, signal: AbortSignal.abort() }),
          (e: unknown) => e instanceof BagNetAbortError,
        );
        const bad: ImageClassifier = () => tf.zeros([1, 2, 3, 4]) as unknown as Tensor2D;
        await assert.rejects(logitLinearity(bad, x, { patchSize: 5 }), /must return/);
      } finally {
        x.dispose();
      }
    });
  });
});

describe('maskingCurve', () => {
  it('k = 0 is the unmasked logit; masking every cell leaves the logit of a uniform image', async () => {
    const net = smallBagNet(17, 4);
    const img = image(48, 56, 6);
    try {
      await noLeaks(async () => {
        const ev = await net.evidence(img);
        const cells = ev.geometry.size;
        const c = 2;
        const top = ev.topPatches(c, 1, 'most')[0]!.rect;
        const logit = ev.logits[c]!;
        ev.dispose();
        const uniform = tf.tidy(() => bagnetClassifier(net)(tf.zeros([1, 48, 56, 3])));
        const uniformLogit = (await uniform.data())[c]!;
        uniform.dispose();

        const curve = await maskingCurve(net, img, { classIndex: c, ks: [0, 1, 3, cells], randomTrials: 3 });
        const tol = 1e-4 * Math.max(1, Math.abs(logit));
        assert.ok(Math.abs(curve.baseline - logit) <= tol);
        assert.ok(Math.abs(curve.mostInformative[0]! - logit) <= tol);
        assert.ok(Math.abs(curve.random[0]! - logit) <= tol);
        assert.deepEqual(curve.ranked[0], top);
        assert.equal(curve.ranked.length, cells);
        assert.ok(Math.abs(curve.mostInformative[3]! - uniformLogit) <= tol, 'all cells masked (informed)');
        assert.ok(Math.abs(curve.random[3]! - uniformLogit) <= tol, 'all cells masked (random)');
        assert.ok(curve.randomStd[3]! <= tol);
        assert.notEqual(curve.mostInformative[1], logit, 'masking the top patch changes the logit');
      });
    } finally {
      net.dispose();
    }
  });

  it('re-runs any classifier: a linear one gives the hand-computed curve', async () => {
    const net = smallBagNet(9, 5);
    const img = image(40, 40, 8);
    try {
      await noLeaks(async () => {
        // Logit = sum of all normalised values / 1000: masking (fill 0) subtracts the masked ones.
        const sum: ImageClassifier = (x) => tf.reshape(tf.div(tf.sum(x, [1, 2, 3]), 1000), [-1, 1]);
        const ks = [0, 2, 5];
        const curve = await maskingCurve(net, img, { classIndex: 0, ks, classifier: sum, randomTrials: 0 });
        const x = await net.preprocess(img);
        const data = await x.data();
        x.dispose();
        ks.forEach((k, j) => {
          const masked = new Uint8Array(40 * 40);
          for (const r of curve.ranked.slice(0, k)) {
            for (let y = r.y; y < r.y + r.height; y++) masked.fill(1, y * 40 + r.x, y * 40 + r.x + r.width);
          }
          let s = 0;
          for (let p = 0; p < 40 * 40; p++) if (!masked[p]) s += data[3 * p]! + data[3 * p + 1]! + data[3 * p + 2]!;
          assert.ok(Math.abs(curve.mostInformative[j]! - s / 1000) < 1e-3, `k = ${k}`);
        });
        assert.ok(Number.isNaN(curve.random[0]!), 'no random trials');
        await assert.rejects(maskingCurve(net, img, { classIndex: 0, ks: [1000] }), /every k must be/);
        await assert.rejects(maskingCurve(net, img, { classIndex: 7 }), BagNetInputError);
      });
    } finally {
      net.dispose();
    }
  });
});

describe('scramblingTest', () => {
  it('scrambleTiles moves whole tiles and keeps the remainder in place', () => {
    // 5×7 image, 2-px tiles → 2×3 tiles; tile t is filled with t, the remainder with −1.
    const h = 5;
    const w = 7;
    const data = new Float32Array(h * w).fill(-1);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) data[y * w + x] = Math.floor(y / 2) * 3 + Math.floor(x / 2);
    const perm = [5, 3, 4, 0, 2, 1];
    const out = scrambleTiles({ data, height: h, width: w, channels: 1 }, 2, perm);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const expected = y < 4 && x < 6 ? perm[Math.floor(y / 2) * 3 + Math.floor(x / 2)]! : -1;
        assert.equal(out[y * w + x], expected, `(${x}, ${y})`);
      }
    }
  });

  it('a permutation-invariant classifier does not change; a position-dependent one does', async () => {
    const net = smallBagNet(17, 6);
    const img = image(68, 68, 10);
    try {
      await noLeaks(() =>
        withInput(net, img, async (x) => {
          const mean: ImageClassifier = (t) => tf.mean(t, [1, 2]) as Tensor2D;
          const inv = await scramblingTest(mean, x, { tileSize: 17, trials: 4 });
          assert.deepEqual([inv.tileRows, inv.tileCols], [4, 4]);
          assert.equal(inv.topAgreement, 1);
          for (const s of inv.scrambled) s.forEach((v, c) => assert.ok(Math.abs(v - inv.original[c]!) < 1e-5));
          for (const p of inv.permutations)
            assert.deepEqual(
              [...p].sort((a, b) => a - b),
              [...Array(16).keys()],
            );

          const corner: ImageClassifier = (t) =>
            tf.mean(tf.slice(t, [0, 0, 0, 0], [-1, 17, 17, -1]), [1, 2]) as Tensor2D;
          const moved = await scramblingTest(corner, x, { tileSize: 17, trials: 4 });
          assert.ok(moved.scrambled.some((s) => s.some((v, c) => Math.abs(v - moved.original[c]!) > 1e-3)));

          const bag = await scramblingTest(bagnetClassifier(net), x, { tileSize: 17, trials: 3, seed: 1 });
          const ev = await net.evidence(img);
          assert.ok(Math.abs(bag.original[0]! - ev.logits[0]!) < 1e-4);
          ev.dispose();
          assert.equal(bag.scrambled.length, 3);
          assert.ok(bag.topAgreement >= 0 && bag.topAgreement <= 1);
          await assert.rejects(scramblingTest(mean, x, { tileSize: 40 }), /at least 2/);
        }),
      );
    } finally {
      net.dispose();
    }
  });
});

describe('minePatches', () => {
  it('equals a brute-force sort over every patch of every image, streaming with bounded memory', async () => {
    const net = smallBagNet(9, 7);
    const images = [image(40, 40, 1), image(33, 49, 2), image(56, 24, 3), image(40, 40, 4), image(25, 31, 5)];
    try {
      await noLeaks(async () => {
        const all: MinedPatch[][] = [[], [], [], []];
        for (const [source, img] of images.entries()) {
          const ev = await net.evidence(img);
          for (let row = 0; row < ev.geometry.rows; row++) {
            for (let col = 0; col < ev.geometry.cols; col++) {
              for (let c = 0; c < 4; c++) {
                all[c]!.push({ source, row, col, rect: ev.geometry.cellRect(row, col), logit: ev.value(row, col, c) });
              }
            }
          }
          ev.dispose();
        }
        async function* stream() {
          for (const img of images) yield img;
        }
        const progress: number[] = [];
        const mined = await minePatches(net, stream(), {
          classes: [3, 0],
          k: 4,
          total: images.length,
          onProgress: (p) => progress.push(p.fraction!),
        });
        assert.deepEqual(progress, [0.2, 0.4, 0.6, 0.8, 1]);
        assert.deepEqual(
          mined.map((m) => m.classIndex),
          [3, 0],
        );
        for (const m of mined) {
          const sorted = [...all[m.classIndex]!].sort((a, b) => b.logit - a.logit || a.source - b.source);
          assert.deepEqual(m.most, sorted.slice(0, 4));
          const ascending = [...all[m.classIndex]!].sort((a, b) => a.logit - b.logit || a.source - b.source);
          assert.deepEqual(m.least, ascending.slice(0, 4));
        }
        // A miner keeps k per class and order, however many maps pass.
        const miner = new PatchMiner({ classes: [1], k: 2 });
        const ev = await net.evidence(images[0]!);
        for (let i = 0; i < 50; i++) miner.add(i, ev);
        ev.dispose();
        const [only] = miner.results();
        assert.equal(miner.images, 50);
        assert.equal(only!.most.length, 2);
        assert.equal(only!.least.length, 2);
        // The same best cell from the first two maps: ties rank the earlier image first.
        assert.deepEqual(
          only!.most.map((p) => [p.source, p.row, p.col]),
          [
            [0, only!.most[0]!.row, only!.most[0]!.col],
            [1, only!.most[0]!.row, only!.most[0]!.col],
          ],
        );
      });
    } finally {
      net.dispose();
    }
  });

  it('names the bad image, and stops on abort', async () => {
    const net = smallBagNet(9, 8);
    try {
      await noLeaks(async () => {
        await assert.rejects(
          minePatches(net, [image(20, 20), image(20, 20), image(5, 20)], { classes: [0], k: 2 }),
          (e: unknown) => e instanceof BagNetInputError && /image #2/.test(e.message),
        );
        const controller = new AbortController();
        await assert.rejects(
          minePatches(net, [image(20, 20), image(20, 20), image(20, 20)], {
            classes: [0],
            k: 2,
            signal: controller.signal,
            onProgress: (p) => p.images === 1 && controller.abort(),
          }),
          BagNetAbortError,
        );
        await assert.rejects(minePatches(net, [], { classes: [0], k: 0 }), /k must be a positive integer/);
      });
    } finally {
      net.dispose();
    }
  });
});
