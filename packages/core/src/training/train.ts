/**
 * Training every weight of a BagNet (backbone and head) in tfjs, where the backend has the
 * convolution gradients: WebGL and WebGPU in browsers, the CPU backend anywhere (correct but slow:
 * its convolution backward pass is ~100× its forward). The WASM backend has no convolution filter
 * gradient; there, {@link fineTuneHead} trains the head alone.
 *
 * The loss is the softmax cross-entropy of the image logits — the mean of the patch-logit map, as
 * the model computes them — through `model.logitModel`, a standard tfjs LayersModel, with Adam.
 * Images of different sizes are trained in batches of one size each.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor1D, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core';

import { seededRandom } from '../analyses/random.js';
import type { BagNet, WeightValue } from '../bagnet.js';
import { BagNetBackendError, throwIfAborted } from '../errors.js';
import { TimeSlicer } from '../scheduling.js';
import { resolveTrainingOptions } from './options.js';
import type { LabelledImages, TrainingDefaults, TrainingOptions, TrainingResult } from './options.js';
import { TrainingClock } from './progress.js';
import type { EpochMetrics } from './progress.js';
import { readExamples } from './read-examples.js';
import { epochBatches, heldOutSplit } from './split.js';
import { derivedBagNet } from './trained-model.js';

/** Defaults of {@link trainBagNet}. */
export const FULL_TRAINING_DEFAULTS: TrainingDefaults = { epochs: 5, learningRate: 1e-3, batchSize: 8, l2: 0 };

/** The kernels a backend needs to train convolutions (the gradients of conv2d). */
export const CONVOLUTION_GRADIENT_KERNELS: readonly string[] = ['Conv2DBackpropFilter', 'Conv2DBackpropInput'];

/** Whether `backend` (default: the active one) can train convolutions: see {@link trainBagNet}. */
export function canTrainConvolutions(backend: string = tf.getBackend()): boolean {
  return CONVOLUTION_GRADIENT_KERNELS.every((k) => tf.getKernel(k, backend) !== undefined);
}

/** Throws {@link BagNetBackendError} unless the active backend can train convolutions. */
function checkConvolutionGradients(what: string): void {
  const backend = tf.getBackend();
  const missing = CONVOLUTION_GRADIENT_KERNELS.filter((k) => tf.getKernel(k, backend) === undefined);
  if (missing.length === 0) return;
  throw new BagNetBackendError(
    `${what} trains every convolution, but the ${backend} backend has no ${missing.join(' or ')} kernel` +
      `${backend === 'wasm' ? ' (tfjs-backend-wasm computes no convolution filter gradients)' : ''}. ` +
      'Switch to webgl or webgpu (browsers) or cpu (anywhere, slow) with useBackend(), or train only the head with ' +
      'fineTuneHead(), which runs on every backend.',
    { code: 'unsupported' },
  );
}

/** An example read for training: its normalised pixels, [H, W, 3] row-major, on the CPU. */
interface Pixels {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
}

/**
 * Trains every weight of `model` on `examples` (class indices into `options.labels`) and returns
 * a new BagNet; `model` is not changed. With the model's own labels (the default) training starts
 * from all its weights; with other labels the head starts at zero for the new classes.
 *
 * Needs a backend with convolution gradients — webgl, webgpu or cpu (slow) — and runs every
 * step through the whole network: use small models, or {@link fineTuneHead} for large ones. On
 * abort or error nothing is returned and every tensor is released.
 *
 * @throws {BagNetBackendError} on a backend without convolution gradients (wasm), before any work.
 * @throws {BagNetInputError} as {@link fineTuneHead}.
 * @throws {BagNetAbortError} when `options.signal` aborts.
 */
