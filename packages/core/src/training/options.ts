/**
 * The options and results shared by {@link fineTuneHead} and {@link trainBagNet}, and their
 * validation: what to train on (labelled images), how long and how fast, and what comes back.
 */
import type { BagNet } from '../bagnet.js';
import { BagNetInputError } from '../errors.js';
import type { BagNetImageInput } from '../preprocess.js';
import type { EpochMetrics, TrainingProgress } from './progress.js';

/** One training example: an image and the index of its class in `options.labels`. */
export interface LabelledImage {
  readonly image: BagNetImageInput;
  /** Class index into the new labels (an integer from 0 to labels.length − 1). */
  readonly label: number;
}

/** The examples to train on: an array, any iterable, or an async iterable (read once, in order). */
export type LabelledImages = Iterable<LabelledImage> | AsyncIterable<LabelledImage>;

/** Options of {@link fineTuneHead} and {@link trainBagNet}. */
export interface TrainingOptions {
  /**
   * The class names of the trained model, one per class; example labels index into it. At least
   * two, distinct and non-empty, each with at least one example. Default: the model's labels.
   */
  readonly labels?: readonly string[];
  /** Passes over the training examples (default 30 for the head, 5 for the whole network). */
  readonly epochs?: number;
  /** Adam's step size (default 0.01 for the head, 0.001 for the whole network). */
  readonly learningRate?: number;
  /** Examples per gradient step (default 32 for the head, 8 for the whole network). */
  readonly batchSize?: number;
  /**
   * Fraction of each class held out for validation, in [0, 1) (default 0.2). The split is
   * stratified and seeded; every class keeps at least one training example.
   */
  readonly validationSplit?: number;
  /** Seed of the held-out split and of the batch order (default 0): same seed, same result. */
  readonly seed?: number;
  /**
   * L2 penalty `l2 · Σ w²` on the trained kernels (default 0.001 for the head, where it acts on
   * the standardised features; 0 for the whole network). Biases are not penalised.
   */
  readonly l2?: number;
  /** Cancels training: the call rejects with `BagNetAbortError`, leaving no tensors behind. */
  readonly signal?: AbortSignal;
  /** Called while examples are read, after each gradient step and after each epoch. */
  readonly onProgress?: (progress: TrainingProgress) => void;
  /** Minimum work time between yields to the event loop, in ms (default 30). */
  readonly yieldIntervalMs?: number;
  /** Appended to the new model's provenance notes (e.g. where the images came from). */
  readonly notes?: string;
}

/** What {@link fineTuneHead} and {@link trainBagNet} return. */
export interface TrainingResult {
  /**
   * A new BagNet with the trained weights and `labels`, its provenance noting the training. The
   * caller disposes it; the input model is unchanged.
   */
  readonly model: BagNet;
  /** One entry per epoch. */
  readonly history: readonly EpochMetrics[];
  /** Positions (in the order the examples came) of the examples held out for validation. */
  readonly validationIndices: readonly number[];
  /** Number of training and held-out examples. */
  readonly trainingExamples: number;
  readonly validationExamples: number;
}

/** Defaults that differ between head fine-tuning and full training. */
export interface TrainingDefaults {
  readonly epochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly l2: number;
}

/** {@link TrainingOptions} with every default filled in and every value checked. */
export interface ResolvedTrainingOptions {
  readonly labels: readonly string[];
  readonly epochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly validationSplit: number;
  readonly seed: number;
  readonly l2: number;
  readonly yieldIntervalMs: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ((progress: TrainingProgress) => void) | undefined;
  readonly notes: string | undefined;
}

/** Default time between yields to the event loop, in ms. */
const YIELD_INTERVAL_MS = 30;

