/**
 * DenseEvidence: a BagNet's per-pixel heatmap — for a pixel, the class logit of the q×q patch
 * centred on it — as computed by `denseEvidence` (fast, progressive) or `patchwiseEvidence` (the
 * reference method, patch by patch). Both return the same values; this file holds the result type
 * and the request checks they share.
 *
 * Semantics (the reference `generate_heatmap_pytorch`): the *normalised* image is zero-padded by
 * `a = (q − 1) / 2` rows/columns at the top/left and `q − 1 − a` at the bottom/right; the value at
 * pixel (y, x) is the class logit of the q×q window of the padded image with top-left (y, x), i.e.
 * the patch centred on (y, x). Zero in normalised space is the dataset's mean colour. A map at
 * stride s holds the pixels (s·i, s·j) only.
 */
import type { BagNet } from '../bagnet.js';
import { BagNetInputError } from '../errors.js';

/** Pixel spacing of a dense map's samples: 8 is one sample per evidence-map cell, 1 every pixel. */
export type DenseStride = 8 | 4 | 2 | 1;

/** The strides {@link DenseStride} allows, coarsest first (the order of progressive levels). */
export const DENSE_STRIDES: readonly DenseStride[] = [8, 4, 2, 1];

/** The fields of a {@link DenseEvidence}. */
export interface DenseEvidenceData {
  /** Pixel spacing of the samples (a power of two). */
  readonly stride: number;
  readonly imageHeight: number;
  readonly imageWidth: number;
  /** Receptive field q of the model (side of each patch). */
  readonly receptiveField: number;
  /** The model class index of each map, in the order of `maps`. */
  readonly classes: readonly number[];
  /** One row-major `rows × cols` array per entry of `classes`; `rows = ceil(H / stride)`. */
  readonly maps: readonly Float32Array[];
  /** Whether this is the finest level the computation will deliver. */
  readonly isFinal: boolean;
}

/**
 * Per-pixel class evidence of an image, sampled every {@link stride} pixels: sample (i, j) of a
 * class map is the class logit of the q×q patch centred on pixel (y = stride·i, x = stride·j) of
 * the zero-padded normalised image (see the file comment). At stride 1 each map is [H, W]. Plain
 * CPU data: nothing to dispose.
 */
export class DenseEvidence {
  /** Pixel spacing of the samples (a power of two; 1 = every pixel). */
  readonly stride: number;
  /** Sample rows and columns: `ceil(imageHeight / stride)`, `ceil(imageWidth / stride)`. */
  readonly rows: number;
  readonly cols: number;
  readonly imageHeight: number;
  readonly imageWidth: number;
  /** Receptive field q of the model in pixels. */
  readonly receptiveField: number;
  /** The model class index of each entry of {@link maps}. */
  readonly classes: readonly number[];
  /** Row-major `rows × cols` logits per entry of {@link classes}. Do not mutate. */
  readonly maps: readonly Float32Array[];
  /** Whether this is the last (finest) level of its computation. */
  readonly isFinal: boolean;

  /** Wraps computed maps; throws {@link BagNetInputError} when their sizes do not match. */
  constructor(data: DenseEvidenceData) {
    const { stride, imageHeight, imageWidth } = data;
    this.stride = stride;
    this.rows = Math.ceil(imageHeight / stride);
    this.cols = Math.ceil(imageWidth / stride);
    if (data.maps.length !== data.classes.length || data.maps.some((m) => m.length !== this.rows * this.cols)) {
      throw new BagNetInputError(
        `Dense evidence data must hold one ${this.rows}×${this.cols} map per class (${data.classes.length} classes), ` +
          `got ${data.maps.length} maps of sizes ${data.maps.map((m) => m.length).join(', ')}.`,
      );
    }
    this.imageHeight = imageHeight;
    this.imageWidth = imageWidth;
    this.receptiveField = data.receptiveField;
    this.classes = data.classes;
    this.maps = data.maps;
    this.isFinal = data.isFinal;
  }

  /** The map of model class `classIndex` (owned by this object: do not mutate). */
  classMap(classIndex: number): Float32Array {
    const k = this.classes.indexOf(classIndex);
    if (k < 0) {
      throw new BagNetInputError(
        `Class ${String(classIndex)} was not computed: this dense map holds classes ${this.classes.join(', ')}. ` +
          'Request it in the `classes` option.',
      );
    }
    return this.maps[k]!;
  }

  /** The sample covering pixel (x, y): sample (floor(y / stride), floor(x / stride)). */
  valueAt(classIndex: number, x: number, y: number): number {
    const map = this.classMap(classIndex);
    if (
      !Number.isInteger(x) ||
      !Number.isInteger(y) ||
      x < 0 ||
      y < 0 ||
      x >= this.imageWidth ||
      y >= this.imageHeight
    ) {
      throw new BagNetInputError(
        `Pixel (${String(x)}, ${String(y)}) is outside the ${this.imageWidth}×${this.imageHeight} image.`,
      );
    }
    return map[Math.floor(y / this.stride) * this.cols + Math.floor(x / this.stride)]!;
  }

  /**
   * The class map at full image resolution [H × W]: each pixel takes the value of the sample
   * covering it (a block fill), so a coarse level can be painted like the final one. A new array.
   */
  toImage(classIndex: number): Float32Array {
    const map = this.classMap(classIndex);
    const { imageHeight: h, imageWidth: w, stride: s, cols } = this;
    if (s === 1) return map.slice();
    const out = new Float32Array(h * w);
    for (let y = 0; y < h; y++) {
      const row = Math.floor(y / s) * cols;
      for (let x = 0; x < w; x++) out[y * w + x] = map[row + Math.floor(x / s)]!;
    }
    return out;
  }
}

/** A checked dense-evidence request. */
export interface DenseRequest {
  readonly classes: readonly number[];
  readonly stride: DenseStride;
}

/**
 * Checks the options shared by the dense-evidence functions; `what` names the caller in
 * messages. Throws {@link BagNetInputError}.
 */
export function checkDenseRequest(
  model: BagNet,
  options: { readonly classes?: readonly number[]; readonly stride?: number },
  what: string,
): DenseRequest {
  const stride = options.stride ?? 1;
  if (!(DENSE_STRIDES as readonly number[]).includes(stride)) {
    throw new BagNetInputError(
      `${what}: stride must be 1, 2, 4 or 8 (pixels between heatmap samples), got ${String(stride)}.`,
    );
  }
  if (stride > model.stride) {
    throw new BagNetInputError(
      `${what}: stride ${stride} is coarser than this model's evidence-map stride ${model.stride}; use ${model.stride} or less.`,
    );
  }
  const classes = options.classes;
  if (!Array.isArray(classes) || classes.length === 0) {
    throw new BagNetInputError(`${what}: pass the class indices to compute, e.g. { classes: [topClass] }.`);
  }
  for (const c of classes as readonly unknown[]) {
    if (typeof c !== 'number') {
      throw new BagNetInputError(`${what}: class indices must be numbers, got ${JSON.stringify(c)}.`);
    }
    model.checkClass(c);
  }
  if (new Set(classes).size !== classes.length) {
    throw new BagNetInputError(`${what}: classes [${classes.join(', ')}] contain duplicates; list each class once.`);
  }
  return { classes: [...classes], stride: stride as DenseStride };
}

/** Zero-padding of the normalised image (top, bottom, left, right) for a receptive field q. */
export function densePadding(q: number): { readonly before: number; readonly after: number } {
  const before = Math.floor((q - 1) / 2);
  return { before, after: q - 1 - before };
}
