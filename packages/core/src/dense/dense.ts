/**
 * `denseEvidence`: a BagNet's per-pixel heatmap (semantics in dense-evidence.ts) computed exactly,
 * with the arithmetic of the à-trous (dilated) evaluation, and delivered coarse to fine.
 *
 * Method. The network is a stack of valid convolutions; the stride-2 blocks (the first block of
 * stages 1–3) make its total stride S = 8. The heatmap is the network evaluated at every pixel
 * offset of the padded image. We evaluate it in polyphase form ("shift and stitch" without
 * duplicated work): at a stride-2 block entered at cumulative stride D, its input (one phase of
 * the dense feature map) is shifted by (α, β) ∈ {0, 1}² before the strided convolution; the
 * results are the four phases, at offsets (α·D, β·D), of the dense map after the block, and they
 * travel on as a batch through the original, undilated layers. The block's first 1×1 conv runs
 * once, before the shift. Every distinct position of every layer is computed exactly once — the
 * multiply-adds of the à-trous network — with only plain stride-1/2 convolutions.
 *
 * Progressive levels. Level S is phase (0, 0) everywhere: the plain forward pass on the padded
 * image (one evidence-map pass, "instant"). Level s = S/2, S/4, … adds exactly the phases whose
 * offsets are multiples of s but not both of 2s: they branch off at the stride block entered at
 * cumulative stride s, from that block's phase-(0, 0) input, which level S already computed and
 * cached. So all levels together cost what the finest level alone costs.
 *
 * Only the requested classes go through the head (its kernel columns are gathered).
 *
 * Shapes. The padded image gets extra zero rows/columns at the bottom/right until the output has
 * a multiple of S rows and columns; then all phases of a layer have the same size (and batch);
 * the extra samples are dropped. Work runs in steps — a group of sibling phases through one
 * segment (the layers between two stride blocks) — between which the event loop gets a turn
 * (time-sliced), progress is reported and the AbortSignal is checked. Groups are as large as the
 * memory budget allows; an image too large for the budget is split into bands of output rows
 * (each with the input rows its patches need), which then recompute the shared path per level.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';

import { blockSpecs, featureChannels, receptiveFieldOf, validateArchitecture } from './architecture.js';
import type { BagNetArchitecture, BlockSpec } from './architecture.js';
import type { BagNet } from './bagnet.js';
import { layerName } from './build.js';
import { checkDenseRequest, DenseEvidence, densePadding } from './dense-evidence.js';
import type { DenseStride } from './dense-evidence.js';
import { raceAbort, throwIfAborted } from './errors.js';
import type { BagNetImageInput } from './preprocess.js';
import { TimeSlicer } from './scheduling.js';

/** Default {@link DenseEvidenceOptions.memoryBudget}: 256 MiB of activations. */
export const DEFAULT_DENSE_MEMORY_BUDGET = 256 * 2 ** 20;
/** Default {@link DenseEvidenceOptions.yieldIntervalMs}. */
export const DEFAULT_YIELD_INTERVAL_MS = 30;
/** Default {@link DenseEvidenceOptions.stepMs}. */
export const DEFAULT_STEP_MS = 30;

/** Progress of a dense-evidence computation, by multiply-adds. */
export interface DenseProgress {
  /** Share of the work done, 0 to 1. */
  readonly fraction: number;
  /** Sample stride of the level being computed. */
  readonly stride: number;
  /** Multiply-adds done so far and in total (estimated from the architecture). */
  readonly macsDone: number;
  readonly macsTotal: number;
}

/** Options of {@link denseEvidence} and {@link denseEvidenceLevels}. */
export interface DenseEvidenceOptions {
  /** Model class indices to compute (at least one; each once). Only these go through the head. */
  readonly classes: readonly number[];
  /** Finest sample stride in pixels; 1 (default) gives one value per pixel. */
  readonly stride?: DenseStride;
  /** Cancels the computation: it rejects with `BagNetAbortError` and leaves no tensors behind. */
  readonly signal?: AbortSignal;
  /** Called after every step with the share of work done. */
  readonly onProgress?: (progress: DenseProgress) => void;
  /**
   * Approximate bytes of activations one step may hold (default {@link DEFAULT_DENSE_MEMORY_BUDGET}).
   * Smaller budgets mean smaller steps and, for large images, row bands (which recompute their
   * borders: a little slower).
   */
  readonly memoryBudget?: number;
  /**
   * Minimum work time between two yields to the event loop, in ms (default
   * {@link DEFAULT_YIELD_INTERVAL_MS}); 0 yields after every step.
   */
  readonly yieldIntervalMs?: number;
  /**
   * Target duration of one step in ms (default {@link DEFAULT_STEP_MS}), from the throughput
   * measured on the steps so far: sibling phases are batched up to it. The smallest step is one
   * phase of one band through one segment (~1/64 of the finest level for a whole image), so
   * large models block longer per step — run them in a worker. `Infinity` batches as much as the
   * memory budget allows (fewest, largest steps).
   */
  readonly stepMs?: number;
}

