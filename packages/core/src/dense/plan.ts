/**
 * The plan of a dense-evidence computation (see dense.ts for the method): the network cut at its
 * stride-2 blocks, the phases each level adds, how the image is split into bands within the memory
 * budget, and the multiply-adds and live floats of every piece, per batch element. `DenseNetwork`
 * (network.ts) is the same network as tensor ops; this file mirrors it as arithmetic.
 */
import { blockSpecs, featureChannels, receptiveFieldOf, validateArchitecture } from '../architecture.js';
import type { BagNetArchitecture, BlockSpec } from '../architecture.js';
import type { DenseStride } from './dense-evidence.js';

/** A phase offset (rows, cols) in units of the current cumulative stride. */
export type Shift = readonly [number, number];
export const ZERO_PHASE: readonly Shift[] = [[0, 0]];
export const NEW_PHASES: readonly Shift[] = [
  [0, 1],
  [1, 0],
  [1, 1],
];
export const ALL_PHASES: readonly Shift[] = [[0, 0], ...NEW_PHASES];

/** Multiply-adds, peak live floats and output size of a piece of work on one batch element. */
interface Cost {
  readonly macs: number;
  readonly floats: number;
  readonly h: number;
  readonly w: number;
}

/** The network cut at its stride-2 blocks: segment 0 is the stem and the blocks before the first. */
export class DenseLayout {
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

export interface Band {
  /** Output rows [i0, i1) of every final phase (units of S pixels). */
  readonly i0: number;
  readonly i1: number;
  readonly costs: BandCosts;
}

/** How a dense-evidence request is executed: levels, bands, caching, and what each costs. */
export class DensePlan {
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
