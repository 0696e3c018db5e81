/**
 * EvidenceMap: everything one forward pass of a BagNet says about an image. The image logits are
 * exactly the mean of the per-patch logit map, so every view (heatmap, top patches, evidence
 * split) is a cheap function of the map — switching class never re-runs the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor3D } from '@tensorflow/tfjs-core';

import type { PatchGeometry } from './architecture.js';
import { BagNetInputError } from './errors.js';
import { ClassEvidence } from './evidence/class-evidence.js';
import type { EvidenceSplit, PatchEvidence } from './evidence/class-evidence.js';

export type { EvidenceSplit, PatchEvidence } from './evidence/class-evidence.js';

/** One class of {@link EvidenceMap.topClasses}. */
export interface ClassScore {
  readonly index: number;
  readonly label: string;
  readonly logit: number;
  readonly probability: number;
}

/** Data to construct an {@link EvidenceMap} from (e.g. a precomputed or serialised result). */
export interface EvidenceMapData {
  /** Row-major [rows, cols, classes] patch logits. */
  readonly logitMap: Float32Array;
  readonly geometry: PatchGeometry;
  readonly labels: readonly string[];
  /** Head bias per class; contributions are measured relative to it. Default zeros. */
  readonly bias?: Float32Array;
}

/**
 * The per-patch class evidence of one image. Holds a CPU copy of the map (read once from the
 * device) and, lazily, tensors of it. It owns those tensors: call {@link dispose} when done.
 */
export class EvidenceMap {
  readonly geometry: PatchGeometry;
  readonly labels: readonly string[];
  readonly numClasses: number;
  /** Row-major [rows, cols, classes] patch logits. Do not mutate. */
  readonly logitMap: Float32Array;
  /** Image logits: the mean of the map over all cells (accumulated in float64). */
  readonly logits: Float32Array;
  /** Head bias per class (zeros when unknown). */
  readonly bias: Float32Array;
  #tensors: { map?: Tensor3D; logits?: Tensor1D } = {};
  #disposed = false;
  #probabilities?: Float32Array;
  #classes = new Map<number, ClassEvidence>();

  constructor(data: EvidenceMapData) {
    const { geometry, labels, logitMap } = data;
    const cells = geometry.rows * geometry.cols;
    const numClasses = labels.length;
    if (numClasses < 1 || logitMap.length !== cells * numClasses) {
      throw new BagNetInputError(
        `Evidence map data has ${logitMap.length} values, expected ${geometry.rows}×${geometry.cols}×${numClasses} = ${cells * numClasses}.`,
      );
    }
    if (data.bias !== undefined && data.bias.length !== numClasses) {
      throw new BagNetInputError(`Evidence map bias has ${data.bias.length} values, expected ${numClasses}.`);
    }
    this.geometry = geometry;
    this.labels = labels;
    this.numClasses = numClasses;
    this.logitMap = logitMap;
    this.bias = data.bias ?? new Float32Array(numClasses);
    const sums = new Float64Array(numClasses);
    for (let i = 0; i < cells; i++) {
      const o = i * numClasses;
      for (let c = 0; c < numClasses; c++) sums[c] = sums[c]! + logitMap[o + c]!;
    }
    this.logits = Float32Array.from(sums, (s) => s / cells);
  }

  /** The map as a [rows, cols, classes] tensor, owned by this object (do not dispose it). */
  get logitMapTensor(): Tensor3D {
    this.#checkAlive();
    return (this.#tensors.map ??= tf.keep(
      tf.tensor3d(this.logitMap, [this.geometry.rows, this.geometry.cols, this.numClasses]),
    ));
  }

  /** The image logits as a [classes] tensor, owned by this object (do not dispose it). */
  get logitsTensor(): Tensor1D {
    this.#checkAlive();
    return (this.#tensors.logits ??= tf.keep(tf.tensor1d(this.logits)));
  }

  /** Softmax of the logits (computed in float64). */
  get probabilities(): Float32Array {
    if (this.#probabilities === undefined) {
      let max = -Infinity;
      for (const l of this.logits) max = Math.max(max, l);
      const e = Array.from(this.logits, (l) => Math.exp(l - max));
      const z = e.reduce((a, b) => a + b, 0);
      this.#probabilities = Float32Array.from(e, (v) => v / z);
    }
    return this.#probabilities;
  }

  /** The k classes with the highest logits, best first. */
  topClasses(k = 5): ClassScore[] {
    const p = this.probabilities;
    return Array.from(this.logits.keys())
      .sort((a, b) => this.logits[b]! - this.logits[a]! || a - b)
      .slice(0, Math.max(0, Math.min(k, this.numClasses)))
      .map((index) => ({ index, label: this.labels[index]!, logit: this.logits[index]!, probability: p[index]! }));
  }

  /** Whether `classIndex` is a valid class of this map (an integer from 0 to numClasses − 1). */
  hasClass(classIndex: unknown): classIndex is number {
    return Number.isInteger(classIndex) && (classIndex as number) >= 0 && (classIndex as number) < this.numClasses;
  }

  /** Throws unless `classIndex` is a valid class. */
  checkClass(classIndex: number): void {
    if (!this.hasClass(classIndex)) {
      throw new BagNetInputError(
        `Class index ${String(classIndex)} is out of range: this model has ${this.numClasses} classes (0–${this.numClasses - 1}).`,
      );
    }
  }

  /** The class's patch logits as a row-major [rows × cols] array (a new copy). */
  classMap(classIndex: number): Float32Array {
    this.checkClass(classIndex);
    const n = this.geometry.size;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.logitMap[i * this.numClasses + classIndex]!;
    return out;
  }

  /** The patch logit of one cell for one class. */
  value(row: number, col: number, classIndex: number): number {
    this.checkClass(classIndex);
    this.geometry.checkCell(row, col);
    return this.logitMap[(row * this.geometry.cols + col) * this.numClasses + classIndex]!;
  }

  /**
   * Every number derived from one class: per-cell contributions, ranks, shares, the for/against
   * split, the distribution and the colour scale (see {@link ClassEvidence}). Computed once per
   * class and cached; views read it instead of recomputing.
   */
  classEvidence(classIndex: number): ClassEvidence {
    this.checkClass(classIndex);
    let c = this.#classes.get(classIndex);
    if (c === undefined) {
      c = new ClassEvidence({
        classIndex,
        label: this.labels[classIndex]!,
        logit: this.logits[classIndex]!,
        bias: this.bias[classIndex]!,
        values: this.classMap(classIndex),
        geometry: this.geometry,
      });
      this.#classes.set(classIndex, c);
    }
    return c;
  }

  /** Splits the class logit into head bias, positive and negative patch contributions. */
  evidenceSplit(classIndex: number): EvidenceSplit {
    return this.classEvidence(classIndex).split;
  }

  /**
   * The k patches with the most (`'most'`, highest logit first) or least (`'least'`, lowest
   * first) evidence for a class; ties in cell order (top-left first).
   */
  topPatches(classIndex: number, k = 5, order: 'most' | 'least' = 'most'): PatchEvidence[] {
    return this.classEvidence(classIndex).top(k, order);
  }

  /** Whether {@link dispose} has been called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Releases the tensors this map created. The CPU arrays stay readable. */
  dispose(): void {
    this.#tensors.map?.dispose();
    this.#tensors.logits?.dispose();
    this.#tensors = {};
    this.#disposed = true;
  }

  #checkAlive(): void {
    if (this.#disposed) throw new BagNetInputError('This EvidenceMap has been disposed.');
  }
}
