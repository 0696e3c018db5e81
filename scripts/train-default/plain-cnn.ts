/**
 * The comparison model shipped beside the default BagNet: a plain CNN whose receptive field covers
 * the whole 28×28 image (padded 3×3 convs, global average pool, linear head). It is no BagNet —
 * it has no evidence map — so it is stored as a plain tfjs layers model (model.json + shard, BN
 * folded into the conv biases) with its labels, normalisation and provenance in
 * `userDefinedMetadata.plainCnn`; `tf.loadLayersModel` reads it (packages/models/test/ does).
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import type { PlainCnnMetadata } from '../../packages/models/test/fashion-mnist-eval.js';

/**
 * The tfjs-layers graph of the plain CNN for `widths`/`strides` (3×3 convs with 1 px zero padding
 * on every side, as PyTorch's `padding=1`, + bias + ReLU; global average pool; dense head).
 * Layer names are `conv{i}` and `head`.
 */
export function buildPlainCnn(
  widths: readonly number[],
  strides: readonly number[],
  numClasses: number,
  inputSize: readonly [number, number] = [28, 28],
): tfl.LayersModel {
  if (widths.length !== strides.length || widths.length === 0) {
    throw new Error(`plain CNN: ${widths.length} widths for ${strides.length} strides`);
  }
  const model = tfl.sequential({ name: 'plain_cnn' });
  widths.forEach((w, i) => {
    // PyTorch pads 1 px on both sides; tfjs's 'same' pads only bottom/right for stride 2 on
    // even sizes, so the padding is an explicit layer.
    model.add(
      tfl.layers.zeroPadding2d({
        padding: 1,
        name: `pad${i}`,
        ...(i === 0 ? { inputShape: [inputSize[0], inputSize[1], 3] } : {}),
      }),
    );
    model.add(
      tfl.layers.conv2d({
        filters: w,
        kernelSize: 3,
        strides: strides[i]!,
        padding: 'valid',
        activation: 'relu',
        name: `conv${i}`,
      }),
    );
  });
  model.add(tfl.layers.globalAveragePooling2d({ name: 'pool' }));
  model.add(tfl.layers.dense({ units: numClasses, name: 'head' }));
  return model;
}

/** BatchNorm epsilon of PyTorch's BatchNorm2d (the plain CNN's layers use the default). */
const BN_EPSILON = 1e-5;

interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Sets the weights of `model` (from {@link buildPlainCnn}) from the PyTorch state_dict of
 * train.py's PlainCNN (`features.{3i}` conv, `features.{3i+1}` BN, `fc`), folding each BN into
 * its conv's kernel and bias in float64.
 */
export function loadPlainCnnStateDict(
  model: tfl.LayersModel,
  sd: ReadonlyMap<string, Tensor>,
  widths: readonly number[],
  tfc: typeof tf,
): void {
  const get = (k: string): Tensor => {
    const t = sd.get(k);
    if (!t) throw new Error(`plain-CNN checkpoint lacks ${k}`);
    for (const v of t.data) if (!Number.isFinite(v)) throw new Error(`${k} has NaN or infinite values`);
    return t;
  };
  const expectedKeys = new Set(['fc.weight', 'fc.bias']);
  widths.forEach((_, i) => {
    expectedKeys.add(`features.${3 * i}.weight`);
    for (const p of ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']) {
      expectedKeys.add(`features.${3 * i + 1}.${p}`);
    }
  });
  const extra = [...sd.keys()].filter((k) => !expectedKeys.has(k));
  if (extra.length > 0) throw new Error(`plain-CNN checkpoint has unexpected keys: ${extra.join(', ')}`);
  // Every key is checked before any tensor exists, so a bad state_dict leaks nothing.
  for (const k of expectedKeys) if (!k.endsWith('num_batches_tracked')) get(k);

  const weights: tf.Tensor[] = [];
  try {
    widths.forEach((w, i) => {
      const conv = get(`features.${3 * i}.weight`);
      const [o, cin, h, k] = conv.shape as [number, number, number, number];
      if (o !== w) throw new Error(`features.${3 * i}.weight has ${o} output channels, expected ${w}`);
      const bn = (p: string) => get(`features.${3 * i + 1}.${p}`).data;
      const [g, b, m, v] = [bn('weight'), bn('bias'), bn('running_mean'), bn('running_var')];
      const kernel = new Float32Array(o * cin * h * k);
      const bias = new Float32Array(o);
      for (let oo = 0; oo < o; oo++) {
        const scale = g[oo]! / Math.sqrt(v[oo]! + BN_EPSILON);
        bias[oo] = b[oo]! - m[oo]! * scale;
        for (let ii = 0; ii < cin; ii++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < k; x++)
              kernel[((y * k + x) * cin + ii) * o + oo] = conv.data[((oo * cin + ii) * h + y) * k + x]! * scale;
      }
      weights.push(tfc.tensor4d(kernel, [h, k, cin, o]), tfc.tensor1d(bias));
    });
    const fcw = get('fc.weight');
    const [c, d] = fcw.shape as [number, number];
    const head = new Float32Array(d * c);
    for (let kk = 0; kk < c; kk++) for (let j = 0; j < d; j++) head[j * c + kk] = fcw.data[kk * d + j]!;
    weights.push(tfc.tensor2d(head, [d, c]), tfc.tensor1d(Float32Array.from(get('fc.bias').data)));
    model.setWeights(weights);
  } finally {
    weights.forEach((t) => t.dispose());
  }
}

/** model.json (with `userDefinedMetadata.plainCnn`) and the one weight shard of `model`. */
export async function serializePlainCnn(
  model: tfl.LayersModel,
  metadata: PlainCnnMetadata,
  tfc: typeof tf,
): Promise<{ modelJson: string; shardName: string; shard: Uint8Array }> {
  const shardName = 'group1-shard1of1.bin';
  let out: { modelJson: string; shard: Uint8Array } | undefined;
  await model.save(
    tfc.io.withSaveHandler(async (artifacts) => {
      const wd = artifacts.weightData!;
      const parts = Array.isArray(wd) ? wd : [wd];
      const shard = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let at = 0;
      for (const p of parts) {
        shard.set(new Uint8Array(p), at);
        at += p.byteLength;
      }
      const json = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: 'scripts/train-default/convert.ts',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [shardName], weights: artifacts.weightSpecs }],
        userDefinedMetadata: { plainCnn: metadata },
      };
      out = { modelJson: `${JSON.stringify(json)}\n`, shard };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { ...out!, shardName };
}
