/**
 * BagNet architecture: the reference network's shape, small variants of it, and its geometry
 * (which image rectangle each cell of the evidence map sees).
 *
 * Reference (Brendel & Bethge 2019, bagnets/pytorchnet.py): a ResNet-50 whose convolutions are
 * unpadded ("valid"): a 1×1 stem conv, a 3×3 stem conv + BN + ReLU, then four stages of
 * bottleneck blocks ([3, 4, 6, 3]) with strides [2, 2, 2, 1] in the first block of each stage.
 * Only the first `kernel3[i]` blocks of stage i use a 3×3 middle conv (the rest 1×1), which caps
 * the receptive field at q = 9, 17 or 33 pixels. The shortcut is cropped to its top-left part.
 * A linear head is applied at every position; the image logits are the mean of that map.
 */
import { BagNetInputError } from './errors.js';

/** The receptive fields of the published BagNets. */
export type StandardReceptiveField = 9 | 17 | 33;

/** Number of leading blocks per stage with a 3×3 middle conv, for the published models. */
export const KERNEL3_BY_Q: Readonly<Record<StandardReceptiveField, readonly number[]>> = {
  9: [1, 1, 0, 0],
  17: [1, 1, 1, 0],
  33: [1, 1, 1, 1],
};

/** Bottleneck expansion: a block's output has 4× its width in channels (as in ResNet-50). */
export const EXPANSION = 4;
/** BatchNorm epsilon of the reference (PyTorch's default). */
export const BN_EPSILON = 1e-5;
/**
 * Most blocks per stage an architecture may have (the published BagNets have 3–6; ResNet-152 36).
 * A bound, because architectures come from files: tfjs-layers builds a graph recursively and
 * overflows the stack at around 500 blocks in all, and a count of 10⁸ in a model.json would exhaust
 * memory before any weight is read.
 */
export const MAX_BLOCKS_PER_STAGE = 64;

/** A fully resolved BagNet architecture. Stored in model metadata. */
export interface BagNetArchitecture {
  /** Channels of the stem convolutions. */
  readonly stemWidth: number;
  /** Bottleneck width per stage (block output = 4 × width). */
  readonly stageWidths: readonly [number, number, number, number];
  /** Blocks per stage. */
  readonly blocks: readonly [number, number, number, number];
  /** Stride of the first block of each stage: 1 or 2. */
  readonly stageStrides: readonly [number, number, number, number];
  /** Leading blocks per stage whose middle conv is 3×3 (the rest are 1×1). */
  readonly kernel3: readonly [number, number, number, number];
  /** Number of classes of the head. */
  readonly numClasses: number;
}

/** Options for {@link bagnetArchitecture}. */
export interface BagNetArchitectureOptions {
  /** Receptive field of a published BagNet (9, 17 or 33). Sets `kernel3`. Default 33. */
  q?: StandardReceptiveField;
  /** Explicit 3×3 block counts per stage (overrides `q`). */
  kernel3?: readonly number[];
  /** Number of classes. Default 1000. */
  numClasses?: number;
  /** Width multiplier applied to 64 (stem) and [64, 128, 256, 512] (stages). Default 1. */
  widthScale?: number;
  /** Blocks per stage. Default [3, 4, 6, 3]. */
  blocks?: readonly number[];
  /** Stride of each stage's first block, each 1 or 2. Default [2, 2, 2, 1]. */
  stageStrides?: readonly number[];
}

/** Channel count scaled by f, rounded half up, at least 1 (as the reference generator). */
export function scaleWidth(channels: number, f: number): number {
  return Math.max(1, Math.floor(channels * f + 0.5));
}

function quad(name: string, v: readonly number[], check: (x: number) => boolean, want: string) {
  if (v.length !== 4 || !v.every((x) => Number.isInteger(x) && check(x))) {
    throw new BagNetInputError(`Invalid BagNet architecture: ${name} must be 4 ${want}, got [${v.join(', ')}].`);
  }
  return [v[0], v[1], v[2], v[3]] as [number, number, number, number];
}

/**
 * Resolves architecture options to a full {@link BagNetArchitecture}. The defaults give the
 * published BagNet-33 (1000 classes, full width).
 */
