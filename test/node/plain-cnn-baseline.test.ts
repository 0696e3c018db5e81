/**
 * The plain-CNN baseline's conversion (scripts/train-default/plain-cnn.ts): a PyTorch PlainCNN
 * state_dict (conv + BN + ReLU layers with `padding=1`, global average pool, linear head) becomes
 * a tfjs layers model with BN folded, and round-trips through model.json + shard and the loader
 * the accuracy test uses. Checked against a float64 reference written here from PyTorch's
 * definitions (zero padding of 1 px on every side — which tfjs's 'same' does not do at stride 2
 * on even sizes — eval-mode BN with ε = 1e-5), on an odd × even input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bagnet-vis/core';

import { loadPlainCnn } from '../../packages/models/test/fashion-mnist-eval.js';
import type { PlainCnnMetadata } from '../../packages/models/test/fashion-mnist-eval.js';
import { buildPlainCnn, loadPlainCnnStateDict, serializePlainCnn } from '../../scripts/train-default/plain-cnn.js';
import { noLeaks } from '../helpers/leaks.js';

interface T {
  shape: number[];
  data: Float32Array;
}

const WIDTHS = [3, 5, 4];
const STRIDES = [1, 2, 2];
const CLASSES = 4;
const [H, W] = [7, 6];

/** Deterministic pseudo-random numbers in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function stateDict(seed: number): Map<string, T> {
  const r = lcg(seed);
  const t = (shape: number[], f: () => number = r): T => ({
    shape,
    data: Float32Array.from({ length: shape.reduce((n, d) => n * d, 1) }, f),
  });
  const sd = new Map<string, T>();
  let c = 3;
  WIDTHS.forEach((w, i) => {
    sd.set(`features.${3 * i}.weight`, t([w, c, 3, 3]));
    sd.set(
      `features.${3 * i + 1}.weight`,
      t([w], () => 1 + 0.5 * r()),
    );
    sd.set(`features.${3 * i + 1}.bias`, t([w]));
    sd.set(
      `features.${3 * i + 1}.running_mean`,
      t([w], () => 0.3 * r()),
    );
    sd.set(
      `features.${3 * i + 1}.running_var`,
      t([w], () => 0.5 + 0.4 * r()),
    );
    sd.set(
      `features.${3 * i + 1}.num_batches_tracked`,
      t([], () => 100),
    );
    c = w;
  });
  sd.set('fc.weight', t([CLASSES, c]));
  sd.set('fc.bias', t([CLASSES]));
  return sd;
}

/** PyTorch's PlainCNN forward in float64, for one C×H×W image. */
function reference(sd: Map<string, T>, image: Float64Array, h0: number, w0: number): number[] {
  let x = image;
  let [c, h, w] = [3, h0, w0];
  WIDTHS.forEach((o, l) => {
    const s = STRIDES[l]!;
    const k = sd.get(`features.${3 * l}.weight`)!.data;
    const bn = (p: string) => sd.get(`features.${3 * l + 1}.${p}`)!.data;
    const [g, b, m, v] = [bn('weight'), bn('bias'), bn('running_mean'), bn('running_var')];
    const oh = Math.floor((h + 2 - 3) / s) + 1;
    const ow = Math.floor((w + 2 - 3) / s) + 1;
    const y = new Float64Array(o * oh * ow);
    for (let oc = 0; oc < o; oc++)
      for (let yy = 0; yy < oh; yy++)
        for (let xx = 0; xx < ow; xx++) {
          let acc = 0;
          for (let ic = 0; ic < c; ic++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const iy = yy * s + ky - 1;
                const ix = xx * s + kx - 1;
                if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
                acc += k[((oc * c + ic) * 3 + ky) * 3 + kx]! * x[(ic * h + iy) * w + ix]!;
              }
          const z = ((acc - m[oc]!) / Math.sqrt(v[oc]! + 1e-5)) * g[oc]! + b[oc]!;
          y[(oc * oh + yy) * ow + xx] = Math.max(0, z);
        }
    [x, c, h, w] = [y, o, oh, ow];
  });
  const pooled = Array.from({ length: c }, (_, ch) => {
    let sum = 0;
    for (let p = 0; p < h * w; p++) sum += x[ch * h * w + p]!;
    return sum / (h * w);
  });
  const fw = sd.get('fc.weight')!.data;
  const fb = sd.get('fc.bias')!.data;
  return Array.from({ length: CLASSES }, (_, k) => pooled.reduce((a, p, j) => a + p * fw[k * c + j]!, fb[k]!));
}

