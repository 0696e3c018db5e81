/**
 * Clean and certified accuracy over a labelled image set, as the patch-defence papers report it
 * (PatchGuard, Xiang et al. 2021; Clipped BagNet, Zhang et al. 2020), counted image by image from
 * {@link patchRobustness} certificates so a long run can be saved, resumed and split into shards
 * whose counts add up.
 *
 * Per image with true class y:
 * - `correct`: the model's own prediction (top logit, no defence) is y;
 * - `defendedCorrect`: the defended model's prediction on the clean image is y (the papers'
 *   "clean accuracy");
 * - `certified`: the certificate's top class is y **and** it is certified against every other
 *   class for every patch position (the papers' "certified accuracy").
 */
import { BagNetInputError } from '../errors.js';
import type { PatchRobustness } from '../evidence/robustness.js';

/** Image counts of one class (or of all). */
export interface AccuracyCounts {
  /** Images whose true class this is. */
  readonly images: number;
  /** Of those, predicted correctly by the undefended model. */
  readonly correct: number;
  /** Predicted correctly by the defended model on the clean image. */
  readonly defendedCorrect: number;
  /** Predicted correctly and certified against every other class. */
  readonly certified: number;
}

/** The counts of one true class. */
export interface ClassAccuracy extends AccuracyCounts {
  readonly classIndex: number;
  readonly label: string;
}

/** Counts over an image set: per true class (every class of the model, in index order) and in all. */
export interface CertifiedAccuracy {
  readonly total: AccuracyCounts;
  readonly perClass: readonly ClassAccuracy[];
}

const COUNT_KEYS = ['images', 'correct', 'defendedCorrect', 'certified'] as const;

/** Adds up per-image outcomes into a {@link CertifiedAccuracy}; starts from earlier counts (resume, merge). */
export class CertifiedAccuracyTally {
  readonly #labels: readonly string[];
  readonly #counts: Record<(typeof COUNT_KEYS)[number], number>[];

  /**
   * @param labels the model's class labels (one count row per class).
   * @param from counts to start from (a resumed run's, or shards' to merge); each must have one row
   *   per label.
   * @throws {BagNetInputError} when `from` does not match `labels`.
   */
  constructor(labels: readonly string[], from: readonly CertifiedAccuracy[] = []) {
    this.#labels = labels;
    this.#counts = labels.map(() => ({ images: 0, correct: 0, defendedCorrect: 0, certified: 0 }));
    for (const f of from) {
      if (f.perClass.length !== labels.length || f.perClass.some((c, i) => c.classIndex !== i)) {
        throw new BagNetInputError(
          `CertifiedAccuracyTally: counts for ${f.perClass.length} classes given, the model has ${labels.length}.`,
        );
      }
      f.perClass.forEach((c, i) => {
        for (const key of COUNT_KEYS) this.#counts[i]![key] += c[key];
      });
    }
  }

  /**
   * Counts one image of true class `trueClass`: `prediction` is the undefended model's top class,
   * `certificate` the image's {@link patchRobustness} result.
   *
   * @throws {BagNetInputError} when a class index is not one of the model's.
   */
  add(trueClass: number, prediction: number, certificate: PatchRobustness): void {
    for (const [name, c] of [
      ['true class', trueClass],
      ['prediction', prediction],
    ] as const) {
      if (!Number.isInteger(c) || c < 0 || c >= this.#labels.length) {
        throw new BagNetInputError(
          `CertifiedAccuracyTally.add(): ${name} ${String(c)} is not a class of this model (0–${this.#labels.length - 1}).`,
        );
      }
    }
    const row = this.#counts[trueClass]!;
    row.images++;
    if (prediction === trueClass) row.correct++;
    if (certificate.defendedClass === trueClass) row.defendedCorrect++;
    if (certificate.topClass === trueClass && certificate.certified) row.certified++;
  }

  /** The counts so far (a copy). */
  result(): CertifiedAccuracy {
    const total = { images: 0, correct: 0, defendedCorrect: 0, certified: 0 };
    const perClass = this.#counts.map((c, classIndex) => {
      for (const key of COUNT_KEYS) total[key] += c[key];
      return { classIndex, label: this.#labels[classIndex]!, ...c };
    });
    return { total, perClass };
  }
}

/** `counts.key / counts.images`, or NaN for no images. */
export function accuracyRate(counts: AccuracyCounts, key: Exclude<keyof AccuracyCounts, 'images'>): number {
  return counts.images === 0 ? Number.NaN : counts[key] / counts.images;
}

/**
 * Checks a parsed {@link CertifiedAccuracy} (e.g. from a file): one row per class in index order
 * (at least two), non-negative integer counts none above its images, and a total that is their
 * sum. Returns a message naming the first problem, or undefined.
 */
export function certifiedAccuracyProblem(value: unknown): string | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObject(value) || !isObject(value['total']) || !Array.isArray(value['perClass'])) {
    return '"accuracy" must be {total, perClass}';
  }
  const rows = value['perClass'] as unknown[];
  if (rows.length < 2) return '"accuracy.perClass" must have one row per class of the model';
  const sum = { images: 0, correct: 0, defendedCorrect: 0, certified: 0 };
  const countsProblem = (c: Record<string, unknown>, where: string) => {
    for (const key of COUNT_KEYS) {
      const v = c[key];
      if (!Number.isSafeInteger(v) || (v as number) < 0) return `${where}.${key} must be a non-negative integer`;
    }
    const images = c['images'] as number;
    if (COUNT_KEYS.some((key) => (c[key] as number) > images)) return `${where} counts more than its images`;
    return undefined;
  };
  for (const [i, row] of rows.entries()) {
    const where = `"accuracy.perClass[${i}]"`;
    if (!isObject(row) || row['classIndex'] !== i || typeof row['label'] !== 'string') {
      return `${where} must be {classIndex: ${i}, label, images, correct, defendedCorrect, certified}`;
    }
    const problem = countsProblem(row, where);
    if (problem !== undefined) return problem;
    for (const key of COUNT_KEYS) sum[key] += row[key] as number;
  }
  const total = value['total'];
  const problem = countsProblem(total, '"accuracy.total"');
  if (problem !== undefined) return problem;
  if (COUNT_KEYS.some((key) => total[key] !== sum[key])) return '"accuracy.total" must be the sum of perClass';
  return undefined;
}
