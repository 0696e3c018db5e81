/**
 * Masking as the paper means it, over a set of images: occlude the image regions the BagNet ranks
 * most informative for the true class — the model's own q×q patches, in rank order — until a given
 * share of the image is covered, and compare the fall of the true-class logit against masking the
 * same share with patches taken in random order. The random baseline is drawn many times; its
 * spread over the draws is the band the informed curve has to leave.
 *
 * Masks are sized by area, not by patch count: with a small image and a stride smaller than q
 * (the default model: 13×13 patches every 2 px on 28×28) the top-ranked patches overlap heavily,
 * so k informed patches cover far less of the image than k random ones and a curve over k would
 * compare unequal amounts of occlusion. Here both curves mask the same share of pixels.
 *
 * All occluded variants of one image go through the classifier in large batches.
 */
import type { PatchGeometry, PatchRect } from '../architecture.js';
import type { BagNet } from '../bagnet.js';
import { BagNetInputError, throwIfAborted } from '../errors.js';
import type { BagNetImageInput } from '../preprocess.js';
import { bagnetClassifier, classifyVariants, positiveInteger, readModelInput } from './classifier.js';
import type { AnalysisOptions } from './classifier.js';
import { DEFAULT_FILL, occlude } from './occlusion.js';
import { randomPermutation, seededRandom } from './random.js';

/** One image of a masking run and the class whose logit is followed (e.g. its true class). */
export interface MaskingSample {
  readonly image: BagNetImageInput;
  readonly classIndex: number;
}

/** Options of {@link maskingByArea}. */
export interface AreaMaskingOptions extends AnalysisOptions {
  /** Shares of the image to mask, each in (0, 1]. Default 0.1, 0.2, 0.3, 0.4, 0.5. */
  readonly fractions?: readonly number[];
  /** Random-order draws of the baseline (default 10, at least 2). */
  readonly draws?: number;
  /** Seed of the random orders (default 0). */
  readonly seed?: number;
  /** Value of masked pixels in normalised space (default 0: the dataset mean colour). */
  readonly fill?: number;
}

/** The result of {@link maskingByArea}; logit changes are masked − unmasked, averaged over the images. */
export interface AreaMaskingResult {
  readonly fractions: readonly number[];
  readonly images: number;
  readonly draws: number;
  /** Per fraction: mean change of the class logit, most informative patches masked first. */
  readonly informed: Float64Array;
  /** Per fraction: mean over the draws of the mean change with patches masked in random order. */
  readonly random: Float64Array;
  /** Per fraction: the lowest and highest draw mean (the band of the random baseline). */
  readonly randomLow: Float64Array;
  readonly randomHigh: Float64Array;
  /** Per fraction: the standard deviation of the draw means. */
  readonly randomStd: Float64Array;
  /** Per fraction: random − informed (positive: informed masking removes more evidence). */
  readonly gaps: Float64Array;
  /** The mean of {@link gaps} over the fractions: how much faster the informed curve falls, in logits. */
  readonly gap: number;
  /** Per fraction: whether the informed curve lies below the whole random band. */
  readonly belowBand: readonly boolean[];
  /** The mean unmasked class logit. */
  readonly baseline: number;
}

const WHAT = 'maskingByArea()';
export const DEFAULT_MASK_FRACTIONS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5];

/**
 * Shares of the image to mask for {@link maskingByArea}, sized to the model's patches: `count`
 * shares evenly spaced from what one q×q patch covers of the image `geometry` describes up to
 * `upTo` (default 0.5; or 1 when one patch already covers more). Shares below one patch would all
 * mask the same single patch — with the default model (13×13 patches on 28×28, 21.6 % each) the
 * fixed 10 % and 20 % are one and the same mask.
 */
export function maskFractionsForPatches(geometry: PatchGeometry, count = 5, upTo = 0.5): number[] {
  const n = positiveInteger(count, 'count', 'maskFractionsForPatches()');
  if (!(upTo > 0 && upTo <= 1)) {
    throw new BagNetInputError(`maskFractionsForPatches(): upTo must be a number in (0, 1], got ${upTo}.`);
  }
  const { imageHeight: h, imageWidth: w, receptiveField: q } = geometry;
  const first = Math.min(1, (Math.min(q, h) * Math.min(q, w)) / (h * w));
  const last = first >= upTo ? 1 : upTo;
  if (n === 1 || first === last) return [first];
  return Array.from({ length: n }, (_, k) => first + ((last - first) * k) / (n - 1));
}

