/** The options of `denseEvidence` and `denseEvidenceLevels`, their defaults and progress reports. */
import type { DenseEvidence, DenseStride } from './dense-evidence.js';

/** Default {@link DenseEvidenceOptions.memoryBudget}: 256 MiB of activations. */
export const DEFAULT_DENSE_MEMORY_BUDGET = 256 * 2 ** 20;
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
