/**
 * Certified robustness of a BagNet prediction against one adversarial patch, from the evidence
 * map alone. A patch of p × p pixels changes only the cells whose receptive field it touches: a
 * window of ⌈(p + q − 1) / s⌉ cells per side. Two published defences bound what such a window can
 * do to the clipped local logits:
 *
 * - `'mask'` — robust masking, PatchGuard (Xiang et al., USENIX Security 2021, Algorithms 1–2):
 *   local logits are clipped to [0, c_h]; the defence removes each class's highest-sum window when
 *   it holds more than a fraction T of that class's evidence. A window can raise another class j
 *   to at most (sum_j − window_j) / (1 − T) and lower the predicted class to its sum with that
 *   window zeroed, after the defence's own masking.
 * - `'clip'` — Clipped BagNet (Zhang et al., 2020): local logits pass through tanh(0.05 x − 1)
 *   (the clipping PatchGuard's code uses for it) or are clipped to [0, c]; a window can set the
 *   predicted class's cells to the lower bound and another class's cells to the upper bound.
 *
 * The prediction (the top class of the clipped evidence) is certified when, for every window
 * position and **every** other class, its lower bound is strictly above that class's upper bound.
 * (The papers' scripts check the runner-up only, or break exact ties by class index; a strict
 * inequality makes an exact tie uncertified.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';

import type { PatchRect } from '../architecture.js';
import { BagNetInputError } from '../errors.js';
import type { EvidenceMap } from '../evidence-map.js';

/** The defence whose certificate {@link patchRobustness} computes. */
export type RobustnessMethod = 'mask' | 'clip';

/** The two defences, in the order a control lists them. */
export const ROBUSTNESS_METHODS: readonly RobustnessMethod[] = ['mask', 'clip'];

/** Clipped BagNet's clipping tanh(a·x + b): PatchGuard's implementation uses a = 0.05, b = −1. */
export const CLIPPED_BAGNET_TANH = { scale: 0.05, shift: -1 } as const;

/** Options of {@link patchRobustness}. */
export interface PatchRobustnessOptions {
  /** Side of the square adversarial patch in image pixels (a positive integer). */
  readonly patchPx: number;
  /** `'mask'` (PatchGuard robust masking) or `'clip'` (Clipped BagNet). */
  readonly method: RobustnessMethod;
  /** Robust masking's detection threshold T in [0, 1). Default 0 (always mask). */
  readonly threshold?: number;
  /**
   * Upper clipping bound c. `'mask'`: local logits are clipped to [0, c] (default ∞, i.e. only
   * negatives are zeroed). `'clip'`: when given, clip to [0, c] instead of Clipped BagNet's tanh.
   */
  readonly clipMax?: number;
}

/** A window of map cells (and the image pixels its cells see). */
export interface CellWindow {
  /** Top-left cell. */
  readonly row: number;
  readonly col: number;
  /** Size in cells. */
  readonly rows: number;
  readonly cols: number;
  /** The image rectangle covered by the receptive fields of the window's cells (clamped). */
  readonly rect: PatchRect;
}

/** The window where the patch is most harmful, with the class it helps most. */
export interface WorstWindow extends CellWindow {
  /** The other class whose upper bound comes closest to (or beats) the top class there. */
  readonly rivalClass: number;
  /** The top class's lower bound there (mean over cells, like logits). */
  readonly topBound: number;
  /** The rival's upper bound there. */
  readonly rivalBound: number;
  /** topBound − rivalBound: the certificate holds where this is > 0. */
  readonly margin: number;
}

