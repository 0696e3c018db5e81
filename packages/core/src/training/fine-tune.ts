/**
 * Fine-tuning a BagNet's linear head on new labelled images — on every backend.
 *
 * A BagNet's image logits are the spatial mean of `head(features)` over its patches, and the head
 * is linear (a 1×1 convolution), so they equal `head(mean of the patch features)`. The backbone
 * therefore runs once per image (`model.embeddings`, forward only) and the head is trained on the
 * mean-pooled features with a softmax cross-entropy whose gradient needs only matrix products —
 * which every tfjs backend has, WASM included (it has no convolution filter gradient).
 *
 * The features are standardised for training (per-feature mean and scale of the training split:
 * better conditioned steps) and the affine map is folded back into the head afterwards, so the new
 * model reads raw features exactly as before: kernel = W / scale, bias = b − Σ mean · W / scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor2D, Variable } from '@tensorflow/tfjs-core';

import { seededRandom } from '../analyses/random.js';
import type { BagNet } from '../bagnet.js';
import { throwIfAborted } from '../errors.js';
import type { BagNetImageInput } from '../preprocess.js';
import { TimeSlicer } from '../scheduling.js';
import { resolveTrainingOptions } from './options.js';
import type {
  LabelledImages,
  ResolvedTrainingOptions,
  TrainingDefaults,
  TrainingOptions,
  TrainingResult,
} from './options.js';
import { TrainingClock } from './progress.js';
import type { EpochMetrics } from './progress.js';
import { readExamples } from './read-examples.js';
import { epochBatches, heldOutSplit } from './split.js';
import type { HeldOutSplit } from './split.js';
import { derivedBagNet } from './trained-model.js';

/** Defaults of {@link fineTuneHead}. */
export const HEAD_TRAINING_DEFAULTS: TrainingDefaults = { epochs: 30, learningRate: 0.01, batchSize: 32, l2: 1e-3 };

/**
 * Trains a new linear head for `model` on `examples` (class indices into `options.labels`) and
 * returns a new BagNet: the same backbone, the new head and labels. Works on every backend; the
 * backbone runs forward once per image, then training touches only a D × C matrix.
 *
 * Images may have any size ≥ q, mixed (features are pooled per image). `model` is not changed.
 * On abort or error nothing is returned and every tensor is released.
 *
 * @throws {BagNetInputError} no examples, a label out of range, a class without examples, fewer
 *   than two or duplicate labels, an image smaller than q or unreadable (named by position).
 * @throws {BagNetAbortError} when `options.signal` aborts.
 */