/**
 * Each pixel's share of the class evidence: every patch's contribution to the class logit spread
 * evenly over the q×q pixels it sees (exact bookkeeping of a BagNet's sum of local evidence).
 */
function pixelEvidence(geometry: PatchGeometry, contributions: Float64Array): Float64Array {
  const { imageHeight: h, imageWidth: w, receptiveField: q } = geometry;
  const perPixel = new Float64Array(h * w);
  for (let i = 0; i < geometry.rows; i++) {
    for (let j = 0; j < geometry.cols; j++) {
      const r = geometry.cellRect(i, j);
      const share = contributions[i * geometry.cols + j]! / (q * q);
      for (let y = r.y; y < Math.min(h, r.y + r.height); y++)
        for (let x = r.x; x < Math.min(w, r.x + r.width); x++) perPixel[y * w + x] = perPixel[y * w + x]! + share;
    }
  }
  return perPixel;
}

/** Marks `rect` in `covered`; returns the number of newly covered pixels. */
function cover(covered: Uint8Array, width: number, height: number, r: PatchRect): number {
  let added = 0;
  for (let y = r.y; y < Math.min(height, r.y + r.height); y++)
    for (let x = r.x; x < Math.min(width, r.x + r.width); x++)
      if (covered[y * width + x] === 0) {
        covered[y * width + x] = 1;
        added++;
      }
  return added;
}

/**
 * The informed order of the model's patches: greedily, the patch whose not yet masked pixels hold
 * the most evidence for the class (ties: row-major cell order), so each step masks the most
 * evidence that is still visible.
 */
function informedOrder(geometry: PatchGeometry, perPixel: Float64Array, steps: number): PatchRect[] {
  const { imageWidth: w, imageHeight: h } = geometry;
  const covered = new Uint8Array(w * h);
  const rects = Array.from({ length: geometry.size }, (_, i) =>
    geometry.cellRect(Math.floor(i / geometry.cols), i % geometry.cols),
  );
  const used = new Uint8Array(rects.length);
  const order: PatchRect[] = [];
  for (let s = 0; s < Math.min(steps, rects.length); s++) {
    let best = -1;
    let bestMass = -Infinity;
    rects.forEach((r, i) => {
      if (used[i] === 1) return;
      let mass = 0;
      for (let y = r.y; y < Math.min(h, r.y + r.height); y++)
        for (let x = r.x; x < Math.min(w, r.x + r.width); x++)
          if (covered[y * w + x] === 0) mass += perPixel[y * w + x]!;
      if (mass > bestMass) {
        bestMass = mass;
        best = i;
      }
    });
    used[best] = 1;
    cover(covered, w, h, rects[best]!);
    order.push(rects[best]!);
  }
  return order;
}

/**
 * For each fraction, the first n rects of `order` whose union covers at least that share of the
 * image: a prefix of the order, so the masks of one order are nested.
 */
function prefixesByArea(order: readonly PatchRect[], fractions: readonly number[], height: number, width: number) {
  const covered = new Uint8Array(height * width);
  let count = 0;
  const lengths = new Array<number>(fractions.length).fill(order.length);
  const sorted = fractions.map((f, i) => ({ f, i })).sort((a, b) => a.f - b.f);
  let next = 0;
  for (let n = 0; n < order.length && next < sorted.length; n++) {
    count += cover(covered, width, height, order[n]!);
    while (next < sorted.length && count >= sorted[next]!.f * height * width) lengths[sorted[next++]!.i] = n + 1;
  }
  return lengths.map((n) => order.slice(0, n));
}

/**
 * The masking analysis over `samples` (see the file comment). For each image: one forward pass for
 * the evidence ranking, then one batched classification of the unmasked image, the informed masks
 * and `draws` random masks per fraction.
 *
 * @throws {BagNetInputError} for no samples, a bad class, fraction or draw count.
 * @throws {BagNetAbortError} when `options.signal` aborts; no tensors are left behind.
 */