/** What {@link patchRobustness} returns: plain data, no tensors. */
export interface PatchRobustness {
  readonly method: RobustnessMethod;
  readonly patchPx: number;
  /** The detection threshold T (`'mask'`; 0 for `'clip'`). */
  readonly threshold: number;
  /** How local logits were clipped, and the per-cell range an attacker can reach. */
  readonly clipping: {
    readonly kind: 'range' | 'tanh';
    /** The reachable range of one clipped cell: [lower, upper]. */
    readonly lower: number;
    readonly upper: number;
    /** tanh(scale·x + shift) for kind 'tanh'. */
    readonly scale?: number;
    readonly shift?: number;
  };
  /** Receptive field q and cell stride s used for the window size. */
  readonly receptiveField: number;
  readonly stride: number;
  /** Window size in cells, ⌈(patchPx + q − 1) / s⌉ clamped to the map. */
  readonly windowRows: number;
  readonly windowCols: number;
  /** Number of window positions (rows − windowRows + 1, cols − windowCols + 1). */
  readonly positionRows: number;
  readonly positionCols: number;
  /** Per class: mean over cells of the clipped local logits. */
  readonly clippedEvidence: Float32Array;
  /** Per class: the defended evidence of the unattacked image (masked for `'mask'`, = clipped for `'clip'`). */
  readonly defendedEvidence: Float32Array;
  /** Per class (`'mask'`): whether the defence masked a window of that class; all false for `'clip'`. */
  readonly masked: readonly boolean[];
  /** The class whose prediction is certified: top of the clipped evidence (lowest index on ties). */
  readonly topClass: number;
  /** The top of the defended evidence (what the defended model predicts on the clean image). */
  readonly defendedClass: number;
  /** True when no patch of patchPx at any position can make any other class win. */
  readonly certified: boolean;
  /** The smallest margin over all windows and classes (= worstWindow.margin). */
  readonly margin: number;
  readonly worstWindow: WorstWindow;
  /** Row-major [positionRows × positionCols]: per window position, the smallest margin. */
  readonly windowMargins: Float32Array;
  /** Row-major [positionRows × positionCols]: per window position, the rival class. */
  readonly windowRivals: Int32Array;
}

/** Window side in cells for a `patchPx` patch, receptive field q, stride s: ⌈(p + q − 1) / s⌉. */
export function patchWindowCells(patchPx: number, receptiveField: number, stride: number): number {
  return Math.ceil((patchPx + receptiveField - 1) / stride);
}

function checkOptions(options: PatchRobustnessOptions): void {
  const { patchPx, method, threshold, clipMax } = options;
  if (method !== 'mask' && method !== 'clip') {
    throw new BagNetInputError(`Robustness method must be 'mask' or 'clip', got ${JSON.stringify(method)}.`);
  }
  if (!Number.isInteger(patchPx) || patchPx < 1) {
    throw new BagNetInputError(`Patch size must be a positive integer number of pixels, got ${String(patchPx)}.`);
  }
  if (threshold !== undefined) {
    if (method !== 'mask') {
      throw new BagNetInputError(`The detection threshold applies to method 'mask' only, not '${method}'.`);
    }
    if (!(threshold >= 0 && threshold < 1)) {
      throw new BagNetInputError(`Detection threshold T must be in [0, 1), got ${String(threshold)}.`);
    }
  }
  if (clipMax !== undefined && !(clipMax > 0)) {
    throw new BagNetInputError(`clipMax must be a positive number (or omitted), got ${String(clipMax)}.`);
  }
}

/**
 * Certifies the top class of `evidence` against any `patchPx` × `patchPx` patch under robust
 * masking or clipping. The class-wide window sums run on the current tfjs backend (tensors are
 * disposed before it returns; the map's own cached tensor is reused); the top class's masked
 * windows are summed in float64 on the CPU. Cost: a few window sums over the map plus
 * O(positions²) for the top class.
 */
