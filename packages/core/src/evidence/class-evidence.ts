/**
 * Everything derived from one class's slice of an evidence map, computed once and returned as
 * data: per-cell contributions to the class logit, ranks (with one tie rule), shares, the
 * for/against split, the distribution of the evidence over the patches, and the colour scale.
 * Every view (elements, CLI, tfjs-vis, demos) reads these numbers; none recomputes them, so two
 * views of the same patch cannot disagree.
 *
 * The arithmetic: a BagNet's class logit is the mean of its patch logits, so with `cells` patches
 * and head bias `b`, `logit = b + Σ (E[i] − b) / cells`. `(E[i] − b) / cells` is cell i's
 * **contribution** to the logit (float64). A contribution's **share** is its part of all the
 * evidence, for and against: `contribution / (for − against)`, signed.
 *
 * **Rank rule**: cells are ordered by patch logit, largest first — the order of their contributions,
 * which grow with it —; equal logits are ordered by cell index (row-major, top-left first). A cell's rank is its 1-based position in
 * that order, so ranks are unique and the gallery's n-th patch is the patch of rank n.
 */
import type { PatchGeometry, PatchRect } from '../architecture.js';
import { BagNetInputError } from '../errors.js';
import { clipScale, DEFAULT_CLIP_PERCENTILE } from './clip-scale.js';
import type { ClipScale } from './clip-scale.js';

/** A class logit split into its parts: `logit = bias + positive + negative`. */
export interface EvidenceSplit {
  readonly classIndex: number;
  readonly logit: number;
  /** The head bias of the class (0 when unknown). */
  readonly bias: number;
  /** Sum of the positive patch contributions (evidence for the class). */
  readonly positive: number;
  /** Sum of the negative patch contributions (evidence against; ≤ 0). */
  readonly negative: number;
  /** Number of patches with positive / negative contribution. */
  readonly positiveCount: number;
  readonly negativeCount: number;
}

/** One patch of a class's evidence. */
export interface PatchEvidence {
  /** 1-based rank within the requested order (see the rank rule above). */
  readonly rank: number;
  readonly row: number;
  readonly col: number;
  /** The image rectangle (q × q) the patch covers. */
  readonly rect: PatchRect;
  /** The patch's class logit E[row, col, c] (the map value). */
  readonly logit: number;
  /** The patch's additive contribution to the image logit: (E − bias) / cells. */
  readonly contribution: number;
  /** contribution / (total positive − total negative contribution): signed share of all evidence. */
  readonly share: number;
}

/** How a class's evidence is spread over its patches. */
export interface EvidenceDistribution {
  readonly classIndex: number;
  /** Patch contributions to the logit in rank order (most for first). */
  readonly sorted: Float64Array;
  /** The top 10 % of patches by rank (at least one). */
  readonly topCount: number;
  /** The share of the evidence *for* the class (sum of positive contributions) those patches hold. */
  readonly topShare: number;
}

/** Up to this many top patches are found without sorting the whole map. */
const SMALL_K = 16;

/** What {@link ClassEvidence} is computed from. */
export interface ClassEvidenceInput {
  readonly classIndex: number;
  readonly label: string;
  /** The class's image logit. */
  readonly logit: number;
  /** The class's head bias. */
  readonly bias: number;
  /** The class's patch logits, row-major [rows × cols]. */
  readonly values: Float32Array;
  readonly geometry: PatchGeometry;
}

/** The contribution of a patch logit to the image logit: `(logit − bias) / cells`. */
export function patchContribution(logit: number, bias: number, cells: number): number {
  return (logit - bias) / cells;
}

/** All derived numbers of one class of one evidence map. Immutable; arrays must not be mutated. */
export class ClassEvidence {
  readonly classIndex: number;
  readonly label: string;
  readonly logit: number;
  readonly bias: number;
  readonly geometry: PatchGeometry;
  /** The patch logits, row-major [rows × cols]. */
  readonly values: Float32Array;
  #scales = new Map<number, ClipScale>();
  #order?: Uint32Array;
  #ranks?: Uint32Array;
  #least?: Uint32Array;
  #distribution?: EvidenceDistribution;
  #shares?: Float64Array;
  #contributions?: Float64Array;
  #split?: EvidenceSplit;

  constructor(input: ClassEvidenceInput) {
    const { values, geometry, bias } = input;
    const cells = geometry.size;
    if (values.length !== cells) {
      throw new BagNetInputError(`Class map has ${values.length} values, expected ${geometry.rows}×${geometry.cols}.`);
    }
    this.classIndex = input.classIndex;
    this.label = input.label;
    this.logit = input.logit;
    this.bias = bias;
    this.geometry = geometry;
    this.values = values;
  }

  /** Per cell: its contribution to the class logit, `(E − bias) / cells` (float64). */
  get contributions(): Float64Array {
    if (this.#contributions === undefined) {
      const { values, bias } = this;
      const cells = values.length;
      const contributions = new Float64Array(cells);
      for (let i = 0; i < cells; i++) contributions[i] = patchContribution(values[i]!, bias, cells);
      this.#contributions = contributions;
    }
    return this.#contributions;
  }

  /** The logit split into bias, evidence for and evidence against. */
  get split(): EvidenceSplit {
    if (this.#split === undefined) {
      const contributions = this.contributions;
      let positive = 0;
      let negative = 0;
      let positiveCount = 0;
      let negativeCount = 0;
      for (let i = 0; i < contributions.length; i++) {
        const c = contributions[i]!;
        if (c > 0) {
          positive += c;
          positiveCount++;
        } else if (c < 0) {
          negative += c;
          negativeCount++;
        }
      }
      const { classIndex, logit, bias } = this;
      this.#split = { classIndex, logit, bias, positive, negative, positiveCount, negativeCount };
    }
    return this.#split;
  }