/** Options of {@link denseEvidence}: those of {@link denseEvidenceLevels} plus a level callback. */
export interface DenseEvidenceCallbackOptions extends DenseEvidenceOptions {
  /** Receives every level, coarsest first, as soon as it is ready (e.g. to paint it). */
  readonly onLevel?: (level: DenseEvidence) => void;
}

type Shift = readonly [number, number];
const ZERO_PHASE: readonly Shift[] = [[0, 0]];
const NEW_PHASES: readonly Shift[] = [
  [0, 1],
  [1, 0],
  [1, 1],
];
const ALL_PHASES: readonly Shift[] = [[0, 0], ...NEW_PHASES];

// ---------------------------------------------------------------------------------------------
// Layout and cost model (mirrors DenseNetwork below, per batch element)
// ---------------------------------------------------------------------------------------------

/** Multiply-adds, peak live floats and output size of a piece of work on one batch element. */
interface Cost {
  readonly macs: number;
  readonly floats: number;
  readonly h: number;
  readonly w: number;
}

/** The network cut at its stride-2 blocks: segment 0 is the stem and the blocks before the first. */
class DenseLayout {
  readonly specs: readonly BlockSpec[];
  /** Indices (into `specs`) of the stride-2 blocks; segment j ≥ 1 starts at strideBlocks[j − 1]. */
  readonly strideBlocks: readonly number[];
  readonly receptiveField: number;
  /** Total stride S = 2^strideBlocks.length. */
  readonly stride: number;
  readonly stemWidth: number;
  readonly features: number;

  constructor(architecture: BagNetArchitecture) {
    const a = validateArchitecture(architecture);
    this.specs = blockSpecs(a);
    this.strideBlocks = this.specs.flatMap((b, i) => (b.stride === 2 ? [i] : []));
    const rf = receptiveFieldOf(a);
    this.receptiveField = rf.receptiveField;
    this.stride = rf.stride;
    this.stemWidth = a.stemWidth;
    this.features = featureChannels(a);
  }

  /** Number of stride-2 blocks (n; segments are 0..n). */
  get splits(): number {
    return this.strideBlocks.length;
  }

  /** The blocks [start, end) of segment j. */
  blocksOf(j: number): [number, number] {
    const start = j === 0 ? 0 : this.strideBlocks[j - 1]!;
    const end = this.strideBlocks[j] ?? this.specs.length;
    return [start, end];
  }
}

function blockCost(spec: BlockSpec, h: number, w: number, withConv1: boolean): Cost {
  const { inChannels: cin, width, outChannels: cout, kernel: k, stride: s } = spec;
  const h2 = Math.floor((h - k) / s) + 1;
  const w2 = Math.floor((w - k) / s) + 1;
  const hs = Math.floor((h - 1) / s) + 1;
  const ws = Math.floor((w - 1) / s) + 1;
  const macs =
    (withConv1 ? h * w * cin * width : 0) +
    h2 * w2 * (k * k * width * width + width * cout) +
    (spec.projection ? hs * ws * cin * cout : 0);
  // Live inside the block: input and conv1 output (+ their shifted copies at a stride block),
  // conv2, conv3, shortcut, sum, output.
  const floats =
    h * w * (cin + width) * (s === 2 ? 2 : 1) + h2 * w2 * (width + 3 * cout) + (spec.projection ? hs * ws * cout : 0);
  return { macs, floats, h: h2, w: w2 };
}

/** Costs of the work on one band (input h0 × w0, padded) per batch element. */
interface BandCosts {
  /** Per segment j (0..n): one element through the segment (segment n includes the head). */
  readonly segments: readonly Cost[];
  /** Per j (1..n; index 0 unused): conv1 of stride block j on one element. */
  readonly pre: readonly Cost[];
  /** Per j (1..n): floats of stride block j's input and conv1 output (what the cache holds). */
  readonly rootFloats: readonly number[];
}

