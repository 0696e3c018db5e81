/** The computation of a dense-evidence request, step by step (see dense.ts for the method). */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';

import { raceAbort, throwIfAborted } from '../errors.js';
import { DEFAULT_YIELD_INTERVAL_MS, now, TimeSlicer } from '../scheduling.js';
import { DenseEvidence } from './dense-evidence.js';
import type { DenseNetwork } from './network.js';
import { DEFAULT_STEP_MS } from './options.js';
import type { DenseEvidenceOptions } from './options.js';
import { ALL_PHASES, NEW_PHASES, ZERO_PHASE } from './plan.js';
import type { Band, DensePlan, Shift } from './plan.js';

interface Root {
  readonly x: Tensor4D;
  readonly z: Tensor4D;
}

/** The operation named in errors. */
export const WHAT = 'denseEvidence()';

/**
 * One dense-evidence computation: runs the levels of a {@link DensePlan} on a {@link DenseNetwork},
 * band by band and phase group by phase group, scatters the final phases into the maps, and
 * reports progress, yields and checks the AbortSignal between steps. Owns the cached stride-block
 * inputs: call {@link dispose}.
 */
export class DenseRun {
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
