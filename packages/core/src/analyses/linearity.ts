/**
 * Logit linearity (Brendel & Bethge 2019): is a model's class evidence a sum of local parts? Mask
 * several separated patches one at a time and all together, and compare the joint change of the
 * logits with the sum of the single-patch changes. A BagNet is exactly additive when no
 * evidence-map cell sees two of the patches (gap ≥ q − 1); a CNN that mixes information globally
 * (e.g. a dense layer after global pooling) is not. Works for any model: see ImageClassifier.
 */
import type { Tensor } from '@tensorflow/tfjs-core';

import type { PatchRect } from '../architecture.js';
import { BagNetInputError, throwIfAborted } from '../errors.js';
import { classifyVariants, positiveInteger, readAnalysisImage } from './classifier.js';
import type { AnalysisOptions, ImageClassifier } from './classifier.js';
import { checkRect, DEFAULT_FILL, occlude } from './occlusion.js';
import { randomPermutation, seededRandom } from './random.js';

/** Options of {@link logitLinearity}. */
export interface LinearityOptions extends AnalysisOptions {
  /** Side of the square patches, in pixels (e.g. the receptive field q of a BagNet). */
  readonly patchSize: number;
  /** Minimum distance between two patches, in pixels (default `patchSize`). */
  readonly gap?: number;
  /** Number of patches, placed on random slots of a grid with pitch `patchSize + gap` (default 8). */
  readonly count?: number;
  /** Explicit patches instead of random ones (then `gap` and `count` are ignored). */
  readonly patches?: readonly PatchRect[];
  /** Value of masked pixels in the classifier's input space (default 0, see occlusion.ts). */
  readonly fill?: number;
  /** Seed of the patch placement (default 0). */
  readonly seed?: number;
}

/** The result of {@link logitLinearity}; changes are masked minus original logits, per class. */
export interface LinearityResult {
  readonly patches: readonly PatchRect[];
  /** Logits of the original image. */
  readonly original: Float32Array;
  /** Per patch: the change when only that patch is masked. */
  readonly singles: readonly Float32Array[];
  /** The change when all patches are masked together. */
  readonly joint: Float32Array;
  /** Sum over patches of `singles`. */
  readonly sumOfSingles: Float32Array;
  /** max over classes of |joint − sumOfSingles|. */
  readonly maxAbsError: number;
  /**
   * `maxAbsError` over the largest |change| (of `joint`, `sumOfSingles` and every single change):
   * 0 for an additive model, of order 1 for a strongly non-additive one.
   */
  readonly relativeError: number;
}

const WHAT = 'logitLinearity()';

function gridPatches(
  height: number,
  width: number,
  size: number,
  gap: number,
  count: number,
  seed: number,
): PatchRect[] {
  const pitch = size + gap;
  const rows = Math.floor((height - size) / pitch) + 1;
  const cols = Math.floor((width - size) / pitch) + 1;
  const slots = height >= size && width >= size ? rows * cols : 0;
  if (slots < 2) {
    throw new BagNetInputError(
      `${WHAT}: a ${width}×${height} image has room for ${slots} patch(es) of ${size} px ${gap} px apart; ` +
        'at least 2 are needed: use a smaller patchSize or gap, or a larger image.',
    );
  }
  const order = randomPermutation(slots, seededRandom(seed));
  return Array.from(order.slice(0, Math.min(count, slots)), (i) => ({
    x: (i % cols) * pitch,
    y: Math.floor(i / cols) * pitch,
    width: size,
    height: size,
  })).sort((a, b) => a.y - b.y || a.x - b.x);
}

/**
 * Measures how far `classifier`'s logits are from additive over patches of `image` (one image in
 * the classifier's input space, e.g. `await bagnet.preprocess(img)` with
 * `bagnetClassifier(bagnet)`; not disposed): classifies the image, each patch masked alone, and
 * all masked together.
 *
 * @throws {BagNetInputError} for bad sizes, patches, or a classifier output that is not [N, classes].
 * @throws {BagNetAbortError} when `options.signal` aborts; no tensors are left behind.
 */
export async function logitLinearity(
  classifier: ImageClassifier,
  image: Tensor,
  options: LinearityOptions,
): Promise<LinearityResult> {
  const size = positiveInteger(options.patchSize, 'patchSize', WHAT);
  const gap = options.gap ?? size;
  if (!Number.isInteger(gap) || gap < 0) {
    throw new BagNetInputError(`${WHAT}: gap must be a non-negative integer, got ${String(gap)}.`);
  }
  const count = positiveInteger(options.count ?? 8, 'count', WHAT);
  throwIfAborted(options.signal, WHAT);
  const pixels = await readAnalysisImage(image, WHAT);
  const patches = options.patches
    ? [...options.patches]
    : gridPatches(pixels.height, pixels.width, size, gap, count, options.seed ?? 0);
  if (patches.length === 0) throw new BagNetInputError(`${WHAT}: patches is empty; pass at least one.`);
  patches.forEach((r) => checkRect(r, pixels, WHAT));
  const fill = options.fill ?? DEFAULT_FILL;
  // Variants: original, each patch alone, all patches.
  const variants: (readonly PatchRect[])[] = [[], ...patches.map((p) => [p]), patches];
  const logits = await classifyVariants(
    classifier,
    pixels,
    variants.length,
    (i) => occlude(pixels, variants[i]!, fill),
    options,
    WHAT,
  );
  const original = logits[0]!;
  const change = (l: Float32Array) => Float32Array.from(l, (v, c) => v - original[c]!);
  const singles = logits.slice(1, 1 + patches.length).map(change);
  const joint = change(logits[logits.length - 1]!);
  const sumOfSingles = Float32Array.from(joint, (_, c) => singles.reduce((s, d) => s + d[c]!, 0));
  let maxAbsError = 0;
  let scale = 0;
  joint.forEach((j, c) => {
    maxAbsError = Math.max(maxAbsError, Math.abs(j - sumOfSingles[c]!));
    scale = Math.max(scale, Math.abs(j), Math.abs(sumOfSingles[c]!), ...singles.map((d) => Math.abs(d[c]!)));
  });
  return {
    patches,
    original,
    singles,
    joint,
    sumOfSingles,
    maxAbsError,
    relativeError: scale > 0 ? maxAbsError / scale : 0,
  };
}