function bandCosts(layout: DenseLayout, h0: number, w0: number, classes: number): BandCosts {
  const segments: Cost[] = [];
  const pre: Cost[] = [{ macs: 0, floats: 0, h: 0, w: 0 }];
  const rootFloats: number[] = [0];
  // Segment 0: stem (1×1 then 3×3) and the blocks before the first stride block.
  const c = layout.stemWidth;
  let h = h0 - 2;
  let w = w0 - 2;
  let macs = h0 * w0 * 3 * c + h * w * 9 * c * c;
  let floats = h0 * w0 * (3 + c) + h * w * c;
  const chain = (start: number, end: number) => {
    for (let i = start; i < end; i++) {
      const b = blockCost(layout.specs[i]!, h, w, true);
      macs += b.macs;
      floats = Math.max(floats, b.floats);
      h = b.h;
      w = b.w;
    }
  };
  chain(...layout.blocksOf(0));
  for (let j = 1; j <= layout.splits; j++) {
    segments.push({ macs, floats, h, w });
    const [start, end] = layout.blocksOf(j);
    const spec = layout.specs[start]!;
    pre.push({ macs: h * w * spec.inChannels * spec.width, floats: h * w * (spec.inChannels + spec.width), h, w });
    rootFloats.push(h * w * (spec.inChannels + spec.width));
    const b = blockCost(spec, h, w, false);
    macs = b.macs;
    floats = b.floats;
    h = b.h;
    w = b.w;
    chain(start + 1, end);
  }
  macs += h * w * layout.features * classes;
  segments.push({ macs, floats, h, w });
  return { segments, pre, rootFloats };
}

interface Band {
  /** Output rows [i0, i1) of every final phase (units of S pixels). */
  readonly i0: number;
  readonly i1: number;
  readonly costs: BandCosts;
}

/** How a dense-evidence request is executed: levels, bands, caching, and what each costs. */
class DensePlan {
  readonly layout: DenseLayout;
  /** Sample strides of the levels, coarsest (S) first, down to the requested stride. */
  readonly levels: readonly number[];
  readonly bands: readonly Band[];
  /** Whether level S keeps the stride-block inputs for the finer levels (single band only). */
  readonly cache: boolean;
  /** Output rows/cols of each final phase over the whole image (H_dense / S). */
  readonly phaseRows: number;
  readonly phaseCols: number;
  readonly budget: number;

  constructor(layout: DenseLayout, height: number, width: number, classes: number, stride: number, budget: number) {
    this.layout = layout;
    this.budget = budget;
    const S = layout.stride;
    const q = layout.receptiveField;
    this.levels = [];
    for (let s = S; s >= stride; s /= 2) (this.levels as number[]).push(s);
    this.phaseRows = Math.ceil(height / S);
    this.phaseCols = Math.ceil(width / S);
    const w0 = S * this.phaseCols + q - 1;
    const costsFor = new Map<number, BandCosts>();
    const costs = (rows: number) => {
      let c = costsFor.get(rows);
      if (c === undefined) {
        c = bandCosts(layout, S * rows + q - 1, w0, classes);
        costsFor.set(rows, c);
      }
      return c;
    };
    const peakBytes = (c: BandCosts) => 4 * Math.max(...c.segments.map((s) => s.floats), ...c.pre.map((p) => p.floats));
    const cacheBytes = (c: BandCosts) =>
      4 * c.rootFloats.reduce((sum, f, j) => (j >= 1 && 2 ** (j - 1) >= stride ? sum + f : sum), 0);
    let rows = this.phaseRows;
    const whole = costs(rows);
    this.cache = this.levels.length > 1 && peakBytes(whole) + cacheBytes(whole) <= budget;
    while (rows > 1 && peakBytes(costs(rows)) > budget) rows = Math.ceil(rows / 2);
    const bands: Band[] = [];
    for (let i0 = 0; i0 < this.phaseRows; i0 += rows) {
      const i1 = Math.min(this.phaseRows, i0 + rows);
      bands.push({ i0, i1, costs: costs(i1 - i0) });
    }
    this.bands = bands;
    if (bands.length > 1) this.cache = false;
  }

