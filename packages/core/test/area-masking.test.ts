/**
 * maskingByArea: the informed-vs-random masking analysis over several images, masks sized by the
 * share of the image they cover.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import {
  BagNet,
  bagnetArchitecture,
  bagnetClassifier,
  BagNetInputError,
  maskFractionsForPatches,
  maskingByArea,
  PatchGeometry,
} from '@bagnet-vis/core';

import { seededImage } from '../../../test/helpers/images.js';
import { noLeaks } from '../../../test/helpers/leaks.js';

const image = seededImage;

describe('maskingByArea', () => {
  const net = BagNet.create(bagnetArchitecture({ q: 9, widthScale: 0.0625, blocks: [1, 1, 1, 1], numClasses: 4 }), {
    seed: 5,
  });
  const samples = [
    { image: image(33, 33, 1), classIndex: 1 },
    { image: image(33, 41, 2), classIndex: 3 },
  ];

  it('averages over images and draws; masking all of the image gives the uniform image’s logit', async () => {
    await tf.setBackend('cpu');
    await noLeaks(async () => {
      const r = await maskingByArea(net, samples, { fractions: [0.25, 1], draws: 3, seed: 7 });
      let baseline = 0;
      let uniform = 0;
      for (const s of samples) {
        const ev = await net.evidence(s.image);
        baseline += ev.logits[s.classIndex]! / samples.length;
        ev.dispose();
        const y = tf.tidy(() => bagnetClassifier(net)(tf.zeros([1, s.image.height, s.image.width, 3])));
        uniform += (await y.data())[s.classIndex]! / samples.length;
        y.dispose();
      }
      const tol = 1e-4 * Math.max(1, Math.abs(baseline));
      assert.ok(Math.abs(r.baseline - baseline) <= tol, `${r.baseline} vs ${baseline}`);
      // Fraction 1: every pixel masked, whatever the order; the band has no width.
      assert.ok(Math.abs(r.informed[1]! - (uniform - baseline)) <= tol);
      assert.ok(Math.abs(r.random[1]! - (uniform - baseline)) <= tol);
      assert.ok(r.randomHigh[1]! - r.randomLow[1]! <= tol);
      assert.ok(r.randomLow[0]! <= r.random[0]! && r.random[0]! <= r.randomHigh[0]!);
      assert.ok(Math.abs(r.gap - (r.gaps[0]! + r.gaps[1]!) / 2) < 1e-12);
      assert.equal(r.gaps[0], r.random[0]! - r.informed[0]!);
      assert.deepEqual(r.belowBand, [r.informed[0]! < r.randomLow[0]!, r.informed[1]! < r.randomLow[1]!]);
      assert.equal(r.images, 2);
      assert.equal(r.draws, 3);
    });
  });

  it('refuses no images, a bad fraction, class or draw count, then runs a good call', async () => {
    await tf.setBackend('cpu');
    await noLeaks(async () => {
      await assert.rejects(maskingByArea(net, []), BagNetInputError);
      await assert.rejects(maskingByArea(net, samples, { fractions: [0] }), /fractions must be numbers in \(0, 1\]/);
      await assert.rejects(maskingByArea(net, samples, { fractions: [1.5] }), BagNetInputError);
      await assert.rejects(maskingByArea(net, samples, { draws: 1 }), /draws must be at least 2/);
      await assert.rejects(maskingByArea(net, [{ image: samples[0]!.image, classIndex: 9 }]), BagNetInputError);
      const r = await maskingByArea(net, samples.slice(0, 1), { fractions: [0.5], draws: 2 });
      assert.equal(r.informed.length, 1);
      assert.ok(Number.isFinite(r.gap));
    });
  });

  it('sizes the default shares to the patches: from one patch’s share of the image to one half', () => {
    // The default model: 13×13 patches, stride 2, on 28×28 (8×8 cells): one patch is 169/784.
    const g = new PatchGeometry(13, 2, 28, 28, 8, 8);
    const f = maskFractionsForPatches(g);
    assert.equal(f.length, 5);
    assert.equal(f[0], 169 / 784);
    assert.equal(f[4], 0.5);
    for (let k = 1; k < 5; k++) assert.ok(Math.abs(f[k]! - f[k - 1]! - (0.5 - 169 / 784) / 4) < 1e-12);
    // A patch larger than half the image: up to all of it; a patch as large as the image: one share.
    assert.deepEqual(maskFractionsForPatches(new PatchGeometry(33, 8, 40, 40, 1, 1), 2), [(33 * 33) / 1600, 1]);
    assert.deepEqual(maskFractionsForPatches(new PatchGeometry(9, 8, 9, 9, 1, 1)), [1]);
    assert.throws(() => maskFractionsForPatches(g, 0), BagNetInputError);
    assert.throws(() => maskFractionsForPatches(g, 5, 1.5), /upTo must be a number in \(0, 1\]/);
    assert.equal(maskFractionsForPatches(g, 3, 1)[2], 1);
  });
});
