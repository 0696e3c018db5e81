/**
 * Training in a real browser on the WebGL and WebGPU backends (headless Chromium, SwiftShader): full training
 * of a tiny BagNet (every convolution's gradient on the GPU path) and head fine-tuning, with no
 * tensors left behind. The Node tests (fine-tune.test.ts) cover the logic; this checks the backend.
 */
import { expect } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';

import {
  BagNet,
  bagnetArchitecture,
  canTrainConvolutions,
  fineTuneHead,
  trainBagNet,
  useBackend,
} from '@bagnet-vis/core';
import type { RawImage } from '@bagnet-vis/core';

import { seededStripes as stripes } from '../../../test/helpers/images.js';

for (const backend of ['webgl', 'webgpu'] as const) {
  describe(`training on ${backend}`, () => {
    const examples = Array.from({ length: 16 }, (_, i) => ({ image: stripes(i % 2 === 1, i + 1), label: i % 2 }));
    let net: BagNet;
    let baseline: number;
    before(async () => {
      await useBackend(backend);
      net = BagNet.create(bagnetArchitecture({ q: 9, widthScale: 0.03125, blocks: [1, 1, 1, 1], numClasses: 2 }), {
        seed: 1,
        labels: ['horizontal', 'vertical'],
        inputSize: [20, 20],
        normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], channelOrder: 'RGB' },
      });
    });
    after(() => net.dispose());
    beforeEach(() => {
      baseline = tf.memory().numTensors;
    });
    afterEach(() => {
      expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
    });

    it('trains every weight of a tiny BagNet: the loss decreases', async () => {
      expect(tf.getBackend()).to.equal(backend);
      expect(canTrainConvolutions()).to.equal(true);
      const { model, history } = await trainBagNet(net, examples, { epochs: 4, batchSize: 8, validationSplit: 0.25 });
      model.dispose();
      expect(history).to.have.length(4);
      // The same run on the CPU backend (fine-tune.test.ts, same seed and settings) logs epoch
      // losses 0.569, 0.335, 0.261, 0.180: the GPU backends compute the same gradients within float
      // error.
      console.log(`${backend}: epoch losses ${history.map((h) => h.loss.toFixed(3)).join(', ')}`);
      expect(history[0]!.loss).to.be.closeTo(0.569, 0.01);
      expect(history[3]!.loss).to.be.closeTo(0.18, 0.02);
      expect(history[3]!.loss).to.be.below(0.75 * history[0]!.loss);
    });

    it('fine-tunes the head to a new labelling', async () => {
      const flat = (v: number): RawImage => ({ data: new Uint8Array(20 * 20 * 3).fill(v), width: 20, height: 20 });
      const three = [...examples, ...[90, 100, 110, 120, 130, 140].map((v) => ({ image: flat(v), label: 2 }))];
      const { model, history } = await fineTuneHead(net, three, {
        labels: ['h', 'v', 'flat'],
        epochs: 40,
        validationSplit: 0,
      });
      expect(model.labels).to.deep.equal(['h', 'v', 'flat']);
      model.dispose();
      expect(history[39]!.loss).to.be.below(history[0]!.loss);
    });
  });
}