export function bagnetArchitecture(options: BagNetArchitectureOptions = {}): BagNetArchitecture {
  const q = options.q ?? 33;
  if (options.kernel3 === undefined && !(q in KERNEL3_BY_Q)) {
    throw new BagNetInputError(
      `Unknown BagNet receptive field q=${String(q)}: use 9, 17 or 33, or pass kernel3 explicitly.`,
    );
  }
  const scale = options.widthScale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new BagNetInputError(`widthScale must be a positive number, got ${String(scale)}.`);
  }
  const numClasses = options.numClasses ?? 1000;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new BagNetInputError(`numClasses must be a positive integer, got ${String(numClasses)}.`);
  }
  return validateArchitecture({
    stemWidth: scaleWidth(64, scale),
    stageWidths: quad(
      'stageWidths',
      [64, 128, 256, 512].map((c) => scaleWidth(c, scale)),
      (x) => x > 0,
      'positive integers',
    ),
    blocks: quad('blocks', options.blocks ?? [3, 4, 6, 3], (x) => x >= 1, 'integers ≥ 1'),
    stageStrides: quad(
      'stageStrides',
      options.stageStrides ?? [2, 2, 2, 1],
      (x) => x === 1 || x === 2,
      'strides of 1 or 2',
    ),
    kernel3: quad('kernel3', options.kernel3 ?? KERNEL3_BY_Q[q], (x) => x >= 0, 'integers ≥ 0'),
    numClasses,
  });
}

/** Checks an architecture read from a file or built by hand; returns it unchanged. */
export function validateArchitecture(a: BagNetArchitecture): BagNetArchitecture {
  const pos = (x: number) => x > 0;
  if (!Number.isInteger(a.stemWidth) || a.stemWidth < 1) {
    throw new BagNetInputError(
      `Invalid BagNet architecture: stemWidth must be a positive integer, got ${String(a.stemWidth)}.`,
    );
  }
  quad('stageWidths', a.stageWidths, pos, 'positive integers');
  const blocks = quad(
    'blocks',
    a.blocks,
    (x) => x >= 1 && x <= MAX_BLOCKS_PER_STAGE,
    `integers from 1 to ${MAX_BLOCKS_PER_STAGE}`,
  );
  quad('stageStrides', a.stageStrides, (x) => x === 1 || x === 2, 'strides of 1 or 2');
  const k3 = quad('kernel3', a.kernel3, (x) => x >= 0, 'integers ≥ 0');
  k3.forEach((k, i) => {
    if (k > blocks[i]!) {
      throw new BagNetInputError(
        `Invalid BagNet architecture: kernel3[${i}] = ${k} exceeds blocks[${i}] = ${blocks[i]!}.`,
      );
    }
  });
  if (!Number.isInteger(a.numClasses) || a.numClasses < 1) {
    throw new BagNetInputError(
      `Invalid BagNet architecture: numClasses must be a positive integer, got ${String(a.numClasses)}.`,
    );
  }
  return a;
}

/** One bottleneck block's static description. */
export interface BlockSpec {
  /** Name prefix matching the reference's state_dict keys, e.g. `layer2.0`. */
  readonly key: string;
  readonly inChannels: number;
  readonly width: number;
  readonly outChannels: number;
  readonly stride: number;
  /** Middle conv kernel size: 3 or 1. */
  readonly kernel: 1 | 3;
  /** Whether the shortcut is a projection (1×1 conv + BN) rather than the identity. */
  readonly projection: boolean;
  /** Rows/cols cut from the bottom/right of the shortcut so it matches the main path. */
  readonly crop: number;
}

/** Lists every bottleneck block of an architecture, in order. */
export function blockSpecs(a: BagNetArchitecture): BlockSpec[] {
  const out: BlockSpec[] = [];
  let c = a.stemWidth;
  for (let s = 0; s < 4; s++) {
    for (let b = 0; b < a.blocks[s]!; b++) {
      const stride = b === 0 ? a.stageStrides[s]! : 1;
      const kernel: 1 | 3 = b < a.kernel3[s]! ? 3 : 1;
      const width = a.stageWidths[s]!;
      const outChannels = width * EXPANSION;
      // Main path: floor((n - k)/s) + 1; shortcut: floor((n - 1)/s) + 1. For s ∈ {1, 2} their
      // difference does not depend on n: k - 1 for s = 1, and (k - 1)/2 for s = 2.
      const crop = stride === 1 ? kernel - 1 : (kernel - 1) / 2;
      out.push({
        key: `layer${s + 1}.${b}`,
        inChannels: c,
        width,
        outChannels,
        stride,
        kernel,
        projection: b === 0 && (stride !== 1 || c !== outChannels),
        crop,
      });
      c = outChannels;
    }
  }
  return out;
}

/** Channels of the per-patch embedding (the features the head reads). */
export function featureChannels(a: BagNetArchitecture): number {
  return a.stageWidths[3] * EXPANSION;
}

/** Receptive field q (pixels) and total stride of an architecture. */
export function receptiveFieldOf(a: BagNetArchitecture): { receptiveField: number; stride: number } {
  // Stem: 1×1 then 3×3 (stride 1) → 3 px. Each 3×3 conv adds 2 × (current jump).
  let rf = 3;
  let jump = 1;
  for (const b of blockSpecs(a)) {
    if (b.kernel === 3) rf += 2 * jump;
    jump *= b.stride;
  }
  return { receptiveField: rf, stride: jump };
}