  /** Per cell: its share of all evidence, `contribution / (for − against)` (0 when there is none). */
  get shares(): Float64Array {
    if (this.#shares === undefined) {
      const { positive, negative } = this.split;
      const total = positive - negative;
      const c = this.contributions;
      const shares = new Float64Array(c.length);
      if (total > 0) for (let i = 0; i < c.length; i++) shares[i] = c[i]! / total;
      this.#shares = shares;
    }
    return this.#shares;
  }

  /** Cell indices in rank order (most for first; ties by cell index). Sorted on first use. */
  get order(): Uint32Array {
    const v = this.values;
    return (this.#order ??= Uint32Array.from(v.keys()).sort((a, b) => v[b]! - v[a]! || a - b));
  }

  /** Per cell: its 1-based rank in {@link order}. */
  get ranks(): Uint32Array {
    if (this.#ranks === undefined) {
      const ranks = new Uint32Array(this.cells);
      this.order.forEach((cell, r) => (ranks[cell] = r + 1));
      this.#ranks = ranks;
    }
    return this.#ranks;
  }

  /** How the evidence is spread over the patches. */
  get distribution(): EvidenceDistribution {
    if (this.#distribution === undefined) {
      const order = this.order;
      const sorted = new Float64Array(order.length);
      for (let r = 0; r < order.length; r++) sorted[r] = this.contributions[order[r]!]!;
      const topCount = Math.max(1, Math.ceil(this.cells / 10));
      let top = 0;
      for (let r = 0; r < topCount; r++) if (sorted[r]! > 0) top += sorted[r]!;
      const { positive } = this.split;
      this.#distribution = {
        classIndex: this.classIndex,
        sorted,
        topCount,
        topShare: positive > 0 ? top / positive : 0,
      };
    }
    return this.#distribution;
  }

  /** Number of patches (cells of the map). */
  get cells(): number {
    return this.contributions.length;
  }

  /** The colour scale of this class's map, clipped at `percentile` (default 99). Cached. */
  clip(percentile = DEFAULT_CLIP_PERCENTILE): ClipScale {
    let scale = this.#scales.get(percentile);
    if (scale === undefined) {
      scale = clipScale(this.values, percentile);
      this.#scales.set(percentile, scale);
    }
    return scale;
  }

  /** Everything about one cell; `rank` is its rank among all patches (most for first). */
  patch(row: number, col: number): PatchEvidence {
    this.geometry.checkCell(row, col);
    const i = row * this.geometry.cols + col;
    return this.#patch(i, this.ranks[i]!);
  }

  /**
   * The k patches with the most (`'most'`, rank 1 first) or least (`'least'`, lowest contribution
   * first; `rank` then counts from the bottom) evidence for the class.
   */
  top(k: number, order: 'most' | 'least' = 'most'): PatchEvidence[] {
    if (order !== 'most' && order !== 'least') {
      throw new BagNetInputError(`topPatches order must be 'most' or 'least', got ${JSON.stringify(order)}.`);
    }
    if (!Number.isInteger(k) || k < 0)
      throw new BagNetInputError(`topPatches k must be a non-negative integer, got ${String(k)}.`);
    const n = Math.min(k, this.cells);
    const sorted = order === 'most' ? this.#order : this.#least;
    // A few patches of a large map (summaries, cursors) without sorting it all: O(cells · k).
    const cells = sorted?.subarray(0, n) ?? (n <= SMALL_K ? this.#strongest(n, order) : undefined);
    const ranked = cells ?? (order === 'most' ? this.order : this.#leastOrder()).subarray(0, n);
    return Array.from(ranked, (cell, r) => this.#patch(cell, r + 1));
  }

  /**
   * Up to `k` patches that speak **for** the class (contribution > 0, strongest first) or
   * **against** it (contribution < 0, strongest first): the sign rule of {@link split}, so a view
   * that names the patches for a class names the ones the split counts. A patch whose logit is
   * above 0 but below the head bias lowers the class logit, so it is against, not for.
   */
  strongest(k: number, side: 'for' | 'against'): PatchEvidence[] {
    if (side !== 'for' && side !== 'against') {
      throw new BagNetInputError(`strongest side must be 'for' or 'against', got ${JSON.stringify(side)}.`);
    }
    const patches = this.top(k, side === 'for' ? 'most' : 'least');
    return patches.filter((p) => (side === 'for' ? p.contribution > 0 : p.contribution < 0));
  }

  /** The `k` first cells of the `most` or `least` order, by insertion into a short sorted list. */
  #strongest(k: number, order: 'most' | 'least'): Uint32Array {
    const c = this.values;
    const sign = order === 'most' ? 1 : -1;
    const best: number[] = [];
    for (let i = 0; i < c.length; i++) {
      const v = sign * c[i]!;
      if (best.length === k && v <= sign * c[best[k - 1]!]!) continue;
      let at = best.length;
      while (at > 0 && v > sign * c[best[at - 1]!]!) at--;
      best.splice(at, 0, i);
      if (best.length > k) best.pop();
    }
    return Uint32Array.from(best);
  }

  /** Cells from the lowest contribution up; equal contributions by cell index (top-left first). */
  #leastOrder(): Uint32Array {
    const v = this.values;
    return (this.#least ??= Uint32Array.from(v.keys()).sort((a, b) => v[a]! - v[b]! || a - b));
  }

  #patch(i: number, rank: number): PatchEvidence {
    const { cols } = this.geometry;
    const row = Math.floor(i / cols);
    const col = i % cols;
    return {
      rank,
      row,
      col,
      rect: this.geometry.cellRect(row, col),
      logit: this.values[i]!,
      contribution: this.contributions[i]!,
      share: this.shares[i]!,
    };
  }
}