export async function fineTuneHead(
  model: BagNet,
  examples: LabelledImages,
  options: TrainingOptions = {},
): Promise<TrainingResult> {
  const what = 'fineTuneHead()';
  const o = resolveTrainingOptions(model, options, HEAD_TRAINING_DEFAULTS, what);
  throwIfAborted(o.signal, what);
  const slicer = new TimeSlicer(o.yieldIntervalMs);
  const read = await readExamples(examples, (e) => pooledFeatures(model, e.image, o.signal), o, slicer, what);
  const dim = read.records[0]!.length;
  const random = seededRandom(o.seed);
  const split = heldOutSplit(read.labels, o.labels.length, o.validationSplit, random);
  const scaling = featureScaling(read.records, split.training, dim);
  const { weights, bias, history } = await trainHead(read.records, read.labels, split, scaling, o, random, slicer);
  throwIfAborted(o.signal, what);

  // Fold the standardisation into the head: logits = W·(f − mean)/scale + b.
  const classes = o.labels.length;
  const kernel = new Float32Array(dim * classes);
  const folded = Float64Array.from(bias);
  for (let d = 0; d < dim; d++) {
    for (let c = 0; c < classes; c++) {
      const w = weights[d * classes + c]! / scaling.scale[d]!;
      kernel[d * classes + c] = w;
      folded[c] = folded[c]! - scaling.mean[d]! * w;
    }
  }
  const last = history[history.length - 1]!;
  const percent = (x: number | undefined) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)} %`);
  const notes =
    `Head fine-tuned with fineTuneHead() for ${classes} classes (${o.labels.join(', ')}) on ${read.labels.length} images ` +
    `(${split.training.length} for training, ${split.validation.length} held out, seed ${o.seed}): ${o.epochs} epochs of ` +
    `Adam (learning rate ${o.learningRate}, batch ${o.batchSize}, L2 ${o.l2}); training accuracy ${percent(last.accuracy)}, ` +
    `held-out accuracy ${percent(last.valAccuracy)}.${o.notes !== undefined ? ` ${o.notes}` : ''}`;
  const head = new Map([
    ['head/kernel', { data: kernel, shape: [1, 1, dim, classes] }],
    ['head/bias', { data: Float32Array.from(folded), shape: [classes] }],
  ]);
  return {
    model: derivedBagNet(model, head, o.labels, { how: 'head fine-tuned', notes }),
    history,
    validationIndices: Array.from(split.validation),
    trainingExamples: split.training.length,
    validationExamples: split.validation.length,
  };
}

/** The mean over the patches of an image's backbone features, on the CPU. */
async function pooledFeatures(
  model: BagNet,
  image: BagNetImageInput,
  signal: AbortSignal | undefined,
): Promise<Float32Array> {
  const { features } = await model.embeddings(image, signal ? { signal } : {});
  let pooled: tf.Tensor;
  try {
    pooled = tf.tidy(() => tf.mean(features, [0, 1]));
  } finally {
    features.dispose();
  }
  try {
    return Float32Array.from(await pooled.data());
  } finally {
    pooled.dispose();
  }
}

/** Per-feature affine map applied before training: (f − mean) / scale. */
interface FeatureScaling {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
}

/**
 * The mean and scale of each feature over the training examples. The scale is the standard
 * deviation with a floor at a tenth of the typical one, so a nearly constant feature is not blown
 * up into noise (any positive scale is exact after folding; this one only conditions the steps).
 */
function featureScaling(features: readonly Float32Array[], training: Int32Array, dim: number): FeatureScaling {
  const mean = new Float64Array(dim);
  const variance = new Float64Array(dim);
  for (const i of training) features[i]!.forEach((v, d) => (mean[d] = mean[d]! + v));
  mean.forEach((m, d) => (mean[d] = m / training.length));
  for (const i of training) features[i]!.forEach((v, d) => (variance[d] = variance[d]! + (v - mean[d]!) ** 2));
  variance.forEach((v, d) => (variance[d] = v / training.length));
  const typical = variance.reduce((a, b) => a + b, 0) / dim;
  const scale = variance.map((v) => Math.sqrt(v + 0.01 * typical + 1e-12));
  return { mean, scale };
}

/** Standardised rows `indices` of `features` as one row-major [n, D] array. */
function standardised(
  features: readonly Float32Array[],
  indices: Int32Array,
  scaling: FeatureScaling,
  dim: number,
): Float32Array {
  const out = new Float32Array(indices.length * dim);
  indices.forEach((i, row) => {
    const f = features[i]!;
    for (let d = 0; d < dim; d++) out[row * dim + d] = (f[d]! - scaling.mean[d]!) / scaling.scale[d]!;
  });
  return out;
}

/** Summed cross-entropy and number correct of `logits` against one-hot `targets`: [2]. */
function lossAndCorrect(targets: Tensor2D, logits: Tensor2D): tf.Tensor1D {
  return tf.tidy(
    () =>
      tf.stack([
        tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)))),
        tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(targets, 1)), 'float32')),
      ]) as tf.Tensor1D,
  );
}

/** Trains the head (W: [D, C], b: [C]) with Adam on the standardised features. */
async function trainHead(
  features: readonly Float32Array[],
  labels: Int32Array,
  split: HeldOutSplit,
  scaling: FeatureScaling,
  o: ResolvedTrainingOptions,
  random: () => number,
  slicer: TimeSlicer,
): Promise<{ weights: Float32Array; bias: Float32Array; history: EpochMetrics[] }> {
  const what = 'fineTuneHead()';
  const dim = scaling.mean.length;
  const classes = o.labels.length;
  const set = (indices: Int32Array) => {
    if (indices.length === 0) return undefined;
    return tf.tidy(() => ({
      x: tf.tensor2d(standardised(features, indices, scaling, dim), [indices.length, dim]),
      y: tf.cast(
        tf.oneHot(
          tf.tensor1d(
            Array.from(indices, (i) => labels[i]!),
            'int32',
          ),
          classes,
        ),
        'float32',
      ) as Tensor2D,
    }));
  };
  const train = set(split.training)!;
  const val = set(split.validation);
  const w: Variable = tf.tidy(() => tf.variable(tf.zeros([dim, classes])));
  const b: Variable = tf.tidy(() => tf.variable(tf.zeros([classes])));
  const optimizer = tf.train.adam(o.learningRate);
  const logitsOf = (x: tf.Tensor) => tf.add(tf.matMul(x, w), b) as Tensor2D;
  const evaluate = async (data: { x: Tensor2D; y: Tensor2D }) => {
    const result = tf.tidy(() => lossAndCorrect(data.y, logitsOf(data.x)));
    try {
      const [loss, correct] = await result.data();
      return { loss: loss! / data.x.shape[0], accuracy: correct! / data.x.shape[0] };
    } finally {
      result.dispose();
    }
  };
  try {
    const history: EpochMetrics[] = [];
    const clock = new TrainingClock(o.epochs);
    const rows = Int32Array.from({ length: split.training.length }, (_, i) => i);
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const started = clock.elapsedSeconds;
      for (const batch of epochBatches(rows, o.batchSize, random)) {
        throwIfAborted(o.signal, what);
        tf.tidy(() => {
          const index = tf.tensor1d(batch, 'int32');
          const x = tf.gather(train.x, index);
          const y = tf.gather(train.y, index);
          optimizer.minimize(
            () => {
              const loss = tf.div(tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(logitsOf(x))))), batch.length);
              return (o.l2 > 0 ? tf.add(loss, tf.mul(o.l2, tf.sum(tf.square(w)))) : loss) as Scalar;
            },
            false,
            [w, b],
          );
        });
        await slicer.step();
      }
      throwIfAborted(o.signal, what);
      const t = await evaluate(train);
      const v = val === undefined ? undefined : await evaluate(val);
      const metrics: EpochMetrics = {
        epoch,
        loss: t.loss,
        accuracy: t.accuracy,
        ...(v !== undefined && { valLoss: v.loss, valAccuracy: v.accuracy }),
        seconds: clock.elapsedSeconds - started,
      };
      history.push(metrics);
      o.onProgress?.({ phase: 'epoch', ...metrics, epochs: o.epochs, etaSeconds: clock.etaSeconds(epoch) });
      throwIfAborted(o.signal, what);
    }
    const weights = Float32Array.from(await w.data());
    const bias = Float32Array.from(await b.data());
    return { weights, bias, history };
  } finally {
    optimizer.dispose();
    w.dispose();
    b.dispose();
    tf.dispose([train.x, train.y]);
    if (val !== undefined) tf.dispose([val.x, val.y]);
  }
}
