/**
 * Parity with the reference in real Chromium: the parity fixtures (../shared/reference/
 * make_fixture.py, float64 expected values) are fetched, their PyTorch checkpoints read by
 * @bagnet-vis/convert in the browser, and the logit map compared on each browser backend.
 *
 * Tolerance, as max |actual − expected| / max |logit map|: 2.5e-5 on wasm (float32 XNNPACK, as in
 * Node), webgl (SwiftShader with float32 textures) and webgpu (float32 storage buffers), about ten
 * times the largest error measured (1.1–2.4e-6). The measured errors are logged; the map and
 * logits must have the reference's lengths.
 */
import { expect } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';

import { useBackend } from '@bagnet-vis/core';
import type { BackendName } from '@bagnet-vis/core';
import { bagnetFromStateDict, readTorchCheckpoint } from '@bagnet-vis/convert';

import { parseNpy } from '../helpers/npy.js';

const TOLERANCE: Record<Exclude<BackendName, 'cpu'>, number> = { wasm: 2.5e-5, webgl: 2.5e-5, webgpu: 2.5e-5 };
const WASM_PATHS = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

async function bytes(path: string): Promise<Uint8Array> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function chwToHwc(shape: number[], data: Float32Array): Float32Array {
  const [c, h, w] = shape as [number, number, number];
  const out = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = data[k * h * w + i]!;
  return out;
}

for (const backend of ['wasm', 'webgl', 'webgpu'] as const) {
  describe(`parity with the reference on ${backend} (Chromium)`, () => {
    for (const q of [9, 17, 33] as const) {
      it(`BagNet-${q} logit map and logits`, async () => {
        await useBackend(backend, { wasmPaths: WASM_PATHS });
        const dir = `/test/fixtures/bagnet${q}_c10_s0_w0.125_b1111`;
        const [ckpt, img, map, logits] = await Promise.all([
          bytes(`${dir}/bagnet${q}_c10_s0_w0.125_b1111.pth.tar`),
          bytes(`${dir}/input_u8_hwc.npy`).then(parseNpy),
          bytes(`${dir}/logit_map_chw_f32.npy`).then(parseNpy),
          bytes(`${dir}/logits_f32.npy`).then(parseNpy),
        ]);
        const before = tf.memory().numTensors;
        const net = bagnetFromStateDict(readTorchCheckpoint(ckpt));
        const [h, w] = img.shape as [number, number];
        const ev = await net.evidence({ data: img.data as Uint8Array, width: w, height: h });
        const expected = chwToHwc(map.shape, map.data as Float32Array);
        expect(ev.logitMap.length, 'logit map length').to.equal(expected.length);
        expect(ev.logits.length, 'logits length').to.equal(logits.data.length);
        let scale = 0;
        let err = 0;
        for (let i = 0; i < expected.length; i++) {
          scale = Math.max(scale, Math.abs(expected[i]!));
          err = Math.max(err, Math.abs(ev.logitMap[i]! - expected[i]!));
        }
        let logitErr = 0;
        for (let i = 0; i < ev.numClasses; i++)
          logitErr = Math.max(logitErr, Math.abs(ev.logits[i]! - (logits.data as Float32Array)[i]!));
        console.log(
          `${tf.getBackend()} q=${q}: max error / max|map| = ${(err / scale).toExponential(2)} (logits ${(logitErr / scale).toExponential(2)})`,
        );
        expect(err / scale).to.be.at.most(TOLERANCE[backend]);
        expect(logitErr / scale).to.be.at.most(TOLERANCE[backend]);
        ev.dispose();
        net.dispose();
        expect(tf.memory().numTensors).to.equal(before);
      });
    }
  });
}

describe('backend selection (Chromium)', () => {
  it('rejects an unknown backend with a typed error', async () => {
    let error: unknown;
    try {
      await useBackend('tpu' as BackendName);
    } catch (e) {
      error = e;
    }
    expect((error as Error).name).to.equal('BagNetBackendError');
    expect((error as Error).message).to.match(/Unknown backend "tpu": use one of webgpu, webgl, wasm, cpu/);
  });
});
