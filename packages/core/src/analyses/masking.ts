/**
 * The paper's spatial-sensitivity experiment (Brendel & Bethge 2019, "masking the most
 * informative patches"): occlude the k patches a BagNet's heatmap ranks highest for a class, re-run
 * a model on the masked image, and follow the class evidence as k grows — against the same number
 * of randomly chosen patches. A model that, like a BagNet, sums local evidence loses it quickly
 * under informed masking and slowly under random masking.
 */
import type { PatchRect } from '../architecture.js';
import type { BagNet } from '../bagnet.js';
import { BagNetInputError, throwIfAborted } from '../errors.js';
import type { BagNetImageInput } from '../preprocess.js';
import { bagnetClassifier, classifyVariants, readModelInput } from './classifier.js';
import type { AnalysisOptions, ImageClassifier } from './classifier.js';
import { DEFAULT_FILL, occlude } from './occlusion.js';
import { randomPermutation, seededRandom } from './random.js';

/** Options of {@link maskingCurve}. */
export interface MaskingOptions extends AnalysisOptions {
  /** The class whose evidence is ranked and followed. */
  readonly classIndex: number;
  /**
   * Numbers of masked patches to evaluate (integers from 0 to the number of evidence-map cells).
   * Default: 0, 1, 2, 4, … (powers of two) up to the number of cells, and the number of cells.
   */
  readonly ks?: readonly number[];
  /** Random-masking trials averaged per k (default 5; 0 skips the baseline). */
  readonly randomTrials?: number;
  /** Seed of the random baseline (default 0). */
  readonly seed?: number;
  /**
   * The model re-run on the masked images (default: the BagNet itself). It receives images
   * normalised as the BagNet's metadata says — e.g. a VGG trained with the same ImageNet
   * normalisation, to test whether it too relies on the BagNet's most informative patches.
   */
  readonly classifier?: ImageClassifier;
  /** Value of masked pixels in normalised space (default 0: the dataset mean colour). */
  readonly fill?: number;
}

/** The result of {@link maskingCurve}. */
export interface MaskingCurve {
  readonly classIndex: number;
  /** The evaluated numbers of masked patches, in the order given. */
  readonly ks: readonly number[];
  readonly fill: number;
  /** The classifier's class logit for the unmasked image. */
  readonly baseline: number;
  /** Per entry of `ks`: the class logit with the k highest-evidence patches masked. */
  readonly mostInformative: Float32Array;
  /** Per entry of `ks`: the mean class logit with k random patches masked (NaN without trials). */
  readonly random: Float32Array;
  /** Per entry of `ks`: the standard deviation over the random trials (NaN without trials). */
  readonly randomStd: Float32Array;
  /** The patches in ranking order (highest evidence first), as many as the largest k. */
  readonly ranked: readonly PatchRect[];
}

const WHAT = 'maskingCurve()';

function defaultKs(cells: number): number[] {
  const ks = [0];
  for (let k = 1; k < cells; k *= 2) ks.push(k);
  ks.push(cells);
  return ks;
}

/**
 * Masks the k patches with the most evidence for `options.classIndex` in `model`'s evidence map
 * (q×q rectangles at stride 8; they overlap, the union is masked) for each k of `options.ks`,
 * and, for comparison, k random patches; returns the class-evidence curves. Masking replaces
 * pixels by `fill` (see occlusion.ts). Masking every cell leaves the BagNet only the evidence of a
 * uniform image, whatever the order.
 *
 * @throws {BagNetInputError} for a bad class index, k, trial count or batch size.
 * @throws {BagNetAbortError} when `options.signal` aborts; no tensors are left behind.
 */
export async function maskingCurve(
  model: BagNet,
  image: BagNetImageInput,
  options: MaskingOptions,
): Promise<MaskingCurve> {
  model.checkClass(options.classIndex);
  const c = options.classIndex;
  const trials = options.randomTrials ?? 5;
  if (!Number.isInteger(trials) || trials < 0) {
    throw new BagNetInputError(`${WHAT}: randomTrials must be a non-negative integer, got ${String(trials)}.`);
  }
  const fill = options.fill ?? DEFAULT_FILL;
  throwIfAborted(options.signal, WHAT);
  const evidence = await model.evidence(image, { signal: options.signal });
  const { geometry } = evidence;
  const cells = geometry.size;
  const ks = options.ks ?? defaultKs(cells);
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 0 || k > cells) {
      evidence.dispose();
      throw new BagNetInputError(
        `${WHAT}: every k must be an integer from 0 to ${cells} (the evidence-map cells), got ${String(k)}.`,
      );
    }
  }
  const kMax = Math.max(0, ...ks);
  const ranked = evidence.topPatches(c, kMax, 'most').map((p) => p.rect);
  evidence.dispose();
  const pixels = await readModelInput(model, image, WHAT);
  const random = seededRandom(options.seed ?? 0);
  const cellRect = (i: number) => geometry.cellRect(Math.floor(i / geometry.cols), i % geometry.cols);
  const orders = Array.from({ length: trials }, () => Array.from(randomPermutation(cells, random), cellRect));
  // Variant 0: the unmasked image; then ks (informed), then trials × ks (random).
  const variants: (readonly PatchRect[])[] = [
    [],
    ...ks.map((k) => ranked.slice(0, k)),
    ...orders.flatMap((order) => ks.map((k) => order.slice(0, k))),
  ];
  const logits = await classifyVariants(
    options.classifier ?? bagnetClassifier(model),
    pixels,
    variants.length,
    (i) => occlude(pixels, variants[i]!, fill),
    options,
    WHAT,
  );
  const value = (i: number) => {
    const l = logits[i]!;
    if (c >= l.length) {
      throw new BagNetInputError(`${WHAT}: the classifier returned ${l.length} classes; class ${c} is out of range.`);
    }
    return l[c]!;
  };
  const mostInformative = Float32Array.from(ks, (_, j) => value(1 + j));
  const mean = new Float32Array(ks.length).fill(Number.NaN);
  const std = new Float32Array(ks.length).fill(Number.NaN);
  if (trials > 0) {
    ks.forEach((_, j) => {
      const v = Array.from({ length: trials }, (_, t) => value(1 + ks.length * (1 + t) + j));
      const m = v.reduce((a, b) => a + b, 0) / trials;
      mean[j] = m;
      std[j] = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / trials);
    });
  }
  return {
    classIndex: c,
    ks: [...ks],
    fill,
    baseline: value(0),
    mostInformative,
    random: mean,
    randomStd: std,
    ranked,
  };
}