  /** Multiply-adds of level `s` on `band`. */
  levelMacs(s: number, band: Band): number {
    const { segments, pre } = band.costs;
    const n = this.layout.splits;
    if (s === this.layout.stride) {
      return segments.reduce((sum, c) => sum + c.macs, 0) + pre.reduce((sum, c) => sum + c.macs, 0);
    }
    const root = Math.log2(s) + 1;
    let macs = 0;
    if (!this.cache) {
      for (let j = 0; j < root; j++) macs += segments[j]!.macs + (j >= 1 ? pre[j]!.macs : 0);
      macs += pre[root]!.macs;
    }
    let count = NEW_PHASES.length;
    for (let j = root; j <= n; j++) {
      macs += count * segments[j]!.macs;
      if (j < n) {
        macs += count * pre[j + 1]!.macs;
        count *= ALL_PHASES.length;
      }
    }
    return macs;
  }

  /** Multiply-adds of the whole request. */
  get totalMacs(): number {
    let total = 0;
    for (const s of this.levels) for (const band of this.bands) total += this.levelMacs(s, band);
    return total;
  }

  /**
   * How many of `shifts` sibling phases of a `batch`-element node go through segment j at once:
   * as many as the memory budget allows, and — given the measured time per multiply-add of each
   * segment, `msPerMac[k]` — as keep this step and the smallest possible steps below it (their
   * batch is at least this group's) within `stepMs`. Unmeasured segments allow one phase.
   */
  groupSize(
    j: number,
    batch: number,
    shifts: number,
    band: Band,
    stepMs: number,
    msPerMac: readonly (number | undefined)[],
  ): number {
    const { segments, pre } = band.costs;
    const bytes = 4 * segments[j]!.floats * batch;
    let g = Math.max(1, Math.min(shifts, Math.floor(this.budget / bytes)));
    if (Number.isFinite(stepMs)) {
      for (let k = j; k <= this.layout.splits; k++) {
        const rate = msPerMac[k];
        const macs = segments[k]!.macs + (k < this.layout.splits ? pre[k + 1]!.macs : 0);
        g = rate === undefined ? 1 : Math.min(g, Math.floor(stepMs / (rate * batch * macs)));
      }
      g = Math.max(1, g);
    }
    return g;
  }
}

/**
 * Multiply-adds `denseEvidence` performs for an image of `height` × `width` with `classes`
 * classes down to `stride` (all levels, one band). For benchmarks: compare with
 * `patchwiseEvidenceMacs`.
 */
export function denseEvidenceMacs(
  architecture: BagNetArchitecture,
  height: number,
  width: number,
  options: { readonly classes?: number; readonly stride?: DenseStride } = {},
): number {
  return new DensePlan(
    new DenseLayout(architecture),
    height,
    width,
    options.classes ?? 1,
    options.stride ?? 1,
    Number.POSITIVE_INFINITY,
  ).totalMacs;
}

// ---------------------------------------------------------------------------------------------
// The network as tfjs-core ops on the BagNet's weights
// ---------------------------------------------------------------------------------------------

interface ConvWeights {
  readonly kernel: Tensor4D;
  readonly bias?: Tensor1D;
}

interface BlockWeights {
  readonly spec: BlockSpec;
  readonly conv1: ConvWeights;
  readonly conv2: ConvWeights;
  readonly conv3: ConvWeights;
  readonly downsample?: ConvWeights;
}

function conv(x: Tensor4D, w: ConvWeights, stride: number, relu: boolean): Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: w.kernel,
    strides: stride,
    pad: 'valid',
    bias: w.bias,
    activation: relu ? 'relu' : 'linear',
  });
}

/**
 * A BagNet's folded weights as tensors (copies; the head reduced to the requested classes) and
 * its layers as functions on phase batches. Owns its tensors: call {@link dispose}.
 */
class DenseNetwork {
  readonly layout: DenseLayout;
  readonly #stem: readonly [ConvWeights, ConvWeights];
  readonly #blocks: readonly BlockWeights[];
  readonly #head: ConvWeights;
  readonly #tensors: tf.Tensor[] = [];

