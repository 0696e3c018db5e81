/**
 * Training in a real browser on the WebGL and WebGPU backends (headless Chromium, SwiftShader): full training
 * of a tiny BagNet (every convolution's gradient on the GPU path) and head fine-tuning, with no
 * tensors left behind. The Node tests (fine-tune.test.ts) cover the logic; this checks the backend.
 *
 * The expected epoch metrics come from an independent reference: the same steps replayed in
 * PyTorch, in float64, from the same initial weights, images, split and batch order
 * (scripts/training-reference/reference.py → test/fixtures/training/stripes-bagnet9.json). The
 * fixture records the digest of those inputs, checked first.
 */
import { expect } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';

import { canTrainConvolutions, fineTuneHead, trainBagNet, useBackend } from '@bagnet-vis/core';
import type { BagNet, RawImage } from '@bagnet-vis/core';

import {
  createStripesNet,
  inputsDigest,
  STRIPES_TRAINING,
  stripesExamples,
  trainingCaseInputs,
} from '../../../test/helpers/training-case.js';

/**
 * Largest |tfjs − PyTorch| allowed on an epoch's mean training or held-out loss, about ten times
 * the largest difference measured over 4 epochs: webgl 9.9e-4 (SwiftShader), webgpu 2.7e-6. The
 * CPU backend is within 2.6e-6 (fine-tune.test.ts, tolerance 3e-5).
 */
const LOSS_TOLERANCE: Record<'webgl' | 'webgpu', number> = { webgl: 1e-2, webgpu: 3e-5 };

interface ReferenceEpoch {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
}

for (const backend of ['webgl', 'webgpu'] as const) {
  describe(`training on ${backend}`, () => {
    const examples = stripesExamples();
    let net: BagNet;
    let baseline: number;
    let reference: { inputsSha256: string; epochs: ReferenceEpoch[] };
    before(async () => {
      await useBackend(backend);
      net = createStripesNet();
      const r = await fetch('/test/fixtures/training/stripes-bagnet9.json');
      reference = (await r.json()) as typeof reference;
    });
    after(() => net.dispose());
    beforeEach(() => {
      baseline = tf.memory().numTensors;
    });
    afterEach(() => {
      expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
    });

    it('trains every weight of a tiny BagNet: epoch losses as the PyTorch reference', async () => {
      expect(tf.getBackend()).to.equal(backend);
      expect(canTrainConvolutions()).to.equal(true);
      const epochs = 4;
      // The reference was computed from exactly these inputs (initial weights, images, split, batches).
      expect(await inputsDigest(await trainingCaseInputs(net, reference.epochs.length))).to.equal(
        reference.inputsSha256,
      );
      const { model, history } = await trainBagNet(net, examples, { ...STRIPES_TRAINING, epochs });
      model.dispose();
      expect(history).to.have.length(epochs);
      let worst = 0;
      for (const [i, h] of history.entries()) {
        const want = reference.epochs[i]!;
        worst = Math.max(worst, Math.abs(h.loss - want.loss), Math.abs(h.valLoss! - want.valLoss));
      }
      console.log(
        `${backend}: epoch losses ${history.map((h) => h.loss.toFixed(5)).join(', ')}; PyTorch ` +
          `${reference.epochs
            .slice(0, epochs)
            .map((e) => e.loss.toFixed(5))
            .join(', ')}; largest difference ${worst.toExponential(2)}`,
      );
      for (const [i, h] of history.entries()) {
        const want = reference.epochs[i]!;
        expect(h.loss, `epoch ${i + 1} loss`).to.be.closeTo(want.loss, LOSS_TOLERANCE[backend]);
        expect(h.valLoss!, `epoch ${i + 1} held-out loss`).to.be.closeTo(want.valLoss, LOSS_TOLERANCE[backend]);
      }
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