/** Checks `options` (a typo'd number fails here, before any work) and fills in the defaults. */
export function resolveTrainingOptions(
  model: BagNet,
  options: TrainingOptions,
  defaults: TrainingDefaults,
  what: string,
): ResolvedTrainingOptions {
  const fail = (name: string, want: string, got: unknown): never => {
    throw new BagNetInputError(`${what}: ${name} must be ${want}, got ${String(got)}.`);
  };
  const positiveInteger = (name: string, v: number) =>
    Number.isInteger(v) && v >= 1 ? v : fail(name, 'a positive integer', v);
  const epochs = positiveInteger('epochs', options.epochs ?? defaults.epochs);
  const batchSize = positiveInteger('batchSize', options.batchSize ?? defaults.batchSize);
  const learningRate = options.learningRate ?? defaults.learningRate;
  if (!(Number.isFinite(learningRate) && learningRate > 0)) fail('learningRate', 'a positive number', learningRate);
  const validationSplit = options.validationSplit ?? 0.2;
  if (!(validationSplit >= 0 && validationSplit < 1)) {
    fail('validationSplit', 'a fraction in [0, 1) (0: no held-out examples)', validationSplit);
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) fail('seed', 'an integer', seed);
  const l2 = options.l2 ?? defaults.l2;
  if (!(Number.isFinite(l2) && l2 >= 0)) fail('l2', 'a number ≥ 0', l2);
  const yieldIntervalMs = options.yieldIntervalMs ?? YIELD_INTERVAL_MS;
  if (!(yieldIntervalMs >= 0)) fail('yieldIntervalMs', 'a number ≥ 0', yieldIntervalMs);
  return {
    labels: checkLabels(options.labels ?? model.labels, what),
    epochs,
    learningRate,
    batchSize,
    validationSplit,
    seed,
    l2,
    yieldIntervalMs,
    signal: options.signal,
    onProgress: options.onProgress,
    notes: options.notes,
  };
}

/** At least two labels, each a non-empty string, all distinct. */
function checkLabels(labels: readonly string[], what: string): readonly string[] {
  if (!Array.isArray(labels) || labels.length < 2) {
    throw new BagNetInputError(
      `${what}: labels must list at least two class names (a classifier needs two classes), got ${
        Array.isArray(labels) ? `${labels.length}` : String(labels)
      }.`,
    );
  }
  const seen = new Map<string, number>();
  labels.forEach((label, i) => {
    if (typeof label !== 'string' || label.trim().length === 0) {
      throw new BagNetInputError(`${what}: labels[${i}] is ${JSON.stringify(label)}; every class needs a name.`);
    }
    const first = seen.get(label);
    if (first !== undefined) {
      throw new BagNetInputError(
        `${what}: labels[${first}] and labels[${i}] are both ${JSON.stringify(label)}; class names must be distinct.`,
      );
    }
    seen.set(label, i);
  });
  return [...labels];
}

/**
 * Checks one example as it arrives: an object with an image and an integer label in range.
 * `index` is its position in the stream (0-based), named in the message.
 */
export function checkExample(example: unknown, index: number, labels: readonly string[], what: string): LabelledImage {
  if (typeof example !== 'object' || example === null || !('image' in example) || !('label' in example)) {
    throw new BagNetInputError(`${what}: example ${index} is not an {image, label} object.`);
  }
  const { label } = example as { label: unknown };
  if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= labels.length) {
    throw new BagNetInputError(
      `${what}: example ${index} has label ${JSON.stringify(label)}, but labels must be class indices from 0 to ` +
        `${labels.length - 1} (one per entry of options.labels: ${labels.slice(0, 5).join(', ')}${labels.length > 5 ? ', …' : ''}).`,
    );
  }
  return example as LabelledImage;
}

/** Throws unless every class has at least one example; `counts[c]` = examples of class c. */
export function checkClassCounts(counts: ArrayLike<number>, labels: readonly string[], what: string): void {
  let total = 0;
  for (let c = 0; c < counts.length; c++) total += counts[c]!;
  if (total === 0) {
    throw new BagNetInputError(`${what}: no examples: pass at least one labelled image per class.`);
  }
  const empty = labels.filter((_, c) => counts[c] === 0);
  if (empty.length > 0) {
    throw new BagNetInputError(
      `${what}: ${empty.length === 1 ? 'class' : 'classes'} ${empty
        .slice(0, 5)
        .map((l) => JSON.stringify(l))
        .join(', ')}${empty.length > 5 ? ` and ${empty.length - 5} more` : ''} ${
        empty.length === 1 ? 'has' : 'have'
      } no examples: give every class at least one image, or leave it out of labels.`,
    );
  }
}