  private constructor(model: BagNet, classes: readonly number[], headBias: Float32Array) {
    this.layout = new DenseLayout(model.metadata.architecture);
    const all = model.getWeights();
    try {
      const take = (name: string, bias = true): ConvWeights => {
        const kernel = all.get(`${layerName(name)}/kernel`) as Tensor4D;
        const b = bias ? (all.get(`${layerName(name)}/bias`) as Tensor1D) : undefined;
        this.#tensors.push(kernel, ...(b ? [b] : []));
        all.delete(`${layerName(name)}/kernel`);
        all.delete(`${layerName(name)}/bias`);
        return b ? { kernel, bias: b } : { kernel };
      };
      this.#stem = [take('conv1', false), take('conv2')];
      this.#blocks = this.layout.specs.map((spec) => ({
        spec,
        conv1: take(`${spec.key}.conv1`),
        conv2: take(`${spec.key}.conv2`),
        conv3: take(`${spec.key}.conv3`),
        ...(spec.projection ? { downsample: take(`${spec.key}.downsample`) } : {}),
      }));
      // The head bias is built from CPU values: a gathered tensor keeps a rank-4 buffer shape on
      // the WASM backend, which its fused conv rejects as a bias.
      const kernel = tf.tidy(() => tf.gather(all.get('head/kernel')!, tf.tensor1d([...classes], 'int32'), 3));
      this.#tensors.push(kernel);
      const bias = tf.tensor1d(classes.map((c) => headBias[c]!));
      this.#tensors.push(bias);
      this.#head = { kernel: kernel as Tensor4D, bias };
    } catch (e) {
      this.dispose();
      throw e;
    } finally {
      all.forEach((t) => t.dispose());
    }
  }

  /** Copies `model`'s weights, with the head reduced to `classes`. The caller disposes the result. */
  static async load(model: BagNet, classes: readonly number[]): Promise<DenseNetwork> {
    return new DenseNetwork(model, classes, await model.headBias());
  }

  /** Segment 0 on a padded image (batch of one): stem and the blocks before the first stride block. */
  stem(x: Tensor4D): Tensor4D {
    const [c1, c2] = this.#stem;
    let y = tf.tidy(() => conv(conv(x, c1, 1, false), c2, 1, true));
    const [start, end] = this.layout.blocksOf(0);
    for (let i = start; i < end; i++) y = this.#replace(y, (t) => this.#block(i, t));
    return y;
  }

  /** The first (1×1) conv of stride block j, shared by its four phase shifts. */
  pre(j: number, x: Tensor4D): Tensor4D {
    const i = this.layout.strideBlocks[j - 1]!;
    return tf.tidy(() => conv(x, this.#blocks[i]!.conv1, 1, true));
  }

  /**
   * Segment j ≥ 1: stride block j at each of `shifts` (input `x`, its conv1 output `z`), the
   * results concatenated shift-major along the batch, then the stride-1 blocks up to the next
   * stride block. `x` and `z` stay with the caller.
   */
  segment(j: number, x: Tensor4D, z: Tensor4D, shifts: readonly Shift[]): Tensor4D {
    const [start, end] = this.layout.blocksOf(j);
    const parts = shifts.map((s) => tf.tidy(() => this.#blockRest(start, x, z, s)));
    let y = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
    if (parts.length > 1) tf.dispose(parts);
    for (let i = start + 1; i < end; i++) y = this.#replace(y, (t) => this.#block(i, t));
    return y;
  }

  /** The head on the features: logits of the requested classes. */
  head(features: Tensor4D): Tensor4D {
    return tf.tidy(() => conv(features, this.#head, 1, false));
  }

  dispose(): void {
    tf.dispose(this.#tensors);
    this.#tensors.length = 0;
  }

  #replace(x: Tensor4D, f: (x: Tensor4D) => Tensor4D): Tensor4D {
    try {
      return f(x);
    } finally {
      x.dispose();
    }
  }

  #block(i: number, x: Tensor4D): Tensor4D {
    return tf.tidy(() => this.#blockRest(i, x, conv(x, this.#blocks[i]!.conv1, 1, true), [0, 0]));
  }

  /** Block i after its conv1, on the input shifted by (α, β) rows/cols (call inside tf.tidy). */
  #blockRest(i: number, x: Tensor4D, z: Tensor4D, [a, b]: Shift): Tensor4D {
    const w = this.#blocks[i]!;
    const shift = (t: Tensor4D) => (a === 0 && b === 0 ? t : tf.slice(t, [0, a, b, 0], [-1, -1, -1, -1]));
    const xs = shift(x);
    let y = conv(shift(z), w.conv2, w.spec.stride, true);
    y = conv(y, w.conv3, 1, false);
    let skip = w.downsample ? conv(xs, w.downsample, w.spec.stride, false) : xs;
    if (skip.shape[1] !== y.shape[1] || skip.shape[2] !== y.shape[2]) {
      // The reference crops the shortcut at the bottom/right (keeps its top-left part).
      skip = tf.slice(skip, [0, 0, 0, 0], [-1, y.shape[1], y.shape[2], -1]);
    }
    return tf.relu(tf.add<Tensor4D>(y, skip));
  }
}

// ---------------------------------------------------------------------------------------------
// The computation
// ---------------------------------------------------------------------------------------------

interface Root {
  readonly x: Tensor4D;
  readonly z: Tensor4D;
}

const WHAT = 'denseEvidence()';

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

class DenseRun {
  readonly #net: DenseNetwork;
  readonly #plan: DensePlan;
  readonly #maps: Float32Array[];
  readonly #height: number;
  readonly #width: number;
  readonly #cols: number;
  readonly #finest: number;
  readonly #options: DenseEvidenceOptions;
  readonly #slicer: TimeSlicer;
  readonly #total: number;
  readonly #cache = new Map<number, Root>();
  readonly #stepMs: number;
  #done = 0;
  /** Per segment: time and multiply-adds of its steps so far (for throughput estimates). */
  readonly #busy: { ms: number; macs: number }[];
  #stepStart = now();
  #level = 0;

  constructor(net: DenseNetwork, plan: DensePlan, height: number, width: number, options: DenseEvidenceOptions) {
    this.#net = net;
    this.#plan = plan;
    this.#height = height;
    this.#width = width;
    this.#finest = plan.levels[plan.levels.length - 1]!;
    this.#cols = Math.ceil(width / this.#finest);
    const rows = Math.ceil(height / this.#finest);
    this.#maps = options.classes.map(() => new Float32Array(rows * this.#cols));
    this.#options = options;
    this.#slicer = new TimeSlicer(options.yieldIntervalMs ?? DEFAULT_YIELD_INTERVAL_MS);
    this.#stepMs = options.stepMs ?? DEFAULT_STEP_MS;
    this.#busy = Array.from({ length: plan.layout.splits + 1 }, () => ({ ms: 0, macs: 0 }));
    this.#total = plan.totalMacs;
  }

  /** Computes level `s` on every band of the padded image. */
  async level(s: number, padded: Tensor4D): Promise<void> {
    this.#level = s;
    this.#stepStart = now(); // time spent by the consumer between levels is not ours
    const { stride: S, receptiveField: q } = this.#plan.layout;
    for (const band of this.#plan.bands) {
      this.#checkAbort();
      const input =
        this.#plan.bands.length === 1
          ? padded
          : tf.slice(padded, [0, S * band.i0, 0, 0], [1, S * (band.i1 - band.i0) + q - 1, -1, -1]);
      try {
        if (s === S) await this.#path(input, band, this.#plan.layout.splits + 1);
        else {
          const j = Math.log2(s) + 1; // the stride block entered at cumulative stride s
          let root = this.#cache.get(j);
          this.#cache.delete(j);
          root ??= (await this.#path(input, band, j))!;
          try {
            await this.#descend(j, root.x, root.z, [[0, 0]], NEW_PHASES, band);
          } finally {
            tf.dispose([root.x, root.z]);
          }
        }
      } finally {
        if (input !== padded) input.dispose();
      }
    }
  }

  /** The level as a result: the finest-stride maps, subsampled to stride s. */
  result(s: number, isFinal: boolean): DenseEvidence {
    const f = s / this.#finest;
    const rows = Math.ceil(this.#height / s);
    const cols = Math.ceil(this.#width / s);
    const maps =
      f === 1
        ? this.#maps
        : this.#maps.map((m) => {
            const out = new Float32Array(rows * cols);
            for (let i = 0; i < rows; i++)
              for (let j = 0; j < cols; j++) out[i * cols + j] = m[i * f * this.#cols + j * f]!;
            return out;
          });
    return new DenseEvidence({
      stride: s,
      imageHeight: this.#height,
      imageWidth: this.#width,
      receptiveField: this.#plan.layout.receptiveField,
      classes: this.#options.classes,
      maps,
      isFinal,
    });
  }

  async yieldAfterLevel(): Promise<void> {
    await this.#slicer.yield();
    this.#checkAbort();
  }

  dispose(): void {
    for (const root of this.#cache.values()) tf.dispose([root.x, root.z]);
    this.#cache.clear();
  }

  /**
   * The phase-(0, 0) path from the band input up to stride block `until` (returns its input and
   * conv1 output), or through the head when `until` is past the last one (level S: scatters and
   * caches the stride-block inputs the finer levels start from).
   */
  async #path(input: Tensor4D, band: Band, until: number): Promise<Root | undefined> {
    const { segments, pre } = band.costs;
    const n = this.#plan.layout.splits;
    let x: Tensor4D | undefined = this.#net.stem(input);
    let z: Tensor4D | undefined;
    try {
      await this.#step(0, segments[0]!.macs);
      for (let j = 1; j <= n; j++) {
        z = this.#net.pre(j, x);
        if (j === until) {
          await this.#step(j - 1, pre[j]!.macs);
          const root = { x, z };
          x = z = undefined; // owned by the caller now
          return root;
        }
        const y: Tensor4D = this.#net.segment(j, x, z, ZERO_PHASE);
        if (this.#plan.cache && 2 ** (j - 1) >= this.#finest) this.#cache.set(j, { x, z });
        else tf.dispose([x, z]);
        x = y;
        z = undefined;
        await this.#step(j, pre[j]!.macs + segments[j]!.macs);
      }
      const logits = this.#net.head(x);
      x.dispose();
      x = undefined;
      await this.#scatter(logits, ZERO_PHASE, band);
      return undefined;
    } finally {
      x?.dispose();
      z?.dispose();
    }
  }

  /**
   * Runs `shifts` of stride block j on a node (its input `x`, conv1 output `z`, one phase offset
   * per batch element), then everything below, depth first; scatters the final phases.
   */
  async #descend(
    j: number,
    x: Tensor4D,
    z: Tensor4D,
    offsets: readonly Shift[],
    shifts: readonly Shift[],
    band: Band,
  ): Promise<void> {
    const n = this.#plan.layout.splits;
    const D = 2 ** (j - 1);
    const { segments, pre } = band.costs;
    const g = this.#plan.groupSize(
      j,
      offsets.length,
      shifts.length,
      band,
      this.#stepMs,
      this.#busy.map((b) => (b.macs > 0 ? b.ms / b.macs : undefined)),
    );
    for (let k = 0; k < shifts.length; k += g) {
      this.#checkAbort();
      const group = shifts.slice(k, k + g);
      const children = group.flatMap(([a, b]) => offsets.map(([oy, ox]): Shift => [oy + a * D, ox + b * D]));
      let y: Tensor4D | undefined = this.#net.segment(j, x, z, group);
      let z2: Tensor4D | undefined;
      try {
        if (j === n) {
          const logits = this.#net.head(y);
          y.dispose();
          y = undefined;
          await this.#scatter(logits, children, band);
          await this.#step(j, children.length * segments[j]!.macs);
        } else {
          z2 = this.#net.pre(j + 1, y);
          await this.#step(j, children.length * (segments[j]!.macs + pre[j + 1]!.macs));
          await this.#descend(j + 1, y, z2, children, ALL_PHASES, band);
        }
      } finally {
        y?.dispose();
        z2?.dispose();
      }
    }
  }

  /** Copies final phases (logits [B, rows, cols, classes], disposed here) into the maps. */
  async #scatter(logits: Tensor4D, offsets: readonly Shift[], band: Band): Promise<void> {
    const [batch, h, w, nc] = logits.shape;
    let data: Float32Array;
    try {
      data = (await raceAbort(logits.data(), this.#options.signal, WHAT)) as Float32Array;
    } finally {
      logits.dispose();
    }
    if (batch !== offsets.length || h !== band.i1 - band.i0 || w !== this.#plan.phaseCols) {
      throw new Error(
        `Internal error in ${WHAT}: phase batch [${logits.shape.join(', ')}] does not match ` +
          `${offsets.length} phases of ${band.i1 - band.i0}×${this.#plan.phaseCols}.`,
      );
    }
    const S = this.#plan.layout.stride;
    const t = this.#finest;
    for (let p = 0; p < batch; p++) {
      const [oy, ox] = offsets[p]!;
      for (let i = 0; i < h; i++) {
        const y = oy + S * (band.i0 + i);
        if (y >= this.#height) break;
        const row = (y / t) * this.#cols;
        for (let k = 0; k < w; k++) {
          const x = ox + S * k;
          if (x >= this.#width) break;
          const src = ((p * h + i) * w + k) * nc;
          for (let c = 0; c < nc; c++) this.#maps[c]![row + x / t] = data[src + c]!;
        }
      }
    }
  }

  /**
   * Ends a step of `macs` multiply-adds in segment j: progress, throughput, a turn for the event
   * loop, abort check.
   */
  async #step(j: number, macs: number): Promise<void> {
    const busy = this.#busy[j]!;
    busy.ms += now() - this.#stepStart;
    busy.macs += macs;
    this.#done += macs;
    this.#options.onProgress?.({
      fraction: this.#total > 0 ? Math.min(1, this.#done / this.#total) : 1,
      stride: this.#level,
      macsDone: this.#done,
      macsTotal: this.#total,
    });
    this.#checkAbort();
    await this.#slicer.step();
    this.#checkAbort();
    this.#stepStart = now();
  }

  #checkAbort(): void {
    throwIfAborted(this.#options.signal, WHAT);
  }
}

/**
 * Dense per-pixel evidence, delivered progressively: yields one {@link DenseEvidence} per level,
 * at sample strides 8, 4, 2, 1 (down to `options.stride`), each as soon as it is computed; the
 * last has `isFinal: true`. All levels together cost what the finest alone costs (see the file
 * comment). The values equal the reference's patch-by-patch heatmap (`patchwiseEvidence`) up to
 * float32 rounding, within 1e-4 × max|map| on every backend with 32-bit floats: measured 0
 * (bit-identical) against the oracle on CPU and WASM, and ~2e-6 × max|map| against the float64
 * PyTorch fixtures on WASM, and on WebGL and WebGPU (Chromium/SwiftShader, float32). GPUs limited to
 * 16-bit float textures (some mobile WebGL) were not measured; expect ~1e-3 relative there and use
 * the WASM or CPU backend when exact maps matter.
 *
 * Breaking out of a `for await` loop stops the computation and releases its tensors.
 *
 * @throws {BagNetInputError} for a stride other than 1, 2, 4, 8 (or coarser than the model's),
 *   an empty/duplicate/out-of-range class list, an image smaller than q, or a disposed model.
 * @throws {BagNetAbortError} when `options.signal` aborts; no tensors are left behind.
 */
export async function* denseEvidenceLevels(
  model: BagNet,
  image: BagNetImageInput,
  options: DenseEvidenceOptions,
): AsyncGenerator<DenseEvidence, void, undefined> {
  const request = checkDenseRequest(model, options, WHAT);
  const budget = options.memoryBudget ?? DEFAULT_DENSE_MEMORY_BUDGET;
  throwIfAborted(options.signal, WHAT);
  const x = await model.preprocess(image);
  let padded: Tensor4D | undefined;
  let net: DenseNetwork | undefined;
  let run: DenseRun | undefined;
  try {
    throwIfAborted(options.signal, WHAT);
    const [, height, width] = x.shape;
    net = await DenseNetwork.load(model, request.classes);
    const layout = net.layout;
    const plan = new DensePlan(layout, height, width, request.classes.length, request.stride, budget);
    const { before, after } = densePadding(layout.receptiveField);
    const extraRows = plan.phaseRows * layout.stride - height;
    const extraCols = plan.phaseCols * layout.stride - width;
    padded = tf.pad(x, [
      [0, 0],
      [before, after + extraRows],
      [before, after + extraCols],
      [0, 0],
    ]);
    x.dispose();
    run = new DenseRun(net, plan, height, width, { ...options, classes: request.classes });
    for (const [k, s] of plan.levels.entries()) {
      await run.level(s, padded);
      const isFinal = k === plan.levels.length - 1;
      yield run.result(s, isFinal);
      if (!isFinal) await run.yieldAfterLevel();
    }
  } finally {
    x.dispose();
    padded?.dispose();
    run?.dispose();
    net?.dispose();
  }
}

/**
 * Dense per-pixel evidence of `image` for `options.classes`: resolves with the final map (one
 * value per pixel at the default stride 1, see {@link DenseEvidence}); coarser levels (strides 8,
 * 4, 2) go to `options.onLevel` as soon as they are ready. See {@link denseEvidenceLevels} for
 * exactness, errors and cost.
 */
export async function denseEvidence(
  model: BagNet,
  image: BagNetImageInput,
  options: DenseEvidenceCallbackOptions,
): Promise<DenseEvidence> {
  let last: DenseEvidence | undefined;
  for await (const level of denseEvidenceLevels(model, image, options)) {
    last = level;
    options.onLevel?.(level);
  }
  if (last === undefined) throw new Error(`Internal error: ${WHAT} delivered no level.`);
  return last;
}