export async function trainBagNet(
  model: BagNet,
  examples: LabelledImages,
  options: TrainingOptions = {},
): Promise<TrainingResult> {
  const what = 'trainBagNet()';
  checkConvolutionGradients(what);
  const o = resolveTrainingOptions(model, options, FULL_TRAINING_DEFAULTS, what);
  throwIfAborted(o.signal, what);
  const slicer = new TimeSlicer(o.yieldIntervalMs);
  const read = await readExamples(examples, (e) => normalisedPixels(model, e.image), o, slicer, what);
  const images = read.records;
  const classes = o.labels.length;
  const random = seededRandom(o.seed);
  const split = heldOutSplit(read.labels, classes, o.validationSplit, random);
  const sizeOf = (i: number) => `${images[i]!.height}x${images[i]!.width}`;

  /** [n, H, W, 3] pixels and [n, C] one-hot targets of a batch of one size. */
  const batchTensors = (batch: Int32Array): { x: Tensor4D; y: Tensor2D; labels: Tensor1D } => {
    const { height, width } = images[batch[0]!]!;
    const size = height * width * 3;
    const data = new Float32Array(batch.length * size);
    batch.forEach((i, k) => data.set(images[i]!.data, k * size));
    return tf.tidy(() => {
      const labels = tf.tensor1d(
        Array.from(batch, (i) => read.labels[i]!),
        'int32',
      );
      return {
        x: tf.tensor4d(data, [batch.length, height, width, 3]),
        y: tf.cast(tf.oneHot(labels, classes), 'float32') as Tensor2D,
        labels,
      };
    });
  };

  const sameLabels = o.labels.length === model.numClasses && o.labels.every((l, i) => l === model.labels[i]);
  const dim = model.weightSpecs.find((s) => s.name === 'head/kernel')!.shape[2]!;
  const freshHead = new Map<string, WeightValue>(
    sameLabels
      ? []
      : [
          ['head/kernel', { data: new Float32Array(dim * classes), shape: [1, 1, dim, classes] }],
          ['head/bias', { data: new Float32Array(classes), shape: [classes] }],
        ],
  );
  const work = derivedBagNet(model, freshHead, o.labels, { how: 'training', notes: '' });
  const optimizer = tf.train.adam(o.learningRate);
  try {
    const variables = work.logitModel.trainableWeights.map((v) => v.read() as Variable);
    const kernels = variables.filter((v) => v.rank === 4);
    const logitsOf = (x: Tensor4D) =>
      tf.mean(work.logitModel.apply(x, { training: true }) as Tensor4D, [1, 2]) as Tensor2D;

    /** Summed cross-entropy and number correct over `indices`, forward only. */
    const evaluate = async (indices: Int32Array) => {
      let loss = 0;
      let correct = 0;
      for (const batch of epochBatches(indices, o.batchSize, seededRandom(0), sizeOf)) {
        throwIfAborted(o.signal, what);
        const t = batchTensors(batch);
        let sums: tf.Tensor;
        try {
          sums = tf.tidy(() => {
            const logits = logitsOf(t.x);
            return tf.stack([
              tf.neg(tf.sum(tf.mul(t.y, tf.logSoftmax(logits)))),
              tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), t.labels), 'float32')),
            ]);
          });
        } finally {
          tf.dispose([t.x, t.y, t.labels]);
        }
        try {
          const [l, c] = await sums.data();
          loss += l!;
          correct += c!;
        } finally {
          sums.dispose();
        }
        await slicer.step();
      }
      return { loss: loss / indices.length, accuracy: correct / indices.length };
    };

    const history: EpochMetrics[] = [];
    let clock: TrainingClock | undefined;
    let stepsDone = 0;
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const batches = epochBatches(split.training, o.batchSize, random, sizeOf);
      clock ??= new TrainingClock(o.epochs * batches.length);
      const started = clock.elapsedSeconds;
      let lossSum = 0;
      let correctSum = 0;
      for (const [s, batch] of batches.entries()) {
        throwIfAborted(o.signal, what);
        const t = batchTensors(batch);
        const kept: tf.Tensor[] = [];
        let grads: tf.NamedTensorMap = {};
        let sums: tf.Tensor;
        try {
          const result = tf.variableGrads(() => {
            const logits = logitsOf(t.x);
            const crossEntropy = tf.neg(tf.sum(tf.mul(t.y, tf.logSoftmax(logits))));
            const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), t.labels), 'float32'));
            kept.push(tf.keep(crossEntropy), tf.keep(correct));
            const loss = tf.div(crossEntropy, batch.length);
            return (
              o.l2 > 0 ? tf.add(loss, tf.mul(o.l2, tf.addN(kernels.map((k) => tf.sum(tf.square(k)))))) : loss
            ) as Scalar;
          }, variables);
          grads = result.grads;
          kept.push(result.value);
          optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
          sums = tf.stack(kept.slice(0, 2));
        } finally {
          tf.dispose([...kept, ...Object.values(grads), t.x, t.y, t.labels]);
        }
        let values: Float32Array | Int32Array | Uint8Array;
        try {
          values = await sums.data();
        } finally {
          sums.dispose();
        }
        lossSum += values[0]!;
        correctSum += values[1]!;
        stepsDone++;
        o.onProgress?.({
          phase: 'step',
          epoch,
          epochs: o.epochs,
          step: s + 1,
          steps: batches.length,
          loss: values[0]! / batch.length,
          etaSeconds: clock.etaSeconds(stepsDone),
        });
        await slicer.step();
      }
      const v = split.validation.length > 0 ? await evaluate(split.validation) : undefined;
      const metrics: EpochMetrics = {
        epoch,
        loss: lossSum / split.training.length,
        accuracy: correctSum / split.training.length,
        ...(v !== undefined && { valLoss: v.loss, valAccuracy: v.accuracy }),
        seconds: clock.elapsedSeconds - started,
      };
      history.push(metrics);
      o.onProgress?.({ phase: 'epoch', ...metrics, epochs: o.epochs, etaSeconds: clock.etaSeconds(stepsDone) });
      throwIfAborted(o.signal, what);
    }

    const last = history[history.length - 1]!;
    const percent = (x: number | undefined) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(1)} %`);
    const notes =
      `Every weight trained with trainBagNet() for ${classes} classes (${o.labels.join(', ')}) on ${read.labels.length} images ` +
      `(${split.training.length} for training, ${split.validation.length} held out, seed ${o.seed}), starting from the ` +
      `source's weights${sameLabels ? '' : ' with a new zero head'}: ${o.epochs} epochs of Adam (learning rate ` +
      `${o.learningRate}, batch ${o.batchSize}, L2 ${o.l2}) on the ${tf.getBackend()} backend; training accuracy ` +
      `${percent(last.accuracy)} (mean over the last epoch), held-out accuracy ${percent(last.valAccuracy)}.` +
      `${o.notes !== undefined ? ` ${o.notes}` : ''}`;
    const trained = work.getWeights();
    try {
      return {
        model: derivedBagNet(model, trained, o.labels, { how: 'trained', notes }),
        history,
        validationIndices: Array.from(split.validation),
        trainingExamples: split.training.length,
        validationExamples: split.validation.length,
      };
    } finally {
      trained.forEach((t) => t.dispose());
    }
  } finally {
    optimizer.dispose();
    work.dispose();
  }
}

/** An image's normalised pixels, read to the CPU. */
async function normalisedPixels(model: BagNet, image: Parameters<BagNet['preprocess']>[0]): Promise<Pixels> {
  const x = await model.preprocess(image);
  try {
    return { data: Float32Array.from(await x.data()), height: x.shape[1], width: x.shape[2] };
  } finally {
    x.dispose();
  }
}
