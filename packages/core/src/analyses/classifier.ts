/**
 * The models the analyses run, and how they run them. An {@link ImageClassifier} is any function
 * from a batch of images (NHWC, in the model's own input space — for a BagNet, normalised) to
 * [N, classes] logits, so the analyses work for any tfjs image model: wrap a LayersModel or
 * GraphModel with {@link modelClassifier}, a BagNet with {@link bagnetClassifier}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';

import type { BagNet } from '../bagnet.js';
import type { BagNetImageInput } from '../preprocess.js';
import { BagNetInputError, throwIfAborted } from '../errors.js';
import { DEFAULT_YIELD_INTERVAL_MS, TimeSlicer } from '../scheduling.js';

/**
 * A synchronous tensor function: a batch of images [N, H, W, C] → logits [N, classes]. It must not
 * dispose its input; the analyses dispose its output (they call it inside `tf.tidy`).
 */
export type ImageClassifier = (images: Tensor4D) => Tensor2D;

/** A BagNet as an {@link ImageClassifier}: its image logits, the mean of its patch-logit map. */
export function bagnetClassifier(model: BagNet): ImageClassifier {
  return (images) => tf.tidy(() => tf.mean(model.logitMap(images), [1, 2]) as Tensor2D);
}

/**
 * A tfjs model with a single [N, classes] output (`tf.LayersModel`, `tf.GraphModel`, or anything
 * with such a `predict`) as an {@link ImageClassifier}.
 */
export function modelClassifier(model: { predict(images: Tensor4D): unknown }): ImageClassifier {
  return (images) => {
    const out = model.predict(images);
    if (!(out instanceof tf.Tensor) || out.rank !== 2) {
      throw new BagNetInputError(
        'modelClassifier: the model must return one [N, classes] logits tensor' +
          (out instanceof tf.Tensor ? `, got shape [${out.shape.join(', ')}]` : ', got several outputs') +
          '; wrap it in your own ImageClassifier function instead.',
      );
    }
    return out as Tensor2D;
  };
}

/** Progress of an analysis, counted in images classified (or, for patch mining, images read). */
export interface AnalysisProgress {
  readonly fraction: number;
  readonly done: number;
  readonly total: number;
}

/** Options every analysis takes. */
export interface AnalysisOptions {
  /** Cancels the analysis: it rejects with `BagNetAbortError` and leaves no tensors behind. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: AnalysisProgress) => void;
  /** Images per classifier call (default 8). Lower it for large models or images. */
  readonly batchSize?: number;
  /** Minimum work time between yields to the event loop, in ms (default 30). */
  readonly yieldIntervalMs?: number;
}

/** An image in a classifier's input space, read to the CPU. */
export interface AnalysisImage {
  /** Row-major [H, W, C] values. */
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/**
 * Reads a single image tensor, [1, H, W, C] or [H, W, C], in the classifier's input space (for a
 * BagNet: `await model.preprocess(image)`). The tensor is not disposed.
 */
export async function readAnalysisImage(image: tf.Tensor, what: string): Promise<AnalysisImage> {
  if (image.isDisposed) throw new BagNetInputError(`${what}: the image tensor has been disposed.`);
  const shape = image.rank === 4 ? image.shape : image.rank === 3 ? [1, ...image.shape] : undefined;
  if (shape === undefined || shape[0] !== 1) {
    throw new BagNetInputError(
      `${what}: pass one image as a [1, height, width, channels] (or [height, width, channels]) tensor in the ` +
        `classifier's input space, got shape [${image.shape.join(', ')}]. For a BagNet use await model.preprocess(image).`,
    );
  }
  const data = Float32Array.from(await image.data());
  return { data, height: shape[1]!, width: shape[2]!, channels: shape[3]! };
}

/** `model.preprocess(image)` read to the CPU as an {@link AnalysisImage}; no tensor is left behind. */
export async function readModelInput(model: BagNet, image: BagNetImageInput, what: string): Promise<AnalysisImage> {
  const x = await model.preprocess(image);
  try {
    return await readAnalysisImage(x, what);
  } finally {
    x.dispose();
  }
}

/** Checks a positive-integer option. */
export function positiveInteger(value: number, name: string, what: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new BagNetInputError(`${what}: ${name} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

/**
 * Classifies `count` variants of `image` (variant i's pixels from `variant(i)`, same shape), in
 * batches, yielding and checking the signal between batches. Returns one logits array per variant.
 */
export async function classifyVariants(
  classifier: ImageClassifier,
  image: AnalysisImage,
  count: number,
  variant: (index: number) => Float32Array,
  options: AnalysisOptions,
  what: string,
): Promise<Float32Array[]> {
  const batchSize = positiveInteger(options.batchSize ?? 8, 'batchSize', what);
  const slicer = new TimeSlicer(options.yieldIntervalMs ?? DEFAULT_YIELD_INTERVAL_MS);
  const size = image.data.length;
  const out: Float32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    throwIfAborted(options.signal, what);
    const n = Math.min(batchSize, count - start);
    const batch = new Float32Array(n * size);
    for (let i = 0; i < n; i++) batch.set(variant(start + i), i * size);
    const logits = tf.tidy(() => {
      const y = classifier(tf.tensor4d(batch, [n, image.height, image.width, image.channels]));
      if (!(y instanceof tf.Tensor) || y.rank !== 2 || y.shape[0] !== n) {
        throw new BagNetInputError(
          `${what}: the classifier must return [${n}, classes] logits for ${n} images` +
            (y instanceof tf.Tensor ? `, got shape [${y.shape.join(', ')}].` : '.'),
        );
      }
      return tf.cast(y, 'float32');
    });
    let values: Float32Array;
    try {
      values = (await logits.data()) as Float32Array;
    } finally {
      logits.dispose();
    }
    const classes = values.length / n;
    for (let i = 0; i < n; i++) out.push(values.slice(i * classes, (i + 1) * classes));
    options.onProgress?.({ fraction: (start + n) / count, done: start + n, total: count });
    await slicer.step();
  }
  throwIfAborted(options.signal, what);
  return out;
}
