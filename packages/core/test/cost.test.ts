import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import { BagNet, bagnetArchitecture, forwardMacs } from '@bagnet-vis/core';

describe('forwardMacs', () => {
  it('equals a count over the built tfjs graph, layer by layer', async () => {
    await tf.setBackend('cpu');
    for (const q of [9, 17, 33] as const) {
      const arch = bagnetArchitecture({ q, widthScale: 0.125, blocks: [2, 1, 2, 1], numClasses: 7 });
      const net = BagNet.create(arch);
      const [h, w] = [61, 77];
      // Evaluate every conv's output size on a real input; MACs = out pixels × kh × kw × cin × cout.
      const x = tf.zeros([1, h, w, 3]);
      let concrete = 0;
      const convs = net.logitModel.layers.filter((l) => l.getClassName() === 'Conv2D');
      const { model } = await import('@tensorflow/tfjs-layers');
      const probe = model({ inputs: net.logitModel.inputs, outputs: convs.map((l) => l.output as never) });
      const outs = probe.predict(x) as tf.Tensor[];
      outs.forEach((o, i) => {
        const k = convs[i]!.getWeights()[0]!.shape as [number, number, number, number];
        concrete += o.shape[1]! * o.shape[2]! * k[0] * k[1] * k[2] * k[3];
      });
      tf.dispose([x, ...outs]);
      assert.equal(forwardMacs(arch, h, w), concrete, `q=${q}`);
      net.dispose();
    }
  });
});