export async function maskingByArea(
  model: BagNet,
  samples: readonly MaskingSample[],
  options: AreaMaskingOptions = {},
): Promise<AreaMaskingResult> {
  if (samples.length === 0) throw new BagNetInputError(`${WHAT}: give at least one image.`);
  for (const s of samples) model.checkClass(s.classIndex);
  const fractions = options.fractions ?? DEFAULT_MASK_FRACTIONS;
  if (fractions.length === 0 || fractions.some((f) => !(f > 0 && f <= 1))) {
    throw new BagNetInputError(`${WHAT}: fractions must be numbers in (0, 1], got [${fractions.join(', ')}].`);
  }
  const draws = positiveInteger(options.draws ?? 10, 'draws', WHAT);
  if (draws < 2) throw new BagNetInputError(`${WHAT}: draws must be at least 2 to show a spread, got ${draws}.`);
  const fill = options.fill ?? DEFAULT_FILL;
  const random = seededRandom(options.seed ?? 0);
  const F = fractions.length;
  const informed = new Float64Array(F);
  const drawMeans = Array.from({ length: draws }, () => new Float64Array(F));
  let baseline = 0;
  const perImage = 1 + F * (1 + draws);
  const total = samples.length * perImage;
  for (let s = 0; s < samples.length; s++) {
    throwIfAborted(options.signal, WHAT);
    const { image, classIndex: c } = samples[s]!;
    const evidence = await model.evidence(image, { signal: options.signal });
    const { geometry } = evidence;
    const contributions = evidence.classEvidence(c).contributions;
    evidence.dispose();
    const pixels = await readModelInput(model, image, WHAT);
    // Occlusion by the model's own q×q patches, the same share of pixels for both orders.
    const { height, width } = pixels;
    const cellRect = (i: number) => geometry.cellRect(Math.floor(i / geometry.cols), i % geometry.cols);
    const masks = [
      [] as PatchRect[],
      ...prefixesByArea(
        informedOrder(geometry, pixelEvidence(geometry, contributions), geometry.size),
        fractions,
        height,
        width,
      ),
      ...Array.from({ length: draws }, () =>
        prefixesByArea(Array.from(randomPermutation(geometry.size, random), cellRect), fractions, height, width),
      ).flat(),
    ];
    const logits = await classifyVariants(
      bagnetClassifier(model),
      pixels,
      masks.length,
      (i) => occlude(pixels, masks[i]!, fill),
      {
        ...options,
        batchSize: options.batchSize ?? masks.length,
        onProgress: (p) =>
          options.onProgress?.({
            fraction: (s * perImage + p.done) / total,
            done: s * perImage + p.done,
            total,
          }),
      },
      WHAT,
    );
    const base = logits[0]![c]!;
    baseline += base / samples.length;
    for (let j = 0; j < F; j++) {
      informed[j] = informed[j]! + (logits[1 + j]![c]! - base) / samples.length;
      for (let d = 0; d < draws; d++) {
        const m = drawMeans[d]!;
        m[j] = m[j]! + (logits[1 + F * (1 + d) + j]![c]! - base) / samples.length;
      }
    }
  }
  const randomMean = new Float64Array(F);
  const low = new Float64Array(F);
  const high = new Float64Array(F);
  const std = new Float64Array(F);
  const gaps = new Float64Array(F);
  for (let j = 0; j < F; j++) {
    const v = drawMeans.map((m) => m[j]!);
    const mean = v.reduce((a, b) => a + b, 0) / draws;
    randomMean[j] = mean;
    low[j] = Math.min(...v);
    high[j] = Math.max(...v);
    std[j] = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws - 1));
    gaps[j] = mean - informed[j]!;
  }
  return {
    fractions: [...fractions],
    images: samples.length,
    draws,
    informed,
    random: randomMean,
    randomLow: low,
    randomHigh: high,
    randomStd: std,
    gaps,
    gap: gaps.reduce((a, b) => a + b, 0) / F,
    belowBand: Array.from(informed, (v, j) => v < low[j]!),
    baseline,
  };
}