export async function patchRobustness(
  evidence: EvidenceMap,
  options: PatchRobustnessOptions,
): Promise<PatchRobustness> {
  checkOptions(options);
  const { method, patchPx } = options;
  const threshold = method === 'mask' ? (options.threshold ?? 0) : 0;
  const { rows, cols, receptiveField: q, stride } = evidence.geometry;
  const classes = evidence.numClasses;
  if (classes < 2) {
    throw new BagNetInputError(`A robustness certificate compares classes: this model has only ${classes}.`);
  }
  const cells = rows * cols;
  const side = patchWindowCells(patchPx, q, stride);
  const wr = Math.min(side, rows);
  const wc = Math.min(side, cols);
  const nr = rows - wr + 1;
  const nc = cols - wc + 1;
  const area = wr * wc;

  const clipMax = options.clipMax;
  const tanh = method === 'clip' && clipMax === undefined;
  const lower = tanh ? -1 : 0;
  const upper = tanh ? 1 : (clipMax ?? Infinity);
  const clipping: PatchRobustness['clipping'] = tanh
    ? { kind: 'tanh', lower, upper, ...CLIPPED_BAGNET_TANH }
    : { kind: 'range', lower, upper };

  // Pass 1: clip the map and sum each class.
  const clippedMap = tf.tidy(() => {
    const map = evidence.logitMapTensor;
    if (tanh) return tf.tanh(tf.add(tf.mul(map, CLIPPED_BAGNET_TANH.scale), CLIPPED_BAGNET_TANH.shift));
    return tf.clipByValue(map, 0, upper);
  }) as Tensor3D;
  let totals: Float32Array;
  let topMap: Float32Array;
  let outsideMax: Float32Array;
  let outsideArg: Int32Array;
  let windowMax: Float32Array;
  try {
    const totalT = tf.sum(clippedMap, [0, 1]);
    totals = (await totalT.data()) as Float32Array;
    totalT.dispose();
    let top = 0;
    for (let c = 1; c < classes; c++) if (totals[c]! > totals[top]!) top = c;

    // Pass 2: for every window position the sum of each class outside it, the best other class
    // there, the top class's own map, and (for masking) each class's largest window.
    const [maxT, argT, topT, winMaxT] = tf.tidy(() => {
      const x = tf.reshape(clippedMap, [1, rows, cols, classes]) as Tensor4D;
      // separable window sums: mean over wr rows, then wc columns, times the area
      const means = tf.avgPool(tf.avgPool(x, [wr, 1], 1, 'valid'), [1, wc], 1, 'valid');
      const windows = tf.reshape(tf.mul(means, area), [nr, nc, classes]);
      // totals − window, with −∞ added to the top class so that max / argMax see the others only
      const offset = Float32Array.from(totals, (t, k) => (k === top ? -Infinity : t));
      const others = tf.sub(tf.tensor1d(offset), windows);
      return [
        tf.max(others, 2),
        tf.argMax(others, 2),
        tf.slice(clippedMap, [0, 0, top], [rows, cols, 1]),
        method === 'mask' ? tf.max(windows, [0, 1]) : tf.zeros([1]),
      ];
    });
    try {
      [outsideMax, outsideArg, topMap, windowMax] = (await Promise.all([
        maxT.data(),
        argT.data(),
        topT.data(),
        winMaxT.data(),
      ])) as [Float32Array, Int32Array, Float32Array, Float32Array];
    } finally {
      for (const t of [maxT, argT, topT, winMaxT]) t.dispose();
    }
    return certify();

    function certify(): PatchRobustness {
      // float64 prefix sums of the top class's clipped map: any rectangle sum in four look-ups
      const stridePrefix = cols + 1;
      const prefix = new Float64Array((rows + 1) * stridePrefix);
      for (let r = 0; r < rows; r++) {
        let run = 0;
        for (let c = 0; c < cols; c++) {
          run += topMap[r * cols + c]!;
          prefix[(r + 1) * stridePrefix + c + 1] = prefix[r * stridePrefix + c + 1]! + run;
        }
      }
      const rect = (r0: number, c0: number, r1: number, c1: number): number =>
        r1 <= r0 || c1 <= c0
          ? 0
          : prefix[r1 * stridePrefix + c1]! -
            prefix[r0 * stridePrefix + c1]! -
            prefix[r1 * stridePrefix + c0]! +
            prefix[r0 * stridePrefix + c0]!;
      const topTotal = rect(0, 0, rows, cols);
      const windowSums = new Float64Array(nr * nc);
      for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) windowSums[r * nc + c] = rect(r, c, r + wr, c + wc);

      const positions = nr * nc;
      const margins = new Float32Array(positions);
      const rivals = new Int32Array(positions);
      let worst = 0;
      let worstMargin = Infinity;
      let worstTop = 0;
      let worstRival = 0;
      for (let r = 0; r < nr; r++) {
        for (let c = 0; c < nc; c++) {
          const i = r * nc + c;
          const outside = outsideMax[i]!;
          let topBound: number;
          let rivalBound: number;
          if (method === 'mask') {
            // clipped evidence is ≥ 0, so the outside sum is too: guard float32 cancellation
            rivalBound = Math.max(0, outside) / (1 - threshold);
            // the top class with this window zeroed, then masked by the defence
            const rest = topTotal - windowSums[i]!;
            let best = 0;
            for (let rr = 0; rr < nr; rr++) {
              for (let cc = 0; cc < nc; cc++) {
                const overlap = rect(Math.max(r, rr), Math.max(c, cc), Math.min(r, rr) + wr, Math.min(c, cc) + wc);
                best = Math.max(best, windowSums[rr * nc + cc]! - overlap);
              }
            }
            topBound = rest > 0 && best / rest > threshold ? rest - best : rest;
          } else {
            rivalBound = outside + area * upper;
            topBound = topTotal - windowSums[i]! + area * lower;
          }
          const margin = topBound - rivalBound;
          margins[i] = margin / cells;
          rivals[i] = outsideArg[i]!;
          if (margin < worstMargin) {
            worstMargin = margin;
            worst = i;
            worstTop = topBound;
            worstRival = rivalBound;
          }
        }
      }

      const masked = Array.from({ length: classes }, (_, k) => {
        const total = totals[k]!;
        return method === 'mask' && total > 0 && windowMax[k]! / total > threshold;
      });
      // a window as large as the map removes all of it: exactly, not up to float32 rounding
      const removed = (k: number): number => (nr === 1 && nc === 1 ? totals[k]! : Math.min(totals[k]!, windowMax[k]!));
      const defended = Float32Array.from(totals, (t, k) => (masked[k] ? t - removed(k) : t) / cells);
      let defendedClass = 0;
      for (let k = 1; k < classes; k++) if (defended[k]! > defended[defendedClass]!) defendedClass = k;
      const row = Math.floor(worst / nc);
      const col = worst % nc;
      return {
        method,
        patchPx,
        threshold,
        clipping,
        receptiveField: q,
        stride,
        windowRows: wr,
        windowCols: wc,
        positionRows: nr,
        positionCols: nc,
        clippedEvidence: Float32Array.from(totals, (t) => t / cells),
        defendedEvidence: defended,
        masked,
        topClass: top,
        defendedClass,
        certified: worstMargin > 0,
        margin: worstMargin / cells,
        worstWindow: {
          ...cellWindow(evidence, row, col, wr, wc),
          rivalClass: rivals[worst]!,
          topBound: worstTop / cells,
          rivalBound: worstRival / cells,
          margin: worstMargin / cells,
        },
        windowMargins: margins,
        windowRivals: rivals,
      };
    }
  } finally {
    clippedMap.dispose();
  }
}

/** The window of `rows` × `cols` cells at (row, col), with the image pixels its cells see. */
export function cellWindow(evidence: EvidenceMap, row: number, col: number, rows: number, cols: number): CellWindow {
  const g = evidence.geometry;
  const x = g.stride * col;
  const y = g.stride * row;
  return {
    row,
    col,
    rows,
    cols,
    rect: {
      x,
      y,
      width: Math.min(g.imageWidth, g.stride * (col + cols - 1) + g.receptiveField) - x,
      height: Math.min(g.imageHeight, g.stride * (row + rows - 1) + g.receptiveField) - y,
    },
  };
}
