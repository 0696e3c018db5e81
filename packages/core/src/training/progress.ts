/**
 * What training reports while it runs: examples read, gradient steps, finished epochs, each with
 * an estimate of the time left.
 */
import { now } from '../scheduling.js';

/** Examples read so far (for the head: also run through the backbone and pooled). */
export interface PrepareProgress {
  readonly phase: 'prepare';
  readonly done: number;
  /** Number of examples when known (an array), otherwise undefined (an iterator). */
  readonly total: number | undefined;
}

/** One gradient step done (reported by `trainBagNet`, whose steps are slow). */
export interface StepProgress {
  readonly phase: 'step';
  /** 1-based epoch and step within it. */
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly steps: number;
  /** Cross-entropy of this step's batch. */
  readonly loss: number;
  /** Estimated seconds until training ends. */
  readonly etaSeconds: number;
}

/** Loss and accuracy of one epoch. */
export interface EpochMetrics {
  /** 1-based. */
  readonly epoch: number;
  /**
   * Mean softmax cross-entropy on the training examples (without the L2 penalty).
   * `fineTuneHead`: of the head at the end of the epoch; `trainBagNet`: the mean over the epoch's
   * gradient steps, as Keras reports it (the network changes during the epoch).
   */
  readonly loss: number;
  /** Fraction of training examples classified correctly (measured as `loss`). */
  readonly accuracy: number;
  /** Mean cross-entropy on the held-out examples at the end of the epoch; absent without any. */
  readonly valLoss?: number;
  /** Held-out accuracy at the end of the epoch; absent without held-out examples. */
  readonly valAccuracy?: number;
  /** Wall-clock seconds the epoch took. */
  readonly seconds: number;
}

/** One epoch done, with its metrics. */
export interface EpochProgress extends EpochMetrics {
  readonly phase: 'epoch';
  readonly epochs: number;
  /** Estimated seconds until training ends (0 after the last epoch). */
  readonly etaSeconds: number;
}

/** The progress reports of {@link fineTuneHead} and {@link trainBagNet}, told apart by `phase`. */
export type TrainingProgress = PrepareProgress | StepProgress | EpochProgress;

/** Estimates the time left from the average time per unit of work done so far. */
export class TrainingClock {
  readonly #start = now();
  readonly #units: number;

  /** `units`: the number of equal pieces of work (e.g. gradient steps) in the whole job. */
  constructor(units: number) {
    this.#units = units;
  }

  /** Seconds since the clock started. */
  get elapsedSeconds(): number {
    return (now() - this.#start) / 1000;
  }

  /** Estimated seconds left after `done` units. */
  etaSeconds(done: number): number {
    if (done <= 0) return Number.NaN;
    return Math.max(0, (this.elapsedSeconds / done) * (this.#units - done));
  }
}
