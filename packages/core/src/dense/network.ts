/** The BagNet as tfjs-core ops on its own weights, cut into the segments of a {@link DenseLayout}. */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';

import type { BlockSpec } from '../architecture.js';
import type { BagNet } from '../bagnet.js';
import { layerName } from '../build.js';
import { DenseLayout } from './plan.js';
import type { Shift } from './plan.js';

interface ConvWeights {
  readonly kernel: Tensor4D;
  readonly bias?: Tensor1D;
}

interface BlockWeights {
  readonly spec: BlockSpec;
  readonly conv1: ConvWeights;
  readonly conv2: ConvWeights;
  readonly conv3: ConvWeights;
  readonly downsample?: ConvWeights;
}

function conv(x: Tensor4D, w: ConvWeights, stride: number, relu: boolean): Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: w.kernel,
    strides: stride,
    pad: 'valid',
    bias: w.bias,
    activation: relu ? 'relu' : 'linear',
  });
}

/**
 * A BagNet's folded weights as tensors (copies; the head reduced to the requested classes) and
 * its layers as functions on phase batches. Owns its tensors: call {@link dispose}.
 */
export class DenseNetwork {
  readonly layout: DenseLayout;
  readonly #stem: readonly [ConvWeights, ConvWeights];
  readonly #blocks: readonly BlockWeights[];
  readonly #head: ConvWeights;
  readonly #tensors: tf.Tensor[] = [];

  private constructor(model: BagNet, classes: readonly number[], headBias: Float32Array) {
    this.layout = new DenseLayout(model.metadata.architecture);
    const all = model.getWeights();
    try {
      const take = (name: string, bias = true): ConvWeights => {
        const kernel = all.get(`${layerName(name)}/kernel`) as Tensor4D;
        const b = bias ? (all.get(`${layerName(name)}/bias`) as Tensor1D) : undefined;
        this.#tensors.push(kernel, ...(b ? [b] : []));
        all.delete(`${layerName(name)}/kernel`);
        all.delete(`${layerName(name)}/bias`);
        return b ? { kernel, bias: b } : { kernel };
      };
      this.#stem = [take('conv1', false), take('conv2')];
      this.#blocks = this.layout.specs.map((spec) => ({
        spec,
        conv1: take(`${spec.key}.conv1`),
        conv2: take(`${spec.key}.conv2`),
        conv3: take(`${spec.key}.conv3`),
        ...(spec.projection ? { downsample: take(`${spec.key}.downsample`) } : {}),
      }));
      // The head bias is built from CPU values: a gathered tensor keeps a rank-4 buffer shape on
      // the WASM backend, which its fused conv rejects as a bias.
      const kernel = tf.tidy(() => tf.gather(all.get('head/kernel')!, tf.tensor1d([...classes], 'int32'), 3));
      this.#tensors.push(kernel);
      const bias = tf.tensor1d(classes.map((c) => headBias[c]!));
      this.#tensors.push(bias);
      this.#head = { kernel: kernel as Tensor4D, bias };
    } catch (e) {
      this.dispose();
      throw e;
    } finally {
      all.forEach((t) => t.dispose());
    }
  }

  /** Copies `model`'s weights, with the head reduced to `classes`. The caller disposes the result. */
  static async load(model: BagNet, classes: readonly number[]): Promise<DenseNetwork> {
    return new DenseNetwork(model, classes, await model.headBias());
  }

  /** Segment 0 on a padded image (batch of one): stem and the blocks before the first stride block. */
  stem(x: Tensor4D): Tensor4D {
    const [c1, c2] = this.#stem;
    let y = tf.tidy(() => conv(conv(x, c1, 1, false), c2, 1, true));
    const [start, end] = this.layout.blocksOf(0);
    for (let i = start; i < end; i++) y = this.#replace(y, (t) => this.#block(i, t));
    return y;
  }

  /** The first (1×1) conv of stride block j, shared by its four phase shifts. */
  pre(j: number, x: Tensor4D): Tensor4D {
    const i = this.layout.strideBlocks[j - 1]!;
    return tf.tidy(() => conv(x, this.#blocks[i]!.conv1, 1, true));
  }

  /**
   * Segment j ≥ 1: stride block j at each of `shifts` (input `x`, its conv1 output `z`), the
   * results concatenated shift-major along the batch, then the stride-1 blocks up to the next
   * stride block. `x` and `z` stay with the caller.
   */
  segment(j: number, x: Tensor4D, z: Tensor4D, shifts: readonly Shift[]): Tensor4D {
    const [start, end] = this.layout.blocksOf(j);
    const parts = shifts.map((s) => tf.tidy(() => this.#blockRest(start, x, z, s)));
    let y = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
    if (parts.length > 1) tf.dispose(parts);
    for (let i = start + 1; i < end; i++) y = this.#replace(y, (t) => this.#block(i, t));
    return y;
  }

  /** The head on the features: logits of the requested classes. */
  head(features: Tensor4D): Tensor4D {
    return tf.tidy(() => conv(features, this.#head, 1, false));
  }

  dispose(): void {
    tf.dispose(this.#tensors);
    this.#tensors.length = 0;
  }

  #replace(x: Tensor4D, f: (x: Tensor4D) => Tensor4D): Tensor4D {
    try {
      return f(x);
    } finally {
      x.dispose();
    }
  }

  #block(i: number, x: Tensor4D): Tensor4D {
    return tf.tidy(() => this.#blockRest(i, x, conv(x, this.#blocks[i]!.conv1, 1, true), [0, 0]));
  }

  /** Block i after its conv1, on the input shifted by (α, β) rows/cols (call inside tf.tidy). */
  #blockRest(i: number, x: Tensor4D, z: Tensor4D, [a, b]: Shift): Tensor4D {
    const w = this.#blocks[i]!;
    const shift = (t: Tensor4D) => (a === 0 && b === 0 ? t : tf.slice(t, [0, a, b, 0], [-1, -1, -1, -1]));
    const xs = shift(x);
    let y = conv(shift(z), w.conv2, w.spec.stride, true);
    y = conv(y, w.conv3, 1, false);
    let skip = w.downsample ? conv(xs, w.downsample, w.spec.stride, false) : xs;
    if (skip.shape[1] !== y.shape[1] || skip.shape[2] !== y.shape[2]) {
      // The reference crops the shortcut at the bottom/right (keeps its top-left part).
      skip = tf.slice(skip, [0, 0, 0, 0], [-1, y.shape[1], y.shape[2], -1]);
    }
    return tf.relu(tf.add<Tensor4D>(y, skip));
  }
}
