/**
 * `patchwiseEvidence`: the reference implementation's heatmap method (`generate_heatmap_pytorch`
 * in the bagnets repository), patch by patch, in tfjs. It zero-pads the normalised image, cuts one
 * q×q patch per pixel, runs the patches in batches through the model's own `logitModel` (each
 * gives a 1×1 logit map) and keeps the requested classes. Exact by construction and slow by
 * design (q²-fold overlapping work): it is the oracle `denseEvidence` is tested against and the
 * baseline it is benchmarked against. Same result type and semantics as `denseEvidence`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';

import type { BagNetArchitecture, PatchRect } from '../architecture.js';
import { receptiveFieldOf } from '../architecture.js';
import type { BagNet } from '../bagnet.js';
import { forwardMacs } from '../cost.js';
import { checkDenseRequest, DenseEvidence, densePadding } from './dense-evidence.js';
import type { DenseStride } from './dense-evidence.js';
import { BagNetInputError, throwIfAborted } from '../errors.js';
import type { BagNetImageInput } from '../preprocess.js';
import { DEFAULT_YIELD_INTERVAL_MS, TimeSlicer } from '../scheduling.js';

/** Default {@link PatchwiseOptions.batchSize}. */
export const DEFAULT_PATCH_BATCH = 256;

/** Progress of {@link patchwiseEvidence}, by patches. */
export interface PatchwiseProgress {
  readonly fraction: number;
  readonly patchesDone: number;
  readonly patchesTotal: number;
}

/** Options of {@link patchwiseEvidence}. */
export interface PatchwiseOptions {
  /** Model class indices to keep (each once). The model still computes every class, as the reference. */
  readonly classes: readonly number[];
  /** Pixel spacing of the samples (default 1: every pixel). */
  readonly stride?: DenseStride;
  /** Patches per forward pass (default {@link DEFAULT_PATCH_BATCH}; the reference uses 1000). */
  readonly batchSize?: number;
  /**
   * Only compute the samples whose pixel lies in this rectangle (e.g. a detail view, or a subset to
   * time); the others are NaN. Default: the whole image.
   */
  readonly region?: PatchRect;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PatchwiseProgress) => void;
  /** Minimum work time between yields to the event loop, in ms (default 30). */
  readonly yieldIntervalMs?: number;
}

const WHAT = 'patchwiseEvidence()';

function checkRegion(region: PatchRect | undefined, height: number, width: number): PatchRect {
  if (region === undefined) return { x: 0, y: 0, width, height };
  const { x, y, width: w, height: h } = region;
  if (![x, y, w, h].every(Number.isInteger) || x < 0 || y < 0 || w < 1 || h < 1 || x + w > width || y + h > height) {
    throw new BagNetInputError(
      `${WHAT}: region {x: ${String(x)}, y: ${String(y)}, width: ${String(w)}, height: ${String(h)}} must be a ` +
        `non-empty integer rectangle inside the ${width}×${height} image.`,
    );
  }
  return region;
}

/** The sample positions (multiples of `stride`) in [start, start + size). */
function samples(start: number, size: number, stride: number): number[] {
  const out: number[] = [];
  for (let v = Math.ceil(start / stride) * stride; v < start + size; v += stride) out.push(v);
  return out;
}

/**
 * Multiply-adds `patchwiseEvidence` performs for an image of `height` × `width` (all classes per
 * patch, as it runs the full model): patches × one forward pass on a q×q patch.
 */
export function patchwiseEvidenceMacs(
  architecture: BagNetArchitecture,
  height: number,
  width: number,
  options: { readonly stride?: DenseStride; readonly region?: PatchRect } = {},
): number {
  const q = receptiveFieldOf(architecture).receptiveField;
  const s = options.stride ?? 1;
  const r = options.region ?? { x: 0, y: 0, width, height };
  return samples(r.y, r.height, s).length * samples(r.x, r.width, s).length * forwardMacs(architecture, q, q);
}

/**
 * The reference's patch-by-patch heatmap (see the file comment): for every sample pixel, the
 * requested class logits of the q×q patch of the zero-padded normalised image centred on it.
 * Reads the padded image from the device once, then builds each batch of patches on the CPU.
 *
 * @throws {BagNetInputError} for a bad stride, class list, batch size or region, or an image
 *   smaller than q.
 * @throws {BagNetAbortError} when `options.signal` aborts; no tensors are left behind.
 */
export async function patchwiseEvidence(
  model: BagNet,
  image: BagNetImageInput,
  options: PatchwiseOptions,
): Promise<DenseEvidence> {
  const { classes, stride } = checkDenseRequest(model, options, WHAT);
  const batchSize = options.batchSize ?? DEFAULT_PATCH_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new BagNetInputError(`${WHAT}: batchSize must be a positive integer, got ${String(batchSize)}.`);
  }
  throwIfAborted(options.signal, WHAT);
  const x = await model.preprocess(image);
  const [, height, width] = x.shape;
  const q = model.receptiveField;
  const { before, after } = densePadding(q);
  let padded: Float32Array;
  let region: PatchRect;
  try {
    region = checkRegion(options.region, height, width);
    const p = tf.pad(x, [
      [0, 0],
      [before, after],
      [before, after],
      [0, 0],
    ]);
    try {
      padded = (await p.data()) as Float32Array;
    } finally {
      p.dispose();
    }
  } finally {
    x.dispose();
  }
  const paddedWidth = width + q - 1;
  const rows = Math.ceil(height / stride);
  const cols = Math.ceil(width / stride);
  const maps = classes.map(() => new Float32Array(rows * cols).fill(Number.NaN));
  const ys = samples(region.y, region.height, stride);
  const xs = samples(region.x, region.width, stride);
  const total = ys.length * xs.length;
  const slicer = new TimeSlicer(options.yieldIntervalMs ?? DEFAULT_YIELD_INTERVAL_MS);
  const patchSize = q * q * 3;
  const index = tf.tensor1d([...classes], 'int32');
  try {
    for (let start = 0; start < total; start += batchSize) {
      throwIfAborted(options.signal, WHAT);
      const n = Math.min(batchSize, total - start);
      const batch = new Float32Array(n * patchSize);
      for (let p = 0; p < n; p++) {
        const y = ys[Math.floor((start + p) / xs.length)]!;
        const x0 = xs[(start + p) % xs.length]!;
        for (let r = 0; r < q; r++) {
          const src = ((y + r) * paddedWidth + x0) * 3;
          batch.set(padded.subarray(src, src + q * 3), p * patchSize + r * q * 3);
        }
      }
      const logits = tf.tidy(() => {
        const map = model.logitMap(tf.tensor4d(batch, [n, q, q, 3]));
        return tf.gather(tf.reshape(map, [n, model.numClasses]) as Tensor2D, index, 1);
      });
      let values: Float32Array;
      try {
        values = (await logits.data()) as Float32Array;
      } finally {
        logits.dispose();
      }
      for (let p = 0; p < n; p++) {
        const y = ys[Math.floor((start + p) / xs.length)]!;
        const x0 = xs[(start + p) % xs.length]!;
        const at = (y / stride) * cols + x0 / stride;
        for (let c = 0; c < classes.length; c++) maps[c]![at] = values[p * classes.length + c]!;
      }
      const done = start + n;
      options.onProgress?.({ fraction: done / total, patchesDone: done, patchesTotal: total });
      await slicer.step();
    }
    throwIfAborted(options.signal, WHAT);
  } finally {
    index.dispose();
  }
  return new DenseEvidence({
    stride,
    imageHeight: height,
    imageWidth: width,
    receptiveField: q,
    classes,
    maps,
    isFinal: true,
  });
}