/** Size of one spatial side after every layer; `null` when the input is smaller than q. */
export function outputSide(a: BagNetArchitecture, n: number): number | null {
  let x = n - 2; // stem 3×3 valid
  for (const b of blockSpecs(a)) {
    if (x < b.kernel) return null;
    x = Math.floor((x - b.kernel) / b.stride) + 1;
  }
  return x >= 1 ? x : null;
}

/** An image rectangle in pixels. */
export interface PatchRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Geometry of an evidence map: the grid of cells over an image and the q×q patch each sees.
 * Cell (row, col) sees the image rectangle x = stride·col, y = stride·row, q × q.
 */
export class PatchGeometry {
  /** Receptive field q in pixels. */
  readonly receptiveField: number;
  /** Cell stride in pixels. */
  readonly stride: number;
  /** Image height and width the map was computed on. */
  readonly imageHeight: number;
  readonly imageWidth: number;
  /** Grid rows and columns. */
  readonly rows: number;
  readonly cols: number;

  constructor(
    receptiveField: number,
    stride: number,
    imageHeight: number,
    imageWidth: number,
    rows: number,
    cols: number,
  ) {
    this.receptiveField = receptiveField;
    this.stride = stride;
    this.imageHeight = imageHeight;
    this.imageWidth = imageWidth;
    this.rows = rows;
    this.cols = cols;
  }

  /** Geometry of `architecture` on an image of `height` × `width`; throws if smaller than q. */
  static of(a: BagNetArchitecture, height: number, width: number): PatchGeometry {
    const { receptiveField, stride } = receptiveFieldOf(a);
    const rows = outputSide(a, height);
    const cols = outputSide(a, width);
    if (rows === null || cols === null) {
      throw new BagNetInputError(
        `Image of ${height}×${width} px is smaller than the model's receptive field ` +
          `q = ${receptiveField}: both sides must be at least ${receptiveField} px (resize it up first).`,
      );
    }
    return new PatchGeometry(receptiveField, stride, height, width, rows, cols);
  }

  /** Number of cells. */
  get size(): number {
    return this.rows * this.cols;
  }

  /** The image rectangle cell (row, col) sees. */
  cellRect(row: number, col: number): PatchRect {
    this.checkCell(row, col);
    const q = this.receptiveField;
    return { x: this.stride * col, y: this.stride * row, width: q, height: q };
  }

  /** The cell whose patch starts nearest to image pixel (x, y), clamped to the grid. */
  cellAt(x: number, y: number): { row: number; col: number } {
    const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
    const half = (this.receptiveField - 1) / 2;
    return {
      row: clamp(Math.round((y - half) / this.stride), this.rows),
      col: clamp(Math.round((x - half) / this.stride), this.cols),
    };
  }

  /** Throws when (row, col) is outside the grid. */
  checkCell(row: number, col: number): void {
    if (
      !Number.isInteger(row) ||
      !Number.isInteger(col) ||
      row < 0 ||
      col < 0 ||
      row >= this.rows ||
      col >= this.cols
    ) {
      throw new BagNetInputError(
        `Cell (${String(row)}, ${String(col)}) is outside the ${this.rows}×${this.cols} evidence grid.`,
      );
    }
  }
}

/** Name and shape of one weight of the folded model, in the order the layers hold them. */
export interface WeightSpec {
  /** `<layer>/kernel` or `<layer>/bias`, e.g. `layer1_0_conv2/kernel`. */
  readonly name: string;
  readonly shape: readonly number[];
}

/** Layer name of a reference module path, e.g. `layer1.0.conv2` → `layer1_0_conv2`. */
export function layerName(modulePath: string): string {
  return modulePath.replace(/\./g, '_');
}

/** The weights of the folded model, in order: name and HWIO / [C] shape. */
export function foldedWeightSpecs(architecture: BagNetArchitecture): WeightSpec[] {
  const a = validateArchitecture(architecture);
  const specs: WeightSpec[] = [];
  const add = (name: string, k: number, cin: number, cout: number, bias = true) => {
    specs.push({ name: `${layerName(name)}/kernel`, shape: [k, k, cin, cout] });
    if (bias) specs.push({ name: `${layerName(name)}/bias`, shape: [cout] });
  };
  add('conv1', 1, 3, a.stemWidth, false);
  add('conv2', 3, a.stemWidth, a.stemWidth);
  for (const b of blockSpecs(a)) {
    add(`${b.key}.conv1`, 1, b.inChannels, b.width);
    add(`${b.key}.conv2`, b.kernel, b.width, b.width);
    add(`${b.key}.conv3`, 1, b.width, b.outChannels);
    if (b.projection) add(`${b.key}.downsample`, 1, b.inChannels, b.outChannels);
  }
  add('head', 1, featureChannels(a), a.numClasses);
  return specs;
}
