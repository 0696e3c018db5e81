/**
 * Image scrambling (Brendel & Bethge 2019): cut the image into non-overlapping square tiles,
 * shuffle them, and see whether the prediction survives. A bag-of-local-features model with tiles
 * of at least its receptive field keeps most of its evidence (only patches across tile borders
 * change); a model that relies on the global arrangement does not. Works for any model: see
 * ImageClassifier.
 */
import type { Tensor } from '@tensorflow/tfjs-core';

import { BagNetInputError, throwIfAborted } from '../errors.js';
import { classifyVariants, positiveInteger, readAnalysisImage } from './classifier.js';
import type { AnalysisImage, AnalysisOptions, ImageClassifier } from './classifier.js';
import { randomPermutation, seededRandom } from './random.js';

/** Options of {@link scramblingTest}. */
export interface ScramblingOptions extends AnalysisOptions {
  /** Side of the square tiles in pixels (e.g. the receptive field q of a BagNet, or larger). */
  readonly tileSize: number;
  /** Number of random scramblings (default 8). */
  readonly trials?: number;
  /** Seed of the permutations (default 0). */
  readonly seed?: number;
}

/** The result of {@link scramblingTest}. */
export interface ScramblingResult {
  readonly tileSize: number;
  /** Tiles per column and per row; pixels beyond `tileRows × tileSize` (bottom) or `tileCols × tileSize` (right) stay in place. */
  readonly tileRows: number;
  readonly tileCols: number;
  /** Logits of the original image. */
  readonly original: Float32Array;
  /** The original top-1 class. */
  readonly originalTop: number;
  /** Per trial: the tile permutation (tile i of the scrambled image is tile permutation[i] of the original, row-major). */
  readonly permutations: readonly Int32Array[];
  /** Per trial: the logits of the scrambled image. */
  readonly scrambled: readonly Float32Array[];
  /** Per trial: the top-1 class of the scrambled image. */
  readonly scrambledTop: readonly number[];
  /** Share of trials whose top-1 class is the original one. */
  readonly topAgreement: number;
  /** Mean over trials of the change of the original top class's logit (scrambled − original). */
  readonly meanLogitChange: number;
}

const WHAT = 'scramblingTest()';

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/**
 * The image with its tiles rearranged: tile i (row-major over `floor(H / tileSize)` ×
 * `floor(W / tileSize)` tiles) of the result is tile `permutation[i]` of `image`; the remaining
 * bottom rows and right columns are copied unchanged. Pure CPU function.
 */
export function scrambleTiles(image: AnalysisImage, tileSize: number, permutation: ArrayLike<number>): Float32Array {
  const { height, width, channels: c, data } = image;
  const rows = Math.floor(height / tileSize);
  const cols = Math.floor(width / tileSize);
  if (permutation.length !== rows * cols) {
    throw new BagNetInputError(
      `scrambleTiles(): the permutation has ${permutation.length} entries, the image has ${rows}×${cols} tiles of ${tileSize} px.`,
    );
  }
  const out = data.slice();
  for (let i = 0; i < rows * cols; i++) {
    const from = permutation[i]!;
    const ty = Math.floor(i / cols) * tileSize;
    const tx = (i % cols) * tileSize;
    const fy = Math.floor(from / cols) * tileSize;
    const fx = (from % cols) * tileSize;
    for (let r = 0; r < tileSize; r++) {
      const src = ((fy + r) * width + fx) * c;
      out.set(data.subarray(src, src + tileSize * c), ((ty + r) * width + tx) * c);
    }
  }
  return out;
}

/**
 * Classifies `image` (one image in the classifier's input space, e.g. `await bagnet.preprocess(img)`;
 * not disposed) and `trials` random tile scramblings of it, and reports how the prediction changes.
 *
 * @throws {BagNetInputError} for a tile size with fewer than 2 tiles, bad counts, or a classifier
 *   output that is not [N, classes].
 * @throws {BagNetAbortError} when `options.signal` aborts; no tensors are left behind.
 */
export async function scramblingTest(
  classifier: ImageClassifier,
  image: Tensor,
  options: ScramblingOptions,
): Promise<ScramblingResult> {
  const tileSize = positiveInteger(options.tileSize, 'tileSize', WHAT);
  const trials = positiveInteger(options.trials ?? 8, 'trials', WHAT);
  throwIfAborted(options.signal, WHAT);
  const pixels = await readAnalysisImage(image, WHAT);
  const tileRows = Math.floor(pixels.height / tileSize);
  const tileCols = Math.floor(pixels.width / tileSize);
  if (tileRows * tileCols < 2) {
    throw new BagNetInputError(
      `${WHAT}: a ${pixels.width}×${pixels.height} image holds ${tileRows * tileCols} tile(s) of ${tileSize} px; ` +
        'at least 2 are needed to scramble: use smaller tiles.',
    );
  }
  const random = seededRandom(options.seed ?? 0);
  const permutations = Array.from({ length: trials }, () => randomPermutation(tileRows * tileCols, random));
  const logits = await classifyVariants(
    classifier,
    pixels,
    trials + 1,
    (i) => (i === 0 ? pixels.data : scrambleTiles(pixels, tileSize, permutations[i - 1]!)),
    options,
    WHAT,
  );
  const original = logits[0]!;
  const originalTop = argmax(original);
  const scrambled = logits.slice(1);
  const scrambledTop = scrambled.map(argmax);
  return {
    tileSize,
    tileRows,
    tileCols,
    original,
    originalTop,
    permutations,
    scrambled,
    scrambledTop,
    topAgreement: scrambledTop.filter((t) => t === originalTop).length / trials,
    meanLogitChange: scrambled.reduce((s, l) => s + l[originalTop]! - original[originalTop]!, 0) / trials,
  };
}