describe('plain-CNN baseline conversion (scripts/train-default/plain-cnn.ts)', () => {
  let before0 = 0;
  const images = Array.from({ length: 3 }, (_, n) => {
    const r = lcg(100 + n);
    return Float64Array.from({ length: 3 * H * W }, () => Math.fround(r()));
  });
  /** The images as one N×H×W×3 float32 tensor (NHWC). */
  const batch = () =>
    tf.tensor4d(
      Float32Array.from({ length: images.length * H * W * 3 }, (_, i) => {
        const n = Math.floor(i / (H * W * 3));
        const rest = i % (H * W * 3);
        const [p, ch] = [Math.floor(rest / 3), rest % 3];
        return images[n]![ch * H * W + p]!;
      }),
      [images.length, H, W, 3],
    );

  before(async () => {
    await useBackend('cpu');
    before0 = tf.memory().numTensors;
  });
  after(() => assert.equal(tf.memory().numTensors, before0));

  it('matches PyTorch semantics (padding 1 at stride 2, folded BN) on an odd × even input', async (t) => {
    const sd = stateDict(7);
    await noLeaks(async () => {
      const model = buildPlainCnn(WIDTHS, STRIDES, CLASSES, [H, W]);
      try {
        loadPlainCnnStateDict(model, sd, WIDTHS, tf);
        const out = tf.tidy(() => model.predict(batch()) as tf.Tensor2D);
        const got = await out.array();
        out.dispose();
        let worst = 0;
        let scale = 0;
        images.forEach((img, n) =>
          reference(sd, img, H, W).forEach((v, k) => {
            worst = Math.max(worst, Math.abs(v - got[n]![k]!));
            scale = Math.max(scale, Math.abs(v));
          }),
        );
        t.diagnostic(`max |tfjs − reference| ${worst.toExponential(2)} (max |logit| ${scale.toFixed(2)})`);
        assert.ok(scale > 0.1, 'the reference logits are not all ~0');
        assert.ok(worst <= 1e-5, `max |tfjs − reference| ${worst}`);
      } finally {
        model.dispose();
      }
    });
  });

  it('refuses a state_dict with a missing or an unexpected key, then converts a good one', async () => {
    await noLeaks(async () => {
      const model = buildPlainCnn(WIDTHS, STRIDES, CLASSES, [H, W]);
      try {
        const missing = stateDict(7);
        missing.delete('features.4.running_var');
        assert.throws(() => loadPlainCnnStateDict(model, missing, WIDTHS, tf), /lacks features\.4\.running_var/);
        const extra = stateDict(7);
        extra.set('features.99.weight', { shape: [1], data: new Float32Array(1) });
        assert.throws(() => loadPlainCnnStateDict(model, extra, WIDTHS, tf), /unexpected keys: features\.99\.weight/);
        const nan = stateDict(7);
        nan.get('fc.bias')!.data[0] = NaN;
        assert.throws(() => loadPlainCnnStateDict(model, nan, WIDTHS, tf), /fc\.bias has NaN/);
        loadPlainCnnStateDict(model, stateDict(7), WIDTHS, tf);
      } finally {
        model.dispose();
      }
    });
  });

  it('round-trips through model.json + shard and the accuracy test’s loader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bagnet-plain-cnn-'));
    try {
      await noLeaks(async () => {
        const model = buildPlainCnn(WIDTHS, STRIDES, CLASSES, [H, W]);
        const metadata: PlainCnnMetadata = {
          description: 'test',
          labels: ['a', 'b', 'c', 'd'],
          inputSize: [H, W],
          normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
          widths: WIDTHS,
          strides: STRIDES,
          provenance: { sha256: '0'.repeat(64), converter: 'test' },
        };
        let want: number[][];
        try {
          loadPlainCnnStateDict(model, stateDict(11), WIDTHS, tf);
          const out = tf.tidy(() => model.predict(batch()) as tf.Tensor2D);
          want = await out.array();
          out.dispose();
          const files = await serializePlainCnn(model, metadata, tf);
          writeFileSync(join(dir, 'model.json'), files.modelJson);
          writeFileSync(join(dir, files.shardName), files.shard);
        } finally {
          model.dispose();
        }
        const loaded = await loadPlainCnn(pathToFileURL(join(dir, 'model.json')));
        try {
          assert.deepEqual(loaded.metadata, metadata);
          const out = tf.tidy(() => loaded.model.predict(batch()) as tf.Tensor2D);
          assert.deepEqual(await out.array(), want);
          out.dispose();
        } finally {
          loaded.model.dispose();
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
